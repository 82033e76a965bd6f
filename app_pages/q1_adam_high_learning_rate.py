from ui.quiz import question_page

question_page("q1_adam_high_learning_rate")

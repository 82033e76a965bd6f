from ui.quiz import question_page

question_page("q4_sgd_momentum")

from ui.quiz import question_page

question_page("q2_rmsprop_first_step")

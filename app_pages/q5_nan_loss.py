from ui.quiz import question_page

question_page("q5_nan_loss")

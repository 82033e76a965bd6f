from ui.quiz import question_page

question_page("q3_sparse_gradients")

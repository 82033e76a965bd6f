from ui.quiz import question_page
from ui.routes import current_page_id

# One script for every question: app.py registers it once per question file,
# under the file's id as URL path, and the path says which question this is.
question_page(current_page_id())

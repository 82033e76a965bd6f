"""Where each page's script lives, for st.Page and st.page_link alike.

The folder is not called `pages/` on purpose: a `pages/` folder beside
app.py puts Streamlit 1.67 into its legacy multipage mode until app.py
first calls st.navigation, so the first visitor of a fresh server got the
old sidebar, a "Page not found" dialog and a link whose query parameters
were dropped.
"""

from __future__ import annotations

PAGES_DIR = "app_pages"
HOME_FILE = f"{PAGES_DIR}/home.py"


def question_file(question_id: str) -> str:
    return f"{PAGES_DIR}/{question_id}.py"

"""The app's pages, made from the question bank: one per question file.

Every question page runs the same script, `app_pages/question.py`, under
its own URL path, the question's id (the file stem), so a new TOML file
under assets/questions/ is a new page with no other file touched. A file
that fails to load still gets its page, which names the file and field.

The folder is not called `pages/` on purpose: a `pages/` folder beside
app.py puts Streamlit 1.67 into its legacy multipage mode until app.py
first calls st.navigation, so the first visitor of a fresh server got the
old sidebar, a "Page not found" dialog and a link whose query parameters
were dropped.
"""

from __future__ import annotations

import streamlit as st

from content.questions import Question, QuestionBank

PAGES_DIR = "app_pages"
HOME_FILE = f"{PAGES_DIR}/home.py"
QUESTION_FILE = f"{PAGES_DIR}/question.py"
CLASS_FILE = f"{PAGES_DIR}/classroom.py"
CLASS_URL_PATH = "class"
_CURRENT_PAGE_KEY = "_current_page"


def home_page() -> st.Page:
    return st.Page(HOME_FILE, title="Home", icon=":material/home:", default=True)


def class_page() -> st.Page:
    """Class mode: the teacher's projector and the students' phones (ui/classroom.py)."""
    return st.Page(CLASS_FILE, title="Class", icon=":material/groups:", url_path=CLASS_URL_PATH)


def question_page(question: Question) -> st.Page:
    return st.Page(QUESTION_FILE, title=f"{question.number} · {question.title}", url_path=question.id)


def question_pages(bank: QuestionBank) -> list[st.Page]:
    """Every loaded question in bank order, then a page per file that failed to load."""
    broken = [st.Page(QUESTION_FILE, title=f"⚠ {error.path.name}", url_path=error.path.stem)
              for error in bank.errors]
    return [question_page(q) for q in bank.questions] + broken


def remember_current_page(url_path: str) -> None:
    """app.py says which page runs; the shared question script reads it back."""
    st.session_state[_CURRENT_PAGE_KEY] = url_path


def current_page_id() -> str | None:
    return st.session_state.get(_CURRENT_PAGE_KEY)

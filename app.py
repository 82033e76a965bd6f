"""Optimizer Explorer: routing and page-wide settings.

Run with `streamlit run app.py`. Each page script under app_pages/ is a few
lines; the quiz flow lives in ui/, the experiments in scenarios/.
"""

from __future__ import annotations

import streamlit as st

from ui import layout, routes, warmup
from ui.controls import start_page_visit
from ui.keras_between_runs import keep_keras_state_between_runs

layout.init_projector_from_url()
st.set_page_config(
    page_title="Optimizer Explorer",
    page_icon=":material/trending_down:",
    layout="wide",
    # A projector shows one question per screen: no sidebar in the way.
    initial_sidebar_state="collapsed" if layout.is_projector() else "auto",
)

# The URL path of a question page is its question id (and file stem).
QUESTION_PAGES = [
    st.Page(routes.question_file(question_id), title=title, url_path=question_id)
    for question_id, title in (
        ("q1_adam_high_learning_rate", "1 · Adam, huge learning rate"),
        ("q2_rmsprop_first_step", "2 · RMSprop's first step"),
        ("q3_sparse_gradients", "3 · Sparse gradients"),
        ("q4_sgd_momentum", "4 · SGD momentum"),
        ("q5_nan_loss", "5 · Loss turns NaN"),
    )
]
HOME = st.Page(routes.HOME_FILE, title="Home", icon=":material/home:", default=True)

page = st.navigation({"Optimizer Explorer": [HOME], "Questions": QUESTION_PAGES})
with st.sidebar:
    st.toggle("Projector mode", key=layout.PROJECTOR_KEY,
              help="Large type and thick lines for a classroom projector (?projector=1).")
layout.apply_projector_style()
start_page_visit(page.url_path)
keep_keras_state_between_runs()
warmup.start_in_background()
page.run()
layout.sync_projector_to_url()

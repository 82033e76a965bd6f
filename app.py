"""Optimizer Explorer: routing and page-wide settings.

Run with `streamlit run app.py`. Each page script under pages/ is a few
lines; the quiz flow lives in ui/, the experiments in scenarios/.
"""

from __future__ import annotations

import streamlit as st

from ui import layout, warmup
from ui.controls import start_page_visit

st.set_page_config(
    page_title="Optimizer Explorer",
    page_icon="📉",
    layout="wide",
    initial_sidebar_state="auto",
)

QUESTION_PAGES = [
    st.Page("pages/q1_adam_high_learning_rate.py", title="1 · Adam, huge learning rate", url_path="adam-high-learning-rate"),
    st.Page("pages/q2_rmsprop_first_step.py", title="2 · RMSprop's first step", url_path="rmsprop-first-step"),
    st.Page("pages/q3_sparse_gradients.py", title="3 · Sparse gradients", url_path="sparse-gradients"),
    st.Page("pages/q4_sgd_momentum.py", title="4 · SGD momentum", url_path="sgd-momentum"),
    st.Page("pages/q5_nan_loss.py", title="5 · Loss turns NaN", url_path="nan-loss"),
]
HOME = st.Page("pages/home.py", title="Home", icon="🏠", default=True)

page = st.navigation({"Optimizer Explorer": [HOME], "Questions": QUESTION_PAGES})
layout.init_projector_from_url()
with st.sidebar:
    st.toggle("Projector mode", key=layout.PROJECTOR_KEY,
              help="Large type and thick lines for a classroom projector (?projector=1).")
layout.apply_projector_style()
start_page_visit(page.url_path)
warmup.start_in_background()
page.run()
layout.sync_projector_to_url()

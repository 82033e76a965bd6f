"""Optimizer Explorer: routing and page-wide settings.

Run with `streamlit run app.py`. The navigation is made from the question
bank (ui/routes.py): every TOML file under assets/questions/ is a page.
The quiz flow lives in ui/, the experiments in scenarios/.
"""

from __future__ import annotations

import streamlit as st

from ui import clean_stop, layout, routes, warmup
from ui.controls import start_page_visit
from ui.fragment_rerun_race import install as keep_finished_runs_when_a_fragment_reruns
from ui.keras_between_runs import keep_keras_state_between_runs
from ui.quiz import question_bank

layout.init_projector_from_url()
st.set_page_config(
    page_title="Optimizer Explorer",
    page_icon=layout.PAGE_ICON,
    layout="wide",
    # A projector shows one question per screen: no sidebar in the way.
    initial_sidebar_state="collapsed" if layout.is_projector() else "auto",
)

bank = question_bank()
page = st.navigation({"Optimizer Explorer": [routes.home_page(), routes.class_page()],
                      "Questions": routes.question_pages(bank)})
with st.sidebar:
    st.toggle("Projector mode", key=layout.PROJECTOR_KEY,
              help="Large type and thick lines for a classroom projector (?projector=1).")
layout.apply_page_style()
start_page_visit(page.url_path)
layout.show_projector_warning()
keep_keras_state_between_runs()
# A class phone's poll (st.fragment(run_every)) landing as a full run ends made Streamlit drop that run's last
# messages: a vote's button or its acknowledgement never reached the phone (ui/fragment_rerun_race.py).
keep_finished_runs_when_a_fragment_reruns()
clean_stop.install()  # before the warm-up starts TensorFlow's threads
warmup.page_run_started()
try:
    page.run()
    layout.sync_projector_to_url()
finally:
    # The warm-up starts after the first page is drawn: TensorFlow's import would slow it down.
    warmup.page_run_finished(bank)

"""The app run in-process by `streamlit.testing.v1.AppTest`: no server, no browser.

The names match `tests/apptest_helpers.py`, whose AppTest tests add the
garbage-collector freeze the server's warm-up does.
"""

from __future__ import annotations

import streamlit as st
from streamlit.testing.v1 import AppTest
from streamlit.util import calc_hash

from harness.server import ROOT
from ui import chart_in_place
from ui.url_state import PROJECTOR_KEY

APP = str(ROOT / "app.py")
# The first run of a page imports TensorFlow and compiles its loops.
TIMEOUT = 180


def show_page(at: AppTest, url_path: str) -> None:
    """Open the page at this URL path (a question's id) on the next run, as a browser's address does.

    `AppTest.switch_page` takes a script file, and every question page runs
    the same one; st.Page tells pages apart by the hash of their url_path.
    """
    at._page_hash = calc_hash(url_path)


def run_app(url_path: str | None = None, query: dict[str, str | list[str]] | None = None) -> AppTest:
    """A fresh AppTest of app.py with this query, run once on the page at `url_path` (home if None)."""
    at = AppTest.from_file(APP, default_timeout=TIMEOUT)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    if url_path is not None:
        show_page(at, url_path)
    at.run()
    return at


def clear_caches() -> None:
    """st.cache_data is shared by every AppTest in the process."""
    st.cache_data.clear()


def errors(at: AppTest) -> list[str]:
    return [str(e.value) for e in at.exception]


def charts(node) -> list:
    """The plotly charts drawn under `node` (an AppTest or one of its blocks), in page order.

    The app's charts are `ui.chart_in_place` components; `st.plotly_chart` is its fallback.
    """
    drawn = [element for element in node.get("bidi_component")
             if element.proto.component_name.endswith(chart_in_place.COMPONENT_NAME)]
    return drawn + list(node.get("plotly_chart"))


def plotly_data(at: AppTest) -> list[str]:
    """The JSON spec of every plotly chart on the page (to see a redraw)."""
    return [chart_in_place.figure_of(element.proto.json) if element.type == "bidi_component"
            else element.proto.spec for element in charts(at)]


def switch_everything_on(at: AppTest) -> AppTest:
    """Switch on every toggle but projector mode, run, and again for the toggles that appear.

    Charts and sections drawn on request sit behind switches, some behind another
    switch (q3's "Show the rest of this experiment"); this shows all of them.
    """
    switched: set[str] = set()
    while fresh := [t for t in at.toggle if t.key not in switched and t.key != PROJECTOR_KEY]:
        for toggle in fresh:
            toggle.set_value(True)
            switched.add(toggle.key)
        at.run()
    return at

"""The smallest page with the class phone's shape, for `benchmarks/fragment_rerun_race.py`.

A fragment that polls by itself (`st.fragment(run_every=...)`, as
`ui.classroom._follow`) and, outside it, a widget whose rerun redraws the
whole page and ends with a line that says the widget's value (as the vote
form's "Your prediction is in"). Served like the app (`harness.server`:
same `.streamlit/config.toml`). `FRAGMENT_RERUN_RACE_PATCH=1` installs
`ui/fragment_rerun_race.py` as `app.py` does; `FRAGMENT_RERUN_RACE_POLL`
is the poll's interval in seconds.
"""

from __future__ import annotations

import os
import time

import streamlit as st

if os.environ.get("FRAGMENT_RERUN_RACE_PATCH") == "1":
    from ui.fragment_rerun_race import install

    install()

POLL_S = float(os.environ.get("FRAGMENT_RERUN_RACE_POLL", "2"))
LABEL = "value"


@st.fragment(run_every=POLL_S)
def poll() -> None:
    st.caption(f"poll {time.time():.3f}")


poll()
value = st.slider(LABEL, 0, 1_000_000, 0)
for line in range(15):  # some page to send after the widget, as the class page has
    st.text(f"line {line}")
st.success(f"{LABEL}={value}")

"""The floor for "key press → chart redrawn": one slider, one plotly line chart, nothing to compute.

Issue 14's yardstick. Served exactly like the app
(`harness.server.start_server(log, FLOOR_APP)`: `streamlit run` from the
repository root, same flags, same `.streamlit/config.toml`), so what is left
of its redraw time is Streamlit itself: the widget message, the websocket
round trip, the rerun of a tiny script, React and plotly drawing 2 series ×
301 points. `benchmarks/browser_latency.py` measures it in the same
Chromium as the question pages and divides by it.

The chart is Streamlit's own `st.plotly_chart` (mode bar off), as the issue
defines the yardstick: each press mounts a new chart. The app's charts are
updated in place instead (`ui/chart_in_place.py`), which this floor does not
do, so part of what the app gained against it is a way of drawing that the
floor leaves out. Each slider value gives different curves, so every press
changes what `harness.browser.press_and_wait_for_redraw` watches.
"""

from __future__ import annotations

import math

POINTS = 301
SLIDER_LABEL = "Learning rate"
SLIDER_MAX = 500  # notches: room for a long run of ArrowRight presses


def curves(value: int) -> tuple[list[int], list[float], list[float]]:
    """The chart's 2 series for a slider value (different for every value)."""
    rate = 0.002 + value / 1000.0
    xs = list(range(POINTS))
    decay = [math.exp(-rate * x) for x in xs]
    return xs, decay, [d * math.cos(x / 20.0) for x, d in zip(xs, decay, strict=True)]


def main() -> None:
    import plotly.graph_objects as go
    import streamlit as st

    st.title("Floor app")
    value = st.slider(SLIDER_LABEL, min_value=0, max_value=SLIDER_MAX, value=0, step=1)
    xs, decay, oscillation = curves(value)
    figure = go.Figure()
    figure.add_trace(go.Scatter(x=xs, y=decay, mode="lines", name="decay"))
    figure.add_trace(go.Scatter(x=xs, y=oscillation, mode="lines", name="oscillation"))
    figure.update_layout(height=360, margin={"l": 40, "r": 10, "t": 30, "b": 40},
                         xaxis_title="step", yaxis_title="loss")
    st.plotly_chart(figure, key="floor", config={"displayModeBar": False})


if __name__ == "__main__":  # `streamlit run` runs the script as __main__; an import only reads the constants
    main()

"""Drivers of the real app, shared by the browser tests (tests/e2e) and the benchmarks.

- `server`: `streamlit run app.py` on a free loopback port, and its stop.
- `browser`: Debian's Chromium, the page states to wait for (idle, settled,
  charts redrawn) and the key presses a student makes.
- `sliders`: the question bank's sliders as the values a key press walks through.
- `apptest`: the app run in-process by Streamlit's AppTest (no server, no browser).

Nothing here asserts: tests and benchmarks decide what a result means.
"""

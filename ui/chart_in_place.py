"""Plotly charts that a slider move updates in place instead of drawing anew.

`st.plotly_chart` in Streamlit 1.67 gives each chart an element id that
hashes its figure, and its browser side reads the figure only when the
chart is mounted: every new figure is a new chart, so each slider move threw
away the page's charts and drew them from nothing (`Plotly.newPlot`, new
SVG). Here a chart is a custom component (`st.components.v2`) whose identity
is its key alone: Streamlit keeps it mounted and hands it each new figure,
and `chart_in_place.js` calls `Plotly.react`, which redraws only what
changed. Measured with `python -m benchmarks.browser_latency` (README,
Performance): q4's key press → redrawn went from 1.67-1.85× the floor app's
to 1.47-1.56× (four runs), and the browser's plotly time from ~80 to ~28 ms
a press (q4, JavaScript profiler).

plotly.js comes from the installed plotly package (the version that wrote
the figure's JSON), served by Streamlit's static file serving
(`server.enableStaticServing`, `.streamlit/config.toml`) from `static/`
beside `app.py`, where `serve_plotly_js` copies it, gzipped too, when the
first chart is drawn (git-ignored). Where it cannot (a read-only folder),
charts fall back to `st.plotly_chart`.
"""

from __future__ import annotations

import functools
import gzip
import json
import logging
import os
import tempfile
from pathlib import Path
from typing import Any

import plotly
import plotly.io
import streamlit as st

log = logging.getLogger(__name__)

COMPONENT_NAME = "chart_in_place"
_JS = Path(__file__).with_name("chart_in_place.js")
_PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
STATIC_PLOTLY_JS = Path(__file__).resolve().parent.parent / "static" / "plotly.min.js"
STATIC_PLOTLY_JS_GZ = STATIC_PLOTLY_JS.with_name(STATIC_PLOTLY_JS.name + ".gz")  # chart_in_place.js adds ".gz" too
# Relative to the page's address, so that it also works under a `server.baseUrlPath`
# (every page is one level below the app's root).
PLOTLY_JS_URL = "app/static/plotly.min.js"


@functools.cache
def serve_plotly_js() -> bool:
    """Put the installed plotly.js where Streamlit serves static files; False where that failed.

    Two files: plotly.min.js and its gzipped copy, which the browser fetches and
    unpacks itself (`chart_in_place.js`). Streamlit gzips a static .js file anew
    for every request (4.8 MB: ~170 ms of the server's CPU here) and sends a .gz
    file as it is. Each is written to a temporary file and renamed, so that
    servers started side by side (the tests start several) never serve half a file.
    """
    try:
        installed = _PLOTLY_JS.read_bytes()
        if STATIC_PLOTLY_JS.exists() and STATIC_PLOTLY_JS.read_bytes() == installed and STATIC_PLOTLY_JS_GZ.exists():
            return True
        STATIC_PLOTLY_JS.parent.mkdir(exist_ok=True)
        _write_whole(STATIC_PLOTLY_JS_GZ, gzip.compress(installed, mtime=0))
        _write_whole(STATIC_PLOTLY_JS, installed)  # last: its being up to date says both are
        return True
    except OSError as error:
        log.warning("charts are drawn anew at every move: could not serve plotly.js from %s (%s)",
                    STATIC_PLOTLY_JS, error)
        return False


def _write_whole(path: Path, content: bytes) -> None:
    handle, temporary = tempfile.mkstemp(dir=path.parent, suffix=".part")
    with os.fdopen(handle, "wb") as file:
        file.write(content)
    os.chmod(temporary, 0o644)  # mkstemp's 0600 is for secrets; these are public files
    os.replace(temporary, path)


@functools.cache
def _component() -> Any:
    return st.components.v2.component(COMPONENT_NAME, js=_JS.read_text(), isolate_styles=False)


def draw(figure: Any, *, caption: str, key: str, config: dict[str, Any]) -> None:
    """Draw `figure` with `caption` under it; a later run that draws the same `key` updates both in place.

    The caption is part of the component, not an `st.caption` of its own: each element of a page
    is sent and redrawn at every slider move (~0.9 ms each, q4, twelve elements added).
    """
    if not serve_plotly_js():
        # theme=None: the charts carry the theme's look themselves (`ChartStyle.template`).
        st.plotly_chart(figure, key=key, config=config, theme=None)
        st.caption(caption)
        return
    _component()(
        data={"figure": plotly.io.to_json(figure, validate=False), "caption": caption,
              "config": {**config, "responsive": True}, "plotly_source": PLOTLY_JS_URL},
        key=key,
    )


def figure_of(data_json: str) -> str:
    """The figure JSON inside a drawn chart's data (the element's JSON payload); for tests."""
    return json.loads(data_json)["figure"]


def caption_of(data_json: str) -> str:
    """The caption inside a drawn chart's data; for tests."""
    return json.loads(data_json)["caption"]

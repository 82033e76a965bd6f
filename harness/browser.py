"""Debian's Chromium and the page states a test or benchmark waits for.

Never `playwright install`: it downloads a browser, which this machine
cannot. Chromium comes from apt (`.ci/run` installs it).

The JavaScript conditions are strings, so that sync and async Playwright
(the tests, the load test's students) wait for exactly the same thing; the
helpers below are the sync ones.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from playwright.sync_api import Page

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
# A cold server imports TensorFlow and compiles the loops on first use.
FIRST_LOAD_MS = 180_000
IDLE_MS = 60_000

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'
EXCEPTION = '[data-testid="stException"]'

# A signature of every plotly chart's data, and of its marker lines and labels (question 2's
# histogram of 400 seeds moves only its "seed N" line when the seed changes), to see that a
# chart was redrawn.
CHARTS_SIGNATURE_JS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el =>
    JSON.stringify([(el._fullData || []).map(t => [t.name, Array.from(t.x || []).length,
                                                   Array.from(t.y || []).slice(-20)]),
                    ((el.layout || {}).shapes || []).map(s => [s.x0, s.x1, s.y0, s.y1]),
                    ((el.layout || {}).annotations || []).map(a => [a.text, a.x, a.y])])).join('|')
"""

# The page has settled: the script is idle, nothing from an earlier run is
# still on screen, and every chart is drawn. Idle alone is not enough, as
# measured in Chromium under CPU load:
# - a chart is first a placeholder (stSkeleton) while plotly loads and draws;
#   the first charts can take ~1 s after the run ends, so a page read early
#   has only some of its charts and "changes" without any run;
# - each run draws new charts beside the old ones (marked data-stale="true")
#   and removes the old ones as it ends.
# A test that read the page too early held a chart that was about to leave
# the DOM (CI: "Element is not attached to the DOM").
# - a chart updated in place (ui/chart_in_place.py) is an empty component
#   until plotly.js has loaded and drawn it: no chart element yet to wait for.
SETTLED_JS = f"""
() => document.querySelector('{IDLE}') !== null
      && document.querySelector('[data-stale="true"]') === null
      && document.querySelector('[data-testid="stSkeleton"]') === null
      && Array.from(document.querySelectorAll('.js-plotly-plot')).every(el => el._fullData)
      && Array.from(document.querySelectorAll('[data-testid^="stBidiComponent"]')).every(el => {{
             const chart = el.querySelector('.chart-in-place');
             return chart !== null && chart._fullData !== undefined; }})
"""
# Settled, with at least one chart drawn: what the charts show now is final.
CHARTS_SETTLED_JS = f"() => ({SETTLED_JS})() && ({CHARTS_SIGNATURE_JS})().length > 0"


def launch_options() -> dict[str, Any]:
    """Keyword arguments of `playwright.chromium.launch` (sync or async) for Debian's Chromium."""
    if not CHROMIUM.exists():
        raise RuntimeError(f"{CHROMIUM} is missing (apt-get install chromium); never `playwright install`")
    return {"executable_path": str(CHROMIUM), "args": CHROMIUM_ARGS, "headless": True}


def wait_settled(page: Page, timeout: float = IDLE_MS) -> None:
    """Wait until the script has finished its run and the page shows its result (no sleeps)."""
    page.wait_for_function(SETTLED_JS, timeout=timeout)


def open_app(page: Page, url: str, timeout: float = FIRST_LOAD_MS) -> None:
    page.goto(url)
    wait_settled(page, timeout)


def charts_signature(page: Page) -> str:
    return page.evaluate(CHARTS_SIGNATURE_JS)


def press_and_wait_for_redraw(page: Page, slider_label: str, key: str = "ArrowRight",
                              timeout: float = IDLE_MS) -> None:
    """Focus a slider by its label, press a key, wait until the charts change.

    During a rerun the page can briefly hold the old and the new chart, so
    the wait is on a settled page *and* a changed signature, not on a count.
    """
    page.wait_for_function(CHARTS_SETTLED_JS, timeout=timeout)
    before = charts_signature(page)
    slider = page.get_by_role("slider", name=slider_label)
    slider.focus()
    slider.press(key)
    page.wait_for_function(
        f"(before) => ({CHARTS_SETTLED_JS})() && ({CHARTS_SIGNATURE_JS})() !== before",
        arg=before, timeout=timeout,
    )


def exceptions(page: Page) -> list[str]:
    return page.locator(EXCEPTION).all_inner_texts()

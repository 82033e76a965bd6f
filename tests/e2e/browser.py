"""Small helpers to drive a Streamlit page the way a student does."""

from __future__ import annotations

from playwright.sync_api import Page

IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'

# A signature of every plotly chart's data, to see that a chart was redrawn.
CHARTS_SIGNATURE_JS = """
() => Array.from(document.querySelectorAll('.js-plotly-plot')).map(el =>
    JSON.stringify((el._fullData || []).map(t => [t.name, Array.from(t.x || []).length,
                                                 Array.from(t.y || []).slice(-20)]))).join('|')
"""


def wait_idle(page: Page, timeout: float = 60_000) -> None:
    """Wait until the script has finished its run (no sleeps)."""
    page.wait_for_selector(IDLE, timeout=timeout)


def open_app(page: Page, url: str, timeout: float = 180_000) -> None:
    page.goto(url)
    wait_idle(page, timeout)


def charts_signature(page: Page) -> str:
    return page.evaluate(CHARTS_SIGNATURE_JS)


def press_and_wait_for_redraw(page: Page, slider_label: str, key: str = "ArrowRight",
                              timeout: float = 60_000) -> None:
    """Focus a slider by its label, press a key, wait until the charts change.

    During a rerun the page can briefly hold the old and the new chart, so
    the wait is on the idle state *and* a changed signature, not on a count.
    """
    page.wait_for_function(f"({CHARTS_SIGNATURE_JS})().length > 0", timeout=timeout)
    before = charts_signature(page)
    slider = page.get_by_role("slider", name=slider_label)
    slider.focus()
    slider.press(key)
    page.wait_for_function(
        f"""(before) => document.querySelector('{IDLE}') !== null &&
              ({CHARTS_SIGNATURE_JS})() !== before""",
        arg=before, timeout=timeout,
    )


def exceptions(page: Page) -> list[str]:
    return page.locator('[data-testid="stException"]').all_inner_texts()

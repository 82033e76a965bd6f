"""Every page at every size a class uses: nothing cut off, readable axes, no flicker.

Sizes: a laptop (1280×900), a phone (390×844), and projector mode on a
1024×768 and a 1920×1080 projector. Each question page is checked at its
defaults and after every preset; screenshots go to screenshots/layout/.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page

from content.questions import load_bank
from harness.browser import exceptions, open_app, wait_settled

BANK = load_bank()
SIZES = {
    "laptop": ({"width": 1280, "height": 900}, False),
    "phone": ({"width": 390, "height": 844}, False),
    "projector": ({"width": 1024, "height": 768}, True),
    "projector-hd": ({"width": 1920, "height": 1080}, True),
}
MAX_TICK_LABELS = 10

# Text that does not fit its own box: scrollWidth beyond clientWidth. Inline
# code and tables scroll inside their own boxes (pre, dataframes) and are not text boxes here.
OVERFLOWING_TEXT_JS = """
() => Array.from(document.querySelectorAll(
    'h1, h2, h3, [data-testid="stMarkdownContainer"] p, [data-testid="stMarkdownContainer"] li, '
    + 'button p, [data-testid="stMetricValue"], [data-testid="stMetricLabel"], [data-testid="stWidgetLabel"] p, '
    + '[data-testid="stCaptionContainer"], [data-testid="stPageLink"] p, [data-testid="stAlertContentInfo"], '
    + '[data-testid="stTable"], [data-testid="stExpander"] summary'))
  .filter(el => el.offsetParent !== null && el.clientWidth > 0 && el.scrollWidth > el.clientWidth + 1)
  .map(el => `${el.tagName} (${el.scrollWidth} > ${el.clientWidth}): ${el.textContent.trim().slice(0, 70)}`)
"""

# The most tick labels on any one axis of any chart.
MOST_TICK_LABELS_JS = """
() => Math.max(0, ...Array.from(document.querySelectorAll('.js-plotly-plot'))
    .flatMap(plot => Array.from(plot.querySelectorAll('.xaxislayer-above, .yaxislayer-above'))
    .map(layer => Array.from(layer.querySelectorAll('text')).filter(t => t.textContent.trim()).length)))
"""


def _open(page: Page, base: str, question_id: str, size: str, *, stage: int | None = None) -> None:
    viewport, projector = SIZES[size]
    page.set_viewport_size(viewport)
    query = "?projector=1" + (f"&stage={stage}" if stage else "") if projector else ""
    open_app(page, f"{base}/{question_id}{query}")
    assert exceptions(page) == []


def _check_layout(page: Page, where: str) -> None:
    overflowing = page.evaluate(OVERFLOWING_TEXT_JS)
    assert overflowing == [], f"{where}: text cut off: {overflowing}"
    ticks = page.evaluate(MOST_TICK_LABELS_JS)
    assert ticks <= MAX_TICK_LABELS, f"{where}: an axis shows {ticks} tick labels"


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize("question", BANK.questions, ids=lambda q: q.id)
def test_nothing_is_cut_off_at_the_defaults_and_after_every_preset(page: Page, app_url: str, screenshots_dir,
                                                                   question, size):
    projector = SIZES[size][1]
    _open(page, app_url, question.id, size, stage=2 if projector else None)
    folder = screenshots_dir / "layout"
    folder.mkdir(exist_ok=True)
    page.screenshot(path=folder / f"{question.id}-{size}.png", full_page=True)
    _check_layout(page, f"{question.id} at {size}, defaults")
    for preset in question.presets:
        page.get_by_role("button", name=preset.name, exact=True).click()
        wait_settled(page)
        assert exceptions(page) == []
        _check_layout(page, f"{question.id} at {size}, preset {preset.name!r}")
    if projector:
        for stage in (1, 3):
            _open(page, app_url, question.id, size, stage=stage)
            page.screenshot(path=folder / f"{question.id}-{size}-stage{stage}.png")
            _check_layout(page, f"{question.id} at {size}, stage {stage}")


@pytest.mark.parametrize("size", ["projector", "projector-hd"])
@pytest.mark.parametrize("question", BANK.questions, ids=lambda q: q.id)
def test_on_a_projector_the_main_chart_and_its_first_slider_share_a_screen(page: Page, app_url: str, question,
                                                                           size):
    _open(page, app_url, question.id, size, stage=2)
    slider = page.get_by_role("slider").first.bounding_box()
    chart = page.locator(".js-plotly-plot").first.bounding_box()
    top = min(slider["y"], chart["y"])
    bottom = max(slider["y"] + slider["height"], chart["y"] + chart["height"])
    height = SIZES[size][0]["height"]
    assert bottom - top <= height, f"slider and chart span {bottom - top:.0f} px on a {height}-px screen"


# Samples the number of drawn charts every 50 ms until stopped.
START_SAMPLING_JS = """
() => { window.__fewestCharts = Infinity;
        const count = () => Array.from(document.querySelectorAll('.js-plotly-plot')).filter(el => el._fullData).length;
        window.__sampler = setInterval(() => { window.__fewestCharts = Math.min(window.__fewestCharts, count()); }, 50);
        return count(); }
"""
STOP_SAMPLING_JS = "() => { clearInterval(window.__sampler); return window.__fewestCharts; }"


@pytest.mark.parametrize("question", BANK.questions, ids=lambda q: q.id)
def test_toggling_the_hint_never_blanks_a_chart(page: Page, app_url: str, question):
    _open(page, app_url, question.id, "laptop")
    charts = page.evaluate(START_SAMPLING_JS)
    assert charts > 0
    for _ in range(2):  # on, then off
        page.get_by_text("Show hint").click()
        page.wait_for_timeout(300)
        wait_settled(page)
    page.get_by_role("radiogroup", name="Your prediction").get_by_role("radio").first.check(force=True)
    page.wait_for_timeout(300)
    wait_settled(page)
    fewest = page.evaluate(STOP_SAMPLING_JS)
    assert fewest == charts, f"{charts} charts, down to {fewest} while the hint and the prediction changed"

"""Every page in a real Chromium: loads clean, sliders move by keyboard, answers reveal.

Every test reads the question bank: a question added to assets/questions/
is tested without a line here. The slider a test moves is the question's
`main_control`, pressed ArrowRight unless its default sits at its max.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Page, expect

from content.questions import Control, Question, load_bank
from harness.browser import (
    CHARTS_SETTLED_JS,
    FIRST_LOAD_MS,
    charts_signature,
    exceptions,
    open_app,
    press_and_wait_for_redraw,
    wait_settled,
)
from harness.sliders import arrow_with_room, sliders, value_after
from ui.layout import CODE_AND_DATA_LABEL
from ui.url_state import format_value

BANK = load_bank()
QUESTIONS = [pytest.param(question, id=question.id) for question in BANK.questions]
NORMAL = {"width": 1280, "height": 900}
PROJECTOR = {"width": 1024, "height": 768}


def _question_running(scenario: str) -> Question:
    """The first question of the bank whose experiment is `scenario` (a test of that experiment)."""
    question = next((q for q in BANK.questions if q.scenario == scenario), None)
    if question is None:
        pytest.skip(f"no question in the bank runs the {scenario!r} scenario")
    return question


def _move(page: Page, control: Control) -> tuple[str, str]:
    """Press a slider one notch from its default, toward its room; return its (key, value) in a link."""
    key = arrow_with_room(control)
    press_and_wait_for_redraw(page, control.label, key)
    return control.key, format_value(control, value_after(control, key))


def _link_values(url: str) -> dict[str, str]:
    return {key: values[0] for key, values in parse_qs(urlsplit(url).query).items()}


def _paragraphs(markdown: str) -> list[str]:
    """A text's paragraphs: Markdown draws each as its own element."""
    return [paragraph.strip() for paragraph in markdown.split("\n\n") if paragraph.strip()]


def _wait_for_font_sizes(page: Page, minimum_px: dict[str, float]) -> None:
    """Until the first element of each selector is drawn at least that large (the style sheet applied)."""
    page.wait_for_function(
        """(minimum) => Object.entries(minimum).every(([selector, px]) => {
            const element = document.querySelector(selector);
            return element !== null && parseFloat(getComputedStyle(element).fontSize) >= px;
        })""", arg=minimum_px, timeout=15_000)


def test_home_page(page: Page, app_url: str, screenshots_dir):
    page.set_viewport_size(NORMAL)
    open_app(page, app_url)
    assert exceptions(page) == []
    expect(page.get_by_role("heading", name="Optimizer Explorer")).to_be_visible()
    for question in BANK.questions:
        expect(page.get_by_text(f"Question {question.number}: {question.title}")).to_be_visible()
    page.screenshot(path=screenshots_dir / "home.png")
    target = BANK.questions[-1]
    page.get_by_text(f"Question {target.number}: {target.title}").click()
    wait_settled(page, 180_000)
    expect(page.get_by_role("heading", name=re.compile(rf"Question {target.number}\b"))).to_be_visible()


@pytest.mark.parametrize("question", QUESTIONS)
def test_question_page(page: Page, app_url: str, screenshots_dir, question: Question):
    page.set_viewport_size(NORMAL)
    open_app(page, f"{app_url}/{question.id}")
    assert exceptions(page) == []
    expect(page.locator(".js-plotly-plot").first).to_be_visible()
    page.wait_for_function(CHARTS_SETTLED_JS)
    # Marked on the chart's element: a chart updated in place keeps it (ui/chart_in_place.py).
    page.evaluate("document.querySelector('.js-plotly-plot').dataset.beforeTheMove = 'yes'")

    key, value = _move(page, question.main_control)
    assert exceptions(page) == []
    assert _link_values(page.url)[key] == value
    assert page.evaluate("document.querySelector('.js-plotly-plot').dataset.beforeTheMove") == "yes", \
        "the slider move drew a new chart instead of updating the one on the page"
    # Its text description, under it, inside the same <figure>.
    expect(page.locator("figure.chart-in-place-figure figcaption").first).to_have_text(re.compile(r"\w.{20,}"))

    page.get_by_text("Show hint").click()
    for paragraph in _paragraphs(question.hint):
        expect(page.get_by_text(paragraph)).to_be_visible()
    page.get_by_text(question.choices[question.correct_choice].text).first.click()
    wait_settled(page)
    page.get_by_role("button", name="Reveal answer").click()
    wait_settled(page)
    expect(page.get_by_text("Your prediction is right.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Verdict: "))).to_be_visible()
    expect(page.get_by_role("heading", name="What the experiment shows")).to_be_visible()
    assert exceptions(page) == []
    page.screenshot(path=screenshots_dir / f"{question.id}-answer.png")
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    page.screenshot(path=screenshots_dir / f"{question.id}.png")


def test_nan_preset_shows_its_marker(page: Page, app_url: str, screenshots_dir):
    """The NaN-loss experiment's diverging preset marks where the loss stopped being finite."""
    question = _question_running("nan_loss")
    preset = next(p for p in question.presets if p.name == "Diverges")
    page.set_viewport_size(NORMAL)
    open_app(page, f"{app_url}/{question.id}")
    page.get_by_role("button", name=preset.name).click()
    wait_settled(page)
    # On the loss chart: "overflow at epoch N" (Inf) or "NaN at epoch N".
    marker = page.locator(".js-plotly-plot text", has_text=re.compile(r"(NaN|overflow) at epoch \d+"))
    expect(marker.first).to_be_visible()
    # The finite part of the curve is still drawn.
    assert page.locator(".js-plotly-plot path.js-line").count() >= 1
    assert exceptions(page) == []
    marker.first.scroll_into_view_if_needed()
    page.screenshot(path=screenshots_dir / f"{question.id}-diverges.png")


@pytest.mark.parametrize("question", QUESTIONS)
def test_projector_mode(page: Page, app_url: str, screenshots_dir, question: Question):
    """?projector=1 at 1024x768: no sidebar in the way, large type, one stage a screen, a clicker's PageDown."""
    page.set_viewport_size(PROJECTOR)
    open_app(page, f"{app_url}/{question.id}?projector=1")
    assert exceptions(page) == []
    expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "true")
    # The projector style sheet arrives as an element of the run; wait for it to apply.
    _wait_for_font_sizes(page, {'[data-testid="stMain"] h1': 36,
                                '[data-testid="stMain"] [data-testid="stMarkdownContainer"] p': 24})
    for paragraph in _paragraphs(question.hint):
        expect(page.get_by_text(paragraph)).to_have_count(0)  # hidden until clicked
    # The experiment is the next stage: PageDown, as a presenter's clicker sends it. The
    # first stage runs no experiment, so this may be the server's first run of it.
    page.keyboard.press("PageDown")
    page.wait_for_function(CHARTS_SETTLED_JS, timeout=FIRST_LOAD_MS)
    # The numbers fold away below the main chart; opened, they are large too.
    page.get_by_text("More from this experiment").click()
    _wait_for_font_sizes(page, {'[data-testid="stMetricValue"] p': 40})
    _move(page, question.main_control)
    assert _link_values(page.url).get("projector") == "1"
    # Chart ticks too: large and near-black (the theme's 18 px grey washes out on a projector).
    # Plotly draws a log axis's in-between digits (2 ... 9) at 3/4 size, by design.
    ticks = page.evaluate("""() => Array.from(document.querySelectorAll(
        '.js-plotly-plot .xtick text, .js-plotly-plot .ytick text'))
        .map(t => [parseFloat(t.style.fontSize), t.style.fill, t.textContent])""")
    small = [tick for tick in ticks if tick[0] < 22 and not re.fullmatch(r"[2-9]", tick[2])]
    grey = [tick for tick in ticks if tick[1] != "rgb(17, 17, 17)"]
    assert ticks and not small and not grey, (small + grey)[:5]
    # Plotly never wraps a title: at these sizes a long one would run off its chart.
    clipped = page.evaluate("""() => Array.from(document.querySelectorAll('.js-plotly-plot')).flatMap(el => {
        const box = el.getBoundingClientRect();
        return Array.from(el.querySelectorAll('.gtitle, .g-xtitle text, .g-ytitle text, .g-y2title text'))
            .filter(t => { const r = t.getBoundingClientRect();
                           return r.left < box.left - 1 || r.right > box.right + 1
                               || r.top < box.top - 1 || r.bottom > box.bottom + 1; })
            .map(t => t.textContent); })""")
    assert clipped == []
    # Metric labels wrap rather than end in "…" (two metrics a row).
    cut = page.evaluate("""() => Array.from(document.querySelectorAll(
        '[data-testid="stMetricLabel"] [data-testid="stMarkdownContainer"]'))
        .filter(el => el.scrollWidth > el.clientWidth + 1).map(el => el.textContent)""")
    assert cut == []
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    page.screenshot(path=screenshots_dir / f"{question.id}-projector.png")


def test_link_round_trip(page: Page, app_url: str, context):
    """Move two sliders, copy the address bar, open it in a new tab: same numbers."""
    question = BANK.questions[0]
    other_slider = next(c for c in sliders(question) if c.key != question.main_control_key)
    page.set_viewport_size(NORMAL)
    open_app(page, f"{app_url}/{question.id}")
    moved = dict([_move(page, question.main_control), _move(page, other_slider)])
    link = page.url
    assert {key: _link_values(link).get(key) for key in moved} == moved
    printed = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    other = context.new_page()
    other.set_viewport_size(NORMAL)
    open_app(other, link)
    other.wait_for_function(CHARTS_SETTLED_JS)
    assert other.locator('[data-testid="stMetricValue"]').first.inner_text() == printed
    assert charts_signature(other) == charts_signature(page)


def test_csv_download_is_the_configuration_on_screen(page: Page, app_url: str, tmp_path):
    """The CSV is made on click (a deferred download): after a slider move, of the new value.

    On the RMSprop first-step experiment, whose first metric is the loss the
    snippet prints: the CSV's first row must hold the same number.
    """
    question = _question_running("rmsprop_first_step")
    page.set_viewport_size(NORMAL)
    open_app(page, f"{app_url}/{question.id}")
    key, value = _move(page, question.main_control)
    printed = float(page.locator('[data-testid="stMetricValue"]').first.inner_text())
    # The switch is a visually hidden input: click its label, as a user does.
    page.locator("label").filter(has=page.get_by_role("switch", name=CODE_AND_DATA_LABEL)).click()
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the plotted curves (CSV)").click()
    download = download_info.value
    assert download.suggested_filename.endswith(".csv") and f"{key}{value}" in download.suggested_filename
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "step,series,loss"
    first = lines[1].split(",")
    assert first[0] == "0" and abs(float(first[-1]) - printed) <= 0.01 * abs(printed)
    assert exceptions(page) == []

"""Every page in a real Chromium: loads clean, sliders move by keyboard, answers reveal."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from content.questions import load_bank
from tests.e2e.browser import (
    CHARTS_SETTLED_JS,
    charts_signature,
    exceptions,
    open_app,
    press_and_wait_for_redraw,
    wait_settled,
)

BANK = load_bank()
# The slider each test moves with the keyboard (ArrowRight; ArrowLeft where
# the default sits at the slider's maximum).
ARROW_LEFT = {"q3_sparse_gradients"}
SLIDER = {
    "q1_adam_high_learning_rate": "Learning rate",
    "q2_rmsprop_first_step": "Seed",
    "q3_sparse_gradients": "Sparsity",
    "q4_sgd_momentum": "Momentum",
    "q5_nan_loss": "Learning rate",
}
NORMAL = {"width": 1280, "height": 900}
PROJECTOR = {"width": 1024, "height": 768}


def _arrow(question_id: str) -> str:
    return "ArrowLeft" if question_id in ARROW_LEFT else "ArrowRight"


def test_home_page(page: Page, app_url: str, screenshots_dir):
    page.set_viewport_size(NORMAL)
    open_app(page, app_url)
    assert exceptions(page) == []
    expect(page.get_by_role("heading", name="Optimizer Explorer")).to_be_visible()
    for question in BANK.questions:
        expect(page.get_by_text(f"Question {question.number}: {question.title}")).to_be_visible()
    page.screenshot(path=screenshots_dir / "home.png")
    page.get_by_text("Question 2: ").click()
    wait_settled(page, 180_000)
    expect(page.get_by_role("heading", name=re.compile("Question 2"))).to_be_visible()


@pytest.mark.parametrize("question_id", list(SLIDER))
def test_question_page(page: Page, app_url: str, screenshots_dir, question_id: str):
    question = BANK.by_id(question_id)
    page.set_viewport_size(NORMAL)
    open_app(page, f"{app_url}/{question_id}")
    assert exceptions(page) == []
    expect(page.locator(".js-plotly-plot").first).to_be_visible()

    press_and_wait_for_redraw(page, SLIDER[question_id], _arrow(question_id))
    assert exceptions(page) == []
    assert question.main_control.key in page.url

    page.get_by_text("Show hint").click()
    expect(page.get_by_text(question.hint)).to_be_visible()
    page.get_by_text(question.choices[question.correct_choice].text).first.click()
    wait_settled(page)
    page.get_by_role("button", name="Reveal answer").click()
    wait_settled(page)
    expect(page.get_by_text("Your prediction is right.")).to_be_visible()
    expect(page.get_by_text(re.compile(r"^Verdict: "))).to_be_visible()
    expect(page.get_by_role("heading", name="What the experiment shows")).to_be_visible()
    assert exceptions(page) == []
    page.screenshot(path=screenshots_dir / f"{question_id}-answer.png")
    page.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
    page.screenshot(path=screenshots_dir / f"{question_id}.png")


def test_nan_preset_shows_its_marker(page: Page, app_url: str, screenshots_dir):
    page.set_viewport_size(NORMAL)
    open_app(page, f"{app_url}/q5_nan_loss")
    page.get_by_role("button", name="Diverges").click()
    wait_settled(page)
    marker = page.locator(".js-plotly-plot text", has_text=re.compile(r"(NaN|Inf) at epoch \d+"))
    expect(marker.first).to_be_visible()
    # The finite part of the curve is still drawn.
    assert page.locator(".js-plotly-plot path.js-line").count() >= 1
    assert exceptions(page) == []
    marker.first.scroll_into_view_if_needed()
    page.screenshot(path=screenshots_dir / "q5_nan_loss-diverges.png")


@pytest.mark.parametrize("question_id", list(SLIDER))
def test_projector_mode(page: Page, app_url: str, screenshots_dir, question_id: str):
    """?projector=1 at 1024x768: no sidebar in the way, large type, the toggle remembers it."""
    page.set_viewport_size(PROJECTOR)
    open_app(page, f"{app_url}/{question_id}?projector=1")
    assert exceptions(page) == []
    expect(page.locator('[data-testid="stSidebar"]')).to_have_attribute("data-collapsed", "true")
    # The projector style sheet arrives as an element of the run; wait for it to apply.
    page.wait_for_function(
        """() => {
            const px = sel => parseFloat(getComputedStyle(document.querySelector(sel)).fontSize);
            return px('[data-testid="stMain"] h1') >= 56
                && px('[data-testid="stMain"] [data-testid="stMarkdownContainer"] p') >= 24
                && px('[data-testid="stMetricValue"] p') >= 60;
        }""", timeout=15_000)
    expect(page.get_by_text(BANK.by_id(question_id).hint)).to_have_count(0)  # hidden until clicked
    press_and_wait_for_redraw(page, SLIDER[question_id], _arrow(question_id))
    assert "projector=1" in page.url
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
    page.screenshot(path=screenshots_dir / f"{question_id}-projector.png")


def test_link_round_trip(page: Page, app_url: str, context):
    """Move a slider, copy the address bar, open it in a new tab: same numbers."""
    page.set_viewport_size(NORMAL)
    open_app(page, f"{app_url}/q2_rmsprop_first_step")
    press_and_wait_for_redraw(page, "Seed")
    press_and_wait_for_redraw(page, "Learning rate")
    link = page.url
    assert "seed=43" in link and "lr=0.02" in link
    printed = page.locator('[data-testid="stMetricValue"]').first.inner_text()
    other = context.new_page()
    other.set_viewport_size(NORMAL)
    open_app(other, link)
    other.wait_for_function(CHARTS_SETTLED_JS)
    assert other.locator('[data-testid="stMetricValue"]').first.inner_text() == printed
    assert charts_signature(other) == charts_signature(page)


def test_csv_download_is_the_configuration_on_screen(page: Page, app_url: str, tmp_path):
    """The CSV is made on click (a deferred download): after a slider move, of the new seed."""
    page.set_viewport_size(NORMAL)
    open_app(page, f"{app_url}/q2_rmsprop_first_step")
    press_and_wait_for_redraw(page, "Seed")
    printed = float(page.locator('[data-testid="stMetricValue"]').first.inner_text())
    with page.expect_download() as download_info:
        page.get_by_role("button", name="Download the plotted curves (CSV)").click()
    download = download_info.value
    assert download.suggested_filename == "rmsprop_seed43_lr0.01.csv"
    path = tmp_path / download.suggested_filename
    download.save_as(path)
    lines = path.read_text().splitlines()
    assert lines[0] == "step,series,loss"
    first = lines[1].split(",")
    assert first[0] == "0" and abs(float(first[-1]) - printed) <= 0.01 * abs(printed)
    assert exceptions(page) == []

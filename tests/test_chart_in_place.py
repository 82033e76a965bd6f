"""Charts are updated in place: a slider move keeps each chart's identity and sends it a new figure.

The browser side (the chart's element survives a move) is tested in
tests/e2e/test_browser.py::test_question_page.
"""

from __future__ import annotations

import gzip
import logging

from harness.sliders import arrow_with_room, value_after
from tests.apptest_helpers import QUESTION_IDS, charts, errors, open_page, plotly_data, switch_everything_on
from tests.bank_defaults import question_for
from ui import chart_in_place


def test_a_slider_move_keeps_the_charts_and_changes_their_figures():
    question = question_for("momentum_valley")
    at = open_page(question.id)
    before_ids = [chart.proto.id for chart in charts(at)]
    before = plotly_data(at)
    assert before_ids and all(chart.type == "bidi_component" for chart in charts(at))

    control = question.main_control
    at.slider(key=f"{question.id}:{control.key}").set_value(value_after(control, arrow_with_room(control))).run()
    assert errors(at) == []
    # The same identity (Streamlit keeps the element mounted) and a new figure (redrawn in place).
    assert [chart.proto.id for chart in charts(at)] == before_ids
    assert plotly_data(at) != before


def test_every_chart_carries_its_text_description():
    """The caption under a chart (what a screen reader reads for it) travels with the chart's data."""
    for question_id in QUESTION_IDS:
        at = switch_everything_on(open_page(question_id))
        captions = [chart_in_place.caption_of(chart.proto.json) for chart in charts(at)]
        assert captions and all(len(caption) > 20 for caption in captions), (question_id, captions)


def test_plotly_js_is_served_as_the_installed_plotly_wrote_it_plain_and_gzipped():
    assert chart_in_place.serve_plotly_js()
    installed = chart_in_place._PLOTLY_JS.read_bytes()
    assert chart_in_place.STATIC_PLOTLY_JS.read_bytes() == installed
    assert gzip.decompress(chart_in_place.STATIC_PLOTLY_JS_GZ.read_bytes()) == installed


def test_without_a_place_to_serve_plotly_js_charts_fall_back_to_streamlits_own(monkeypatch, caplog):
    # A path under a regular file cannot be made: as a read-only app folder would refuse it.
    unwritable = chart_in_place._JS / "static"
    monkeypatch.setattr(chart_in_place, "STATIC_PLOTLY_JS", unwritable / "plotly.min.js")
    monkeypatch.setattr(chart_in_place, "STATIC_PLOTLY_JS_GZ", unwritable / "plotly.min.js.gz")
    chart_in_place.serve_plotly_js.cache_clear()
    try:
        with caplog.at_level(logging.WARNING, logger=chart_in_place.__name__):
            at = open_page(QUESTION_IDS[0])
        assert errors(at) == []
        assert at.get("plotly_chart") and not at.get("bidi_component")
        assert len(at.caption) >= len(at.get("plotly_chart")), "each chart's text description under it"
        assert "could not serve plotly.js" in caplog.text
    finally:
        chart_in_place.serve_plotly_js.cache_clear()

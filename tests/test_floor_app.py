"""The benchmarks' floor app (benchmarks/floor_app.py) starts, draws one chart and redraws on a move."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from benchmarks.floor_app import POINTS, SLIDER_LABEL, curves
from harness.server import ROOT


def test_floor_app_draws_one_chart_of_two_series_and_redraws_on_a_move():
    at = AppTest.from_file(str(ROOT / "benchmarks" / "floor_app.py"), default_timeout=30).run()
    assert not at.exception
    assert [s.label for s in at.slider] == [SLIDER_LABEL]
    charts = at.get("plotly_chart")
    assert len(charts) == 1
    before = charts[0].proto.spec
    at.slider[0].set_value(1).run()
    assert at.get("plotly_chart")[0].proto.spec != before


def test_every_slider_value_gives_new_curves():
    xs, decay, oscillation = curves(0)
    assert len(xs) == len(decay) == len(oscillation) == POINTS
    assert curves(1)[1][-20:] != decay[-20:]

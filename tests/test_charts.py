"""Chart text helpers: titles that wrap on a projector, and nothing changed in normal mode."""

from __future__ import annotations

from charts import ChartStyle, base_layout, wrap


def test_wrap_keeps_words_whole_and_leaves_no_lone_last_word():
    assert wrap("SGD (momentum 0.9)", 10) == "SGD<br>(momentum<br>0.9)"
    # As few lines as at the full width, with the longest as short as can be: no lone last word.
    assert wrap("Adam on a 3-feature regression, full batch, seed 0", 48) == (
        "Adam on a 3-feature<br>regression, full batch, seed 0")
    assert wrap("Adagrad", 3) == "Adagrad"  # a word longer than the width stays whole
    assert wrap("Rare-weight RMS error (log scale)", 10) == "Rare-weight<br>RMS error<br>(log<br>scale)"
    assert wrap("short title", None) == "short title"


def test_normal_mode_keeps_the_theme_and_one_line_titles():
    title = "Steps to converge by momentum (same valley and learning rate, up to 1000 steps)"
    normal = base_layout(ChartStyle(), title, "Momentum", "Steps")
    assert normal["title"]["text"] == title and normal["margin"]["t"] == 60
    assert "tickfont" not in normal["xaxis"] and "color" not in normal["font"]

    projector = base_layout(ChartStyle.projector(), title, "Momentum", "Steps")
    assert projector["title"]["text"].count("<br>") == 1 and projector["margin"]["t"] > 60
    assert projector["xaxis"]["tickfont"]["size"] == 22

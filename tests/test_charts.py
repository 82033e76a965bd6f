"""Readable charts at any input: few tick labels, labels that do not overlap, curves that say why they stop.

Every figure builder is run at the extremes a user can reach (the "Round bowl"
preset's loss falling to 1e-37 and then to exactly 0, momentum 0.99 flying the
weight to w = 83, learning rates that overflow, NaN/Inf curves), in normal and
projector style. The tick labels an axis shows are computed from the layout
alone (explicit `tickvals`, or `dtick` over an explicit range), so a figure
cannot leave them to plotly's defaults, which labelled ~40 decades of a log axis.

Question 4's and question 2's figures come from real engine runs (cheap); the
other scenarios' results take seconds to minutes to compute, so their frames
are written out here with the numbers a real run gave.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import pytest

import charts
from charts import ChartStyle, base_layout, wrap
from charts import adam_high_learning_rate as q1_charts
from charts import momentum_valley as q4_charts
from charts import nan_loss as q5_charts
from charts import sparse_gradients as q3_charts
from charts.axes import Scale, axis_for, axis_ticks, decades, implied_ticks, scale_for, use_log
from charts.labels import label_centre, spread
from tests.bank_defaults import default_params

STYLES = {"normal": ChartStyle(), "projector": ChartStyle.projector()}
MOST_TICKS = 10
# Reference-line labels on one side of a plot: centres at least this far apart (fraction of the axis).
MIN_LABEL_GAP = 0.06


# ------------------------------------------------------------------ the pure helpers


def test_wrap_keeps_words_whole_and_leaves_no_lone_last_word():
    assert wrap("SGD (momentum 0.9)", 10) == "SGD<br>(momentum<br>0.9)"
    # As few lines as at the full width, with the longest as short as can be: no lone last word.
    assert wrap("Adam on a 3-feature regression, full batch, seed 0", 48) == (
        "Adam on a 3-feature<br>regression, full batch, seed 0")
    assert wrap("Adagrad", 3) == "Adagrad"  # a word longer than the width stays whole
    assert wrap("Rare-weight RMS error (log scale)", 10) == "Rare-weight<br>RMS error<br>(log<br>scale)"
    assert wrap("short title", None) == "short title"


def test_titles_wrap_to_fit_a_phone_and_the_plot_keeps_its_height():
    title = "Steps to converge by momentum (same valley and learning rate, up to 1000 steps)"
    normal = base_layout(ChartStyle(), title, "Momentum", "Steps until the loss stays below 0.001 of its start")
    lines = normal["title"]["text"].split("<br>")
    assert len(lines) >= 2 and max(map(len, lines)) <= ChartStyle().title_chars
    # The y-axis title wraps too: one line ran past the plot's height into the chart's title.
    assert max(map(len, normal["yaxis"]["title"]["text"].split("<br>"))) <= ChartStyle().axis_title_chars
    one_line = base_layout(ChartStyle(), "Short", "x", "y")
    assert normal["height"] > one_line["height"] and normal["margin"]["t"] > one_line["margin"]["t"]
    assert "tickfont" not in normal["xaxis"] and "color" not in normal["font"]

    projector = base_layout(ChartStyle.projector(), title, "Momentum", "Steps")
    assert max(map(len, projector["title"]["text"].split("<br>"))) <= ChartStyle.projector().title_chars
    assert projector["xaxis"]["tickfont"]["size"] == 22


@pytest.mark.parametrize(("low", "high"), [(4.8e-37, 510.0), (0.0133, 0.86), (1e-4, 10.0), (34.8, 7.8e36),
                                            (0.5, 5e10), (0.022, 0.028), (1.0, 1.0), (1e-300, 1e300)])
@pytest.mark.parametrize("max_ticks", [4, 6, 8])
def test_log_and_linear_ticks_stay_few_at_any_range(low, high, max_ticks):
    for log in (None, True, False):
        scale, axis = axis_for([low, high], log=log, max_ticks=max_ticks)
        ticks = implied_ticks(axis)
        assert ticks is not None, axis
        assert 1 <= len(ticks) <= max_ticks, (low, high, log, axis)
        assert all(isinstance(axis.get("dtick", 1), int | float) for _ in ticks)  # never "D1"/"D2"
        if scale.log:
            assert decades(low, high) >= 1, "less than one decade never gets a log axis"


def test_values_within_one_decade_get_a_linear_axis():
    assert not use_log([0.022, 0.028], prefer=True)
    assert use_log([0.012, 0.16], prefer=True) and not use_log([0.012, 0.16])
    assert use_log([4.8e-37, 510.0]) and not use_log([4.8e-37, 510.0], prefer=False)


def test_a_short_log_range_labels_inside_its_decades_only():
    """The q1 sweep's rates 1e-4…10: powers of ten, nothing beyond the first and last decade."""
    scale, axis = axis_for([1e-4, 10.0], log=True, max_ticks=6, pad=0.04)
    assert implied_ticks(axis) == [-4, -3, -2, -1, 0, 1]
    scale, axis = axis_for([0.0133, 0.86], log=True, max_ticks=8)
    assert axis["tickmode"] == "array" and axis["tickvals"][0] >= 0.0133 * 0.7


def test_spread_keeps_labels_apart_and_inside():
    centres = spread([0.04, 0.05, 0.07, 0.10], 0.1)
    assert all(b - a >= 0.1 - 1e-9 for a, b in zip(sorted(centres), sorted(centres)[1:], strict=False))
    assert min(centres) >= 0.05 - 1e-9 and max(centres) <= 0.95 + 1e-9
    assert spread([0.2, 0.8], 0.1) == [0.2, 0.8]  # far apart: untouched
    assert spread([0.99], 0.1) == [pytest.approx(0.95)]


# ------------------------------------------------------------------ real and written-out results


def q4_run(**overrides: Any):
    return _q4_run(tuple(sorted(overrides.items())))


@cache
def _q4_run(overrides: tuple):
    from scenarios import momentum_valley as mv

    return mv.run(default_params("momentum_valley", **dict(overrides)))


@cache
def q4_sweep(learning_rate: float, condition_number: float):
    from scenarios import momentum_valley as mv

    return mv.momentum_sweep(learning_rate, condition_number)


@cache
def q4_basins():
    from scenarios import momentum_valley as mv

    return mv.basin_map()


def q2_run(**overrides: Any):
    return _q2_run(tuple(sorted(overrides.items())))


@cache
def _q2_run(overrides: tuple):
    from scenarios import rmsprop_first_step as q2

    return q2.run(default_params("rmsprop_first_step", **dict(overrides)))


# Question 1's sweep as the engine gave it (300 steps, full batch): peak losses to 5e10.
Q1_BY_RATE = pd.DataFrame({
    "learning_rate": [1e-4, 2e-4, 5e-4, 1e-3, 2e-3, 5e-3, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10],
    "final_median": [0.834, 0.690, 0.337, 0.150, 0.0370, 0.00506, 0.00159, 0.000985, 0.00266, 0.00158, 0.117,
                     0.764, 0.904, 1.537, 383.5, 11983.6],
    "final_min": [0.820, 0.681, 0.318, 0.128, 0.0189, 0.00207, 0.000553, 0.000505, 0.000696, 0.00146, 0.00439,
                  0.615, 0.802, 0.932, 23.4, 847.8],
    "final_max": [0.876, 0.751, 0.410, 0.198, 0.0978, 0.0067, 0.00238, 0.00244, 0.00584, 0.0242, 1.0, 1.0,
                  0.980, 2.127, 1298.9, 12042.8],
    "peak_median": [1.056] * 8 + [1.33, 4.44, 25.0, 989.1, 4.27e4, 2.62e6, 6.39e8, 4.64e10],
    "peak_min": [1.030] * 8 + [1.26, 2.67, 12.2, 459.6, 2.05e4, 7.26e5, 3.15e8, 9.25e9],
    "peak_max": [1.260] * 8 + [1.81, 5.88, 41.1, 2161.4, 8.48e4, 4.24e6, 8.90e8, 5.41e10],
    "dead_median": [1, 1, 1, 0, 2, 2, 2, 5, 17, 30, 30, 33, 35, 38, 39, 42],
})


def q1_curves(learning_rate: float) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Adam at `learning_rate` against the default: loss and dead ReLUs per step (300 steps)."""
    steps = np.arange(301)
    explode = learning_rate >= 1
    this = 1.26 * np.exp(-steps / 60) + 1e-3 if not explode else np.r_[1.26, 5.4e10, 1.1e8, np.full(298, 12000.0)]
    frames, dead = [], []
    for name, loss, dead_count in ((f"Adam, learning rate {learning_rate:g} (this run)", this,
                                    np.minimum(steps // 3, 42 if explode else 2)),
                                   ("Adam, learning rate 0.001 (default)", 1.26 * np.exp(-steps / 150), steps * 0)):
        frames.append(pd.DataFrame({"step": steps, "series": name, "loss": loss}))
        dead.append(pd.DataFrame({"step": steps, "series": name, "dead": dead_count.astype(float)}))
    return pd.concat(frames, ignore_index=True), pd.concat(dead, ignore_index=True)


def q3_summary(rare: tuple[float, ...], common: tuple[float, ...]) -> pd.DataFrame:
    return pd.DataFrame({"label": ["SGD", "SGD (momentum 0.9)", "Adagrad", "RMSprop", "Adam"],
                         "rare_error": rare, "common_error": common})


# Question 3, sparsity 0.99, 100 steps, seed 0 (the engine's numbers); and the all-rare control,
# whose errors lie within 0.022-0.028: on a log axis that looked like a large difference.
Q3_SUMMARY = q3_summary((0.160, 0.156, 0.0172, 0.114, 0.0216), (0.0133, 0.0165, 0.00852, 0.0318, 0.00593))
Q3_CONTROL = q3_summary((0.028, 0.027, 0.022, 0.025, 0.023), (np.nan,) * 5)


def q3_error_curves(blow_up: bool = False) -> pd.DataFrame:
    steps = np.arange(101)
    frames = []
    for i, label in enumerate(Q3_SUMMARY["label"]):
        error = 0.86 * np.exp(-steps / (10 + 15 * i)) + 0.0163
        if blow_up and i == 0:
            error = error * np.exp(steps / 2.0)
            error[40:] = np.inf
        frames.append(pd.DataFrame({"step": steps, "series": label, "loss": error}))
    return pd.concat(frames, ignore_index=True)


def q3_sweep() -> pd.DataFrame:
    rates = np.array([1e-4, 3e-4, 1e-3, 3e-3, 0.01, 0.03, 0.1, 0.3, 1.0, 3.0, 10.0])
    rows = []
    for i, label in enumerate(Q3_SUMMARY["label"]):
        loss = 0.75 * np.exp(-rates * 30 * (i + 1)) + 0.003 + np.where(rates > 0.3 * (i + 1), 1e30, 0)
        loss[-1] = np.nan if i % 2 else loss[-1]
        rows.append(pd.DataFrame({"label": label, "learning_rate": rates, "final_loss": loss,
                                  "rare_error": loss * 2, "tuned": rates == 0.1}))
    return pd.concat(rows, ignore_index=True)


def q3_seeds() -> pd.DataFrame:
    rng = np.random.default_rng(0)
    return pd.concat([pd.DataFrame({"label": label, "seed": np.arange(20),
                                    "rare_error": np.exp(rng.normal(np.log(0.02 * (1 + 3 * (i % 2))), 0.4, 20))})
                      for i, label in enumerate(Q3_SUMMARY["label"])], ignore_index=True)


def q3_update_map() -> pd.DataFrame:
    rows = [(label, step, weight, bool((step + weight) % 3), bool((step * weight) % 2))
            for label in Q3_SUMMARY["label"] for step in range(20) for weight in range(12)]
    return pd.DataFrame(rows, columns=["label", "step", "weight", "has_gradient", "moved"])


def q5_curves(diverge: bool) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The question's loop, as the engine gave it: SGD at 1 on data ~100 overflows at epoch 2."""
    epochs = np.arange(11)
    if diverge:
        loss = np.r_[4.3e4, 6.8e20, np.inf, np.full(8, np.nan)]
        weight = np.r_[0.636, 2.04e4, 5.34e16, np.full(8, np.nan)]
        dead = np.r_[0.0, 0.0, 0.0, np.full(8, np.nan)]
    else:
        loss = 4.3 * np.exp(-epochs / 3)
        weight = 0.636 + epochs * 0.01
        dead = np.minimum(epochs, 3).astype(float)
    series = "SGD, learning rate 1"
    return (pd.DataFrame({"epoch": epochs, "series": series, "loss": loss}),
            pd.DataFrame({"step": epochs, "series": series, "largest_weight": weight, "dead_units": dead}))


# ------------------------------------------------------------------ every builder, at the extremes

Builder = Callable[[ChartStyle], go.Figure]


def _q4_landmarks():
    from scenarios import momentum_valley as mv

    g = mv.landscape_geometry()
    return ([("shallow min", g.shallow_minimum), ("bump", g.bump), ("deep min", g.deep_minimum),
             ("plateau", g.plateau_from)],
            [("shallow min", g.shallow_loss), ("deep min", g.deep_loss), ("plateau", 0.0)])


# (momentum, learning rate, condition number): the default, the "Round bowl" preset (loss to
# 1e-37, then exactly 0), "Too much" (0.99: w flies to 83), the largest rate (overflow at step 11).
Q4_CASES = {"default": {}, "round bowl": {"condition_number": 1}, "momentum 0.99": {"momentum": 0.99},
            "lr 1": {"learning_rate": 1.0}, "plain lr 1": {"momentum": 0.0, "learning_rate": 1.0,
                                                           "condition_number": 100}}


def builders() -> Iterator[tuple[str, Builder]]:
    from scenarios import momentum_valley as mv
    from scenarios import rmsprop_first_step as q2

    for lr in (0.001, 1.0, 10.0):
        curve, dead = q1_curves(lr)
        yield f"q1 loss lr {lr:g}", lambda s, c=curve: charts.loss_curves(c, title="Adam on a 3-feature "
                                                                          "regression, full batch, seed 0", style=s)
        yield f"q1 dead lr {lr:g}", lambda s, d=dead: q1_charts.dead_units_curves(
            d, total=44, title="Dead ReLUs during training", style=s)
        yield f"q1 sweep lr {lr:g}", lambda s, lr=lr: q1_charts.learning_rate_sweep(
            Q1_BY_RATE, current_learning_rate=lr, reference_loss=1.0, reference_label="Always predicting the mean",
            total_units=44, title="Learning-rate sweep: 5 initial weights, 300 steps, full batch", style=s)

    for overrides in ({}, {"learning_rate": 1.0}, {"learning_rate": 1e-4, "steps": 1}):
        yield f"q2 curve {overrides}", lambda s, o=overrides: charts.loss_curves(
            q2_run(**o).curve, title="RMSprop (learning rate 0.01) on y = 2x, seed 42", style=s)
    printed = np.exp(np.random.default_rng(1).normal(np.log(8), 0.9, 400)).clip(0.595, 103.9)
    for seed_value in (0.595, 10.0, 103.9):
        yield f"q2 histogram seed at {seed_value}", lambda s, v=seed_value: charts.histogram(
            printed, title="Printed value for seeds 0–399", x_title="Printed loss (before the first update)",
            highlight=v, highlight_label="seed 42", band=q2.CLAIM_BAND, band_label="“around 10”", style=s)

    yield "q3 error curves", lambda s: q3_charts.error_curves(
        q3_error_curves(), floor=0.0133, title="Rare weights: RMS error per step (tuned rates)",
        y_title="Rare-weight RMS error", style=s)
    yield "q3 error curves, one blows up", lambda s: q3_charts.error_curves(
        q3_error_curves(blow_up=True), floor=0.0133, title="Rare weights", y_title="Rare-weight RMS error", style=s)
    yield "q3 loss", lambda s: q3_charts.tuned_loss_curves(q3_error_curves(blow_up=True),
                                                          title="Full-data loss (tuned rates)", style=s)
    yield "q3 bars", lambda s: q3_charts.error_bars(
        Q3_SUMMARY, floors={"rare_error": 0.0133, "common_error": 0.00204}, style=s,
        title="Final weight error after 100 steps, rare next to common")
    yield "q3 control bars", lambda s: q3_charts.error_bars(
        Q3_CONTROL, columns=("rare_error",), floors={"rare_error": 0.021}, style=s,
        title="All features rare: rare-weight error after 100 steps")
    for y in ("final_loss", "rare_error"):
        yield f"q3 sweep {y}", lambda s, y=y: q3_charts.sweep_chart(
            q3_sweep(), y=y, y_title=y, cap=50.0, title="Final loss by learning rate (★ = picked)", style=s)
    yield "q3 seeds", lambda s: q3_charts.seed_strip(q3_seeds(), highlight_seed=3, style=s,
                                                    title="Rare-weight error on seeds 0–19 (sparsity 0.99, "
                                                          "100 steps, tuned per seed)")
    yield "q3 update map", lambda s: q3_charts.update_map_chart(
        q3_update_map(), n_common=4, style=s, title="First 20 steps of each tuned run: what happened to each weight")

    # Engine runs only when a figure is built (cached): collecting the tests trains nothing.
    for case, o in Q4_CASES.items():
        yield f"q4 valley {case}", lambda s, o=o: q4_charts.valley_paths(
            q4_run(**o).curve, curvatures=mv.valley_curvatures(q4_run(**o).params.condition_number),
            w1_range=(-5.0, 5.0), w2_range=(-1.6, 1.6), title="Paths in the valley, 200 steps", style=s)
        yield f"q4 loss {case}", lambda s, o=o: charts.loss_curves(
            q4_run(**o).curve, title=f"Loss, learning rate {q4_run(**o).params.learning_rate:g}, condition number "
                                     f"{q4_run(**o).params.condition_number:g}", style=s)
        yield f"q4 landscape {case}", lambda s, o=o: q4_charts.landscape_chart(
            q4_run(**o).landscape, loss=mv.landscape_loss, x_range=(-5.5, 8.0),
            title="Where the weight goes on the landscape", style=s)
        yield f"q4 position {case}", lambda s, o=o: q4_charts.position_chart(
            q4_run(**o).landscape, levels=_q4_landmarks()[0], title="Position w at each step", style=s)
    for learning_rate, condition in ((0.01, 50), (1.0, 50), (0.01, 1)):
        for momentum in (0.0, 0.5, 0.99):
            yield f"q4 sweep lr {learning_rate:g} k {condition} m {momentum}", \
                lambda s, lr=learning_rate, k=condition, m=momentum: q4_charts.steps_to_converge_chart(
                    q4_sweep(lr, k).frame(), horizon=q4_sweep(lr, k).horizon,
                    converged_fraction=mv.CONVERGED_FRACTION, current_momentum=m,
                    title="Steps to converge by momentum (same valley and learning rate, up to 1000 steps)",
                    style=s)
    for momentum in (0.0, 0.5, 0.99):
        yield f"q4 basin map m {momentum}", lambda s, m=momentum: q4_charts.basin_map_chart(
            q4_basins().frame(), current_momentum=m, levels=_q4_landmarks()[1], style=s,
            title="Where the weight ends after 300 steps, for momentum 0 to 0.99")

    for diverge in (False, True):
        curve, diagnostics = q5_curves(diverge)
        yield f"q5 loss diverge={diverge}", lambda s, c=curve: q5_charts.tidy_loss_curves(
            c, title="Loss per epoch: SGD, learning rate 1, data around 100, seed 0", style=s, x="epoch",
            x_title="Epoch")
        yield f"q5 health diverge={diverge}", lambda s, d=diagnostics: q5_charts.health_figure(
            d, hidden_units=16, title="Largest |weight| and dead ReLU units per epoch", style=s)
    labels = ["Adam, lr 1, data ~1 (the question)", "SGD, lr 1, data ~1", "SGD, lr 1, data ~100 (Diverges)",
              "SGD, lr 1, data ~100, clipnorm=1.0", "Adam, lr 100, data ~1000000"]
    yield "q5 sweep bars", lambda s: q5_charts.sweep_bars(labels, [0, 0, 20, 0, 17], 20, highlight=0, style=s,
                                                          title="Seeds whose loss went NaN/Inf within 10 epochs")


BUILDERS = dict(builders())


# ------------------------------------------------------------------ what the layout implies


def axes_of(layout: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for key, value in layout.items():
        if key.startswith(("xaxis", "yaxis")) and isinstance(value, dict):
            yield key, value


def categories(fig: go.Figure, axis: str) -> int:
    """How many categories an axis without explicit ticks shows (bars and boxes by name)."""
    letter = axis[0]
    values = set()
    for trace in fig.to_dict()["data"]:
        data = trace.get(letter)
        if data is not None and len(data) and isinstance(data[0], str):
            values.update(data)
    return len(values)


def tick_count(fig: go.Figure, name: str, axis: dict[str, Any]) -> int:
    if axis.get("showticklabels") is False:
        return 0
    ticks = implied_ticks(axis)
    if ticks is not None:
        return len(ticks)
    assert axis.get("type") == "category" or categories(fig, name), f"{name} leaves its ticks to plotly: {axis}"
    return categories(fig, name)


def scale_of(axis: dict[str, Any]) -> Scale:
    low, high = axis["range"]
    return Scale(axis.get("type") == "log", low, high)


def line_labels(layout: dict[str, Any]) -> dict[tuple[str, str], list[dict[str, Any]]]:
    """Annotations labelling horizontal lines: placed on a y axis's data coordinates, at one end of the plot."""
    sides: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for annotation in layout.get("annotations", []):
        if str(annotation.get("yref", "")).startswith("y") and "domain" not in annotation["yref"] \
                and str(annotation.get("xref", "")).endswith("domain"):
            sides.setdefault((annotation["yref"], annotation.get("xanchor", "")), []).append(annotation)
    return sides


@pytest.fixture(scope="module", params=sorted(BUILDERS))
def built(request) -> dict[str, tuple[go.Figure, dict[str, Any]]]:
    figures = {}
    for style_name, style in STYLES.items():
        fig = BUILDERS[request.param](style)
        figures[style_name] = fig, fig.to_dict()["layout"]
    return figures


def test_every_figure_is_valid_plotly(built):
    for fig, _ in built.values():
        go.Figure(fig.to_dict())  # raises on an unknown or invalid property


def test_series_differ_by_more_than_colour(built):
    """Greyscale and a washed-out projector: each named line differs from the others by dash or marker symbol."""
    for style_name, (fig, _) in built.items():
        looks: dict[str, tuple[str, str | None]] = {}
        for trace in fig.to_dict()["data"]:
            mode = trace.get("mode", "")
            if trace.get("type") != "scatter" or "lines" not in mode or trace.get("showlegend") is False:
                continue
            symbol = (trace.get("marker") or {}).get("symbol", "circle") if "markers" in mode else None
            look = ((trace.get("line") or {}).get("dash", "solid"),
                    tuple(symbol) if isinstance(symbol, list) else symbol)
            looks.setdefault(trace["name"], look)
        assert len(set(looks.values())) == len(looks), (style_name, looks)


def test_no_axis_shows_more_than_ten_tick_labels(built):
    for style_name, (fig, layout) in built.items():
        for name, axis in axes_of(layout):
            count = tick_count(fig, name, axis)
            assert count <= MOST_TICKS, f"{style_name} {name}: {count} labels ({axis})"
            if axis.get("type") == "log":
                assert decades(*[10 ** v for v in axis["range"]]) >= 1, f"{name}: log axis under one decade"


def test_reference_line_labels_keep_apart_and_inside_the_plot(built):
    for style_name, (_, layout) in built.items():
        style = STYLES[style_name]
        for (yref, _side), labels in line_labels(layout).items():
            scale = scale_of(layout["yaxis" + yref[1:]])
            centres = sorted(label_centre(a, scale, style.label_height()) for a in labels)
            for lower, upper in zip(centres, centres[1:], strict=False):
                assert upper - lower >= MIN_LABEL_GAP, f"{style_name}: labels {centres} too close"
            assert all(-0.01 <= c <= 1.01 for c in centres), f"{style_name}: a label outside the plot: {centres}"


def test_over_the_plot_labels_have_a_row_under_the_title(built):
    for style_name, (_, layout) in built.items():
        over = [a for a in layout.get("annotations", []) if a.get("y") == 1 and a.get("yanchor") == "bottom"
                and (a.get("yref") == "paper" or "domain" in str(a.get("yref")))]
        if over:
            style = STYLES[style_name]
            title_px = layout["title"]["text"].count("<br>") * style.title_size * 1.3 + style.title_size * 1.3
            assert layout["margin"]["t"] >= title_px + style.font_size * 1.4, f"{style_name}: no room over the plot"


def test_titles_are_wrapped_for_the_style(built):
    for style_name, (_, layout) in built.items():
        limit = STYLES[style_name].title_chars
        title = layout["title"]["text"]
        assert max(len(line) for line in title.split("<br>")) <= max(limit, max(map(len, title.split()))), title


# ------------------------------------------------------------------ the cases the screenshots showed


def _annotation_texts(fig: go.Figure) -> list[str]:
    return [a["text"] for a in fig.to_dict()["layout"].get("annotations", [])]


def test_round_bowl_loss_says_plain_sgd_reached_zero():
    result = q4_run(condition_number=1)
    plain = result.curve[result.curve["series"].str.contains("plain")]["loss"].to_numpy(float)
    first_zero = int(np.flatnonzero(plain == 0)[0])
    fig = BUILDERS["q4 loss round bowl"](ChartStyle())
    layout = fig.to_dict()["layout"]
    assert layout["yaxis"]["type"] == "log"
    assert f"loss reached 0 at step {first_zero}" in _annotation_texts(fig)
    assert tick_count(fig, "yaxis", layout["yaxis"]) <= 8  # was ~40: every decade from 1e-37 to 1e3


def test_overflow_is_named_at_its_step_once_for_curves_that_stop_together():
    result = q4_run(learning_rate=1.0)
    fig = BUILDERS["q4 loss lr 1"](ChartStyle())
    texts = _annotation_texts(fig)
    assert result.first_nonfinite_step == result.baseline_first_nonfinite_step
    assert texts == [f"overflow at step {result.first_nonfinite_step} (both)"] or texts == [
        f"NaN at step {result.first_nonfinite_step} (both)"]
    layout = fig.to_dict()["layout"]
    assert tick_count(fig, "yaxis", layout["yaxis"]) <= 8


def test_diverging_valley_paths_say_when_they_leave():
    texts = _annotation_texts(BUILDERS["q4 valley lr 1"](ChartStyle()))
    step = q4_run(learning_rate=1.0).first_nonfinite_step
    assert any(t.replace("<br>", " ") == f"overflow at step {step} (both): the paths leave the chart" for t in texts)


def test_q5_loss_and_weights_say_where_they_stop():
    assert _annotation_texts(BUILDERS["q5 loss diverge=True"](ChartStyle())) == ["overflow at epoch 2"]
    assert _annotation_texts(BUILDERS["q5 health diverge=True"](ChartStyle())) == ["weights NaN at epoch 3"]
    assert _annotation_texts(BUILDERS["q5 loss diverge=False"](ChartStyle())) == []


@pytest.mark.parametrize("condition_number", [1, 50, 1000])
def test_valley_map_is_the_loss_shaded_with_its_level_lines(condition_number):
    """The shading decoded with Pillow (not the code that wrote it); the level lines checked with the engine."""
    import base64
    import io

    from PIL import Image

    from scenarios import momentum_valley as mv

    w1_range, w2_range = (-5.0, 5.0), (-1.6, 1.6)
    shading, xs, ys = q4_charts.valley_map(tuple(mv.valley_curvatures(condition_number)), w1_range, w2_range)
    assert shading.startswith("data:image/png;base64,") and len(shading) < 4_000
    image = np.asarray(Image.open(io.BytesIO(base64.b64decode(shading.split(",", 1)[1]))).convert("L"), float)
    height, width = image.shape
    assert (width, height) == q4_charts.SHADING_PIXELS
    assert image[height // 2, width // 2] > 250, "the minimum (0, 0) is white"
    assert image[0, 0] < 165 and image[-1, -1] < 165, "the corners, highest in loss, are grey"
    assert (np.diff(image[height // 2, width // 2:]) <= 0).all(), "darker away from the minimum"

    # The level lines: ellipses on each of which the engine's loss is one value, evenly spaced in sqrt(loss).
    ellipses: list[list[tuple[float, float]]] = [[]]
    for x, y in zip(xs, ys, strict=True):
        if np.isnan(x):
            ellipses.append([])
        else:
            ellipses[-1].append((x, y))
    levels = []
    for points in (np.array(e) for e in ellipses if e):
        root = np.sqrt(mv.valley_loss(points[:, 0], points[:, 1], condition_number))
        assert root.max() - root.min() < 1e-3 * root.max()
        levels.append(root.mean())
    assert len(levels) == q4_charts.LEVELS
    assert np.allclose(np.diff(levels), levels[0], rtol=1e-3)


def test_momentum_099_spreads_the_landmark_labels():
    fig = BUILDERS["q4 position momentum 0.99"](ChartStyle())
    layout = fig.to_dict()["layout"]
    scale = scale_of(layout["yaxis"])
    lines = sorted(scale.fraction(s["y0"]) for s in layout["shapes"])
    assert lines[-1] - lines[0] < 0.15, "the case this guards: four landmarks within a few % of the axis"
    centres = sorted(label_centre(a, scale, ChartStyle().label_height()) for a in layout["annotations"])
    assert len(centres) == 4 and min(b - a for a, b in zip(centres, centres[1:], strict=False)) >= MIN_LABEL_GAP


def test_bars_within_a_decade_are_linear_from_zero():
    layout = BUILDERS["q3 control bars"](ChartStyle()).to_dict()["layout"]
    assert layout["yaxis"]["type"] == "linear" and layout["yaxis"]["range"][0] == 0


def test_q1_sweep_labels_only_its_decades():
    fig = BUILDERS["q1 sweep lr 1"](ChartStyle())
    layout = fig.to_dict()["layout"]
    assert implied_ticks(layout["xaxis2"]) == [-4, -3, -2, -1, 0, 1]


@pytest.mark.parametrize("seed_value", [0.595, 10.0, 103.9])
def test_the_seed_label_stays_inside_and_off_its_line(seed_value):
    fig = BUILDERS[f"q2 histogram seed at {seed_value}"](ChartStyle())
    layout = fig.to_dict()["layout"]
    seed = next(a for a in layout["annotations"] if a["text"] == "seed 42")
    # Over the plot, where the line is not; anchored so that it grows away from the nearer edge.
    assert seed["yref"] == "y domain" and seed["y"] == 1 and seed["yanchor"] == "bottom"
    fraction = scale_of(layout["xaxis"]).fraction(seed_value)
    assert seed["xanchor"] == ("left" if fraction < 0.2 else "right" if fraction > 0.8 else "center")


def test_a_constant_curve_and_an_empty_one_still_get_axes():
    flat = pd.DataFrame({"step": [0, 1, 2], "series": "a", "loss": [1.0, 1.0, 1.0]})
    dead = pd.DataFrame({"step": [0, 1], "series": "b", "loss": [np.nan, np.nan]})
    for frame in (flat, dead, pd.concat([flat, dead])):
        layout = charts.loss_curves(frame, title="t").to_dict()["layout"]
        assert 1 <= len(implied_ticks(layout["yaxis"])) <= 8
        assert math.isfinite(layout["yaxis"]["range"][0])


def test_scale_round_trips():
    scale = scale_for([1e-3, 1e3], log=True, pad=0)
    assert scale.fraction(1.0) == pytest.approx(0.5)
    assert scale.value(scale.at_fraction(0.5)) == pytest.approx(1.0)
    axis = axis_ticks(Scale(False, 0, 1000), 6, integer=True)
    assert implied_ticks(axis) == [0, 200, 400, 600, 800, 1000]


@pytest.mark.parametrize("momentum", [0.9, 0.99])
def test_valley_paths_draw_every_step_and_a_marker_every_few(momentum):
    """Each path's line goes through every step; its markers sit on every `marker_interval`-th step."""
    result = q4_run(momentum=momentum)
    data = q4_charts.valley_paths(result.curve, curvatures=(1.2, 60.0), w1_range=(-5.0, 5.0),
                                  w2_range=(-1.6, 1.6), title="t").data
    every = q4_charts.marker_interval(result.params.steps)
    assert every == 10 and result.params.steps == 200
    for name, group in result.curve.groupby("series", sort=False):
        line, markers, legend = [t for t in data if t.name == name]
        assert line.mode == "lines" and list(line.customdata) == list(group["step"])
        assert np.allclose(line.x, group["w1"]) and np.allclose(line.y, group["w2"])
        marked = group[group["step"] % every == 0]
        assert markers.mode == "markers" and np.allclose(markers.x, marked["w1"]) and len(markers.x) == 21
        assert legend.showlegend is not False and legend.mode == "lines+markers"
        assert legend.marker.symbol == markers.marker.symbol and legend.line.color == line.line.color


def test_marker_interval_keeps_each_path_to_twenty_markers():
    assert [q4_charts.marker_interval(s) for s in (10, 20, 21, 40, 100, 200, 300, 1000, 5000)] == \
        [1, 1, 2, 2, 5, 10, 20, 50, 500]


@pytest.mark.parametrize("projector", [False, True])
def test_every_chart_carries_the_house_look(projector):
    """The pages draw with theme=None: each chart brings the Streamlit theme's look in its own template."""
    style = ChartStyle.projector() if projector else ChartStyle()
    for name, build in BUILDERS.items():
        template = build(style).to_dict()["layout"].get("template", {}).get("layout", {})
        assert template.get("font", {}).get("family") == charts.FONT_FAMILY, name
        assert template["xaxis"]["gridcolor"] == template["yaxis"]["gridcolor"] == "#e6eaf1", name
        assert template["font"]["size"] == style.font_size, name


def test_series_rows_split_a_frame_as_pandas_groupby_does():
    frame = pd.DataFrame({"series": ["b", "a", "b", "c", "a"], "loss": [1.0, 2.0, 3.0, 4.0, 5.0]})
    expected = [(str(name), group.index.to_numpy()) for name, group in frame.groupby("series", sort=False)]
    got = charts.series_rows(frame)
    assert [name for name, _ in got] == [name for name, _ in expected] == ["b", "a", "c"]
    assert all(np.array_equal(rows, want) for (_, rows), (_, want) in zip(got, expected, strict=True))


def test_q3_records_are_pandas_records():
    from ui.experiments.sparse_gradients import records

    frame = pd.DataFrame({"label": ["SGD", "Adam"], "rare_error": [0.5, np.nan], "steps": [3, 4],
                          "tuned": [True, False], "first_nonfinite_step": [np.nan, 12.0]})
    assert repr(records(frame)) == repr(frame.to_dict("records"))

"""Question 4's experiment: SGD with momentum in a narrow valley and on a bumpy landscape."""

from __future__ import annotations

import contextlib
import functools
from typing import Any

import numpy as np
import streamlit as st

import charts
from charts import momentum_valley as figures
from content.questions import Question
from scenarios import momentum_valley as engine
from ui import layout
from ui.experiments import EvidenceOnRequest

VALLEY_W1_RANGE = (-5.0, 5.0)
VALLEY_W2_RANGE = (-1.6, 1.6)
LANDSCAPE_W_RANGE = (-5.5, 8.0)
BASIN_LABELS = {"shallow": "shallow minimum", "deep": "deep minimum",
                "plateau": "plateau (past the deep one)", "diverged": "diverged"}


@st.cache_data(max_entries=256, show_spinner="Training SGD with and without momentum…")
def run(
    momentum: float, learning_rate: float, condition_number: float, steps: int
) -> engine.MomentumValleyResult:
    return engine.run(engine.Params(
        momentum=momentum, learning_rate=learning_rate, condition_number=condition_number, steps=steps,
    ))


@st.cache_data(max_entries=256, show_spinner=f"Trying {len(engine.SWEEP_MOMENTA)} momenta from "
                                             f"{engine.SWEEP_MOMENTA[0]:g} to {engine.SWEEP_MOMENTA[-1]:g}…")
def sweep(learning_rate: float, condition_number: float) -> engine.MomentumSweep:
    return engine.momentum_sweep(learning_rate, condition_number)


@st.cache_resource(show_spinner=f"Mapping where the weight ends for {len(engine.BASIN_MAP_MOMENTA)} momenta "
                                "(once per server)…")
def basins() -> engine.BasinMap:
    return engine.basin_map()


def _steps_text(steps: int | None, limit: int, nonfinite_step: int | None = None) -> str:
    if nonfinite_step is not None:
        return f"diverged (step {nonfinite_step})"
    return str(steps) if steps is not None else f"> {limit}"


def _run_at(values: dict[str, Any]) -> engine.MomentumValleyResult:
    return run(float(values["momentum"]), float(values["learning_rate"]), float(values["condition_number"]),
               int(values["steps"]))


def prefetch(values: dict[str, Any]) -> None:
    """The run `show` would make at `values`, into the cache (`ui.prefetch`: the slider's next notch)."""
    _run_at(values)


def show(question: Question, values: dict[str, Any]) -> EvidenceOnRequest:
    momentum = float(values["momentum"])
    learning_rate = float(values["learning_rate"])
    condition_number = float(values["condition_number"])
    steps = int(values["steps"])
    result = _run_at(values)
    style = layout.chart_style()
    baseline_note = "" if result.has_baseline else " (this run is plain SGD)"

    floor, wall = engine.valley_curvatures(condition_number)
    # A section's heading and text in one element: each element is sent and redrawn at every move.
    st.markdown(
        "### A narrow valley\n\n"
        f"Loss f(w) = ½·({floor:.3g}·w1² + {wall:g}·w2²): the walls are {condition_number:g}× "
        f"steeper than the floor. A `tf.Variable` of shape (2,) starts at {engine.VALLEY_START} and is "
        f"trained by `tf.keras.optimizers.SGD(learning_rate={learning_rate:g}, momentum={momentum:g})`, "
        "next to plain SGD (momentum 0) with the same learning rate."
    )
    cols = layout.metric_columns(3)
    cols[0].metric(
        f"Steps to converge, momentum {momentum:g}",
        _steps_text(result.steps_to_converge, steps, result.first_nonfinite_step),
        help=f"First step from which the loss stays below {engine.CONVERGED_FRACTION:g} of its start, "
             "within this run.",
    )
    cols[1].metric(
        "Steps to converge, plain SGD",
        _steps_text(result.baseline_steps_to_converge, steps, result.baseline_first_nonfinite_step),
        help="Momentum 0, same learning rate and valley." + baseline_note,
    )
    overshoot = "diverged" if result.first_nonfinite_step is not None else f"{result.overshoot:.2f}"
    baseline_overshoot = ("diverged" if result.baseline_first_nonfinite_step is not None
                          else f"{result.baseline_overshoot:.2f}")
    cols[2].metric(f"Overshoot, momentum {momentum:g}", overshoot,
                   help=f"Furthest w1 went beyond the minimum at w1 = 0 (it starts at "
                        f"w1 = {engine.VALLEY_START[0]:g}). Plain SGD: {baseline_overshoot}.")
    for label, bad in (("This run", result.first_nonfinite_step),
                       ("Plain SGD", result.baseline_first_nonfinite_step if result.has_baseline else None)):
        if bad is not None:
            layout.expected_outcome(f"{label}: the loss became non-finite at step {bad}; the run stopped there.")

    with_loss = layout.on_request("Show the loss curves beside the paths", key="q4-show-loss")
    left, right = layout.chart_columns() if with_loss else (contextlib.nullcontext(), None)
    with left:
        path_figure = figures.valley_paths(
            result.curve, curvatures=engine.valley_curvatures(condition_number),
            w1_range=VALLEY_W1_RANGE, w2_range=VALLEY_W2_RANGE,
            title=f"Paths in the valley, {steps} steps (a marker every {figures.marker_interval(steps)})",
            style=style,
        )
        w1, w2, loss = (result.curve[column].to_numpy() for column in ("w1", "w2", "loss"))
        ends = "; ".join(
            f"{name} ends at ({w1[rows[-1]]:.3g}, {w2[rows[-1]]:.3g})"
            if not np.isnan(loss[rows]).any() else f"{name} diverged"
            for name, rows in charts.series_rows(result.curve)
        )
        layout.show_chart(path_figure, key="q4-valley-paths",
                          alt_text=f"Map of the valley shaded by its loss, with the optimizers' paths from "
                                   f"{engine.VALLEY_START}: {ends}.")
    if right is not None:
        with right:
            loss_figure = charts.loss_curves(
                result.curve,
                title=f"Loss, learning rate {learning_rate:g}, condition number {condition_number:g}",
                style=style,
            )
            layout.show_chart(loss_figure, key="q4-valley-loss",
                              alt_text="Loss curves. " + charts.alt_text_for_curves(result.curve))
    layout.show_code_and_download(
        lambda: engine.reproduction_code(result.params), result.curve,
        file_name=f"momentum{momentum:g}_lr{learning_rate:g}_condition{condition_number:g}_{steps}steps.csv",
        key="q4-download",
    )

    # The answer's findings quote both sections below; drawing them is the student's choice. Each
    # element a slider move reruns is sent and redrawn again (~1.5-2 ms each): these were 9.
    if not layout.more_from_the_experiment("which momentum converges fastest, and a shallow minimum before "
                                           "a deeper one", key="q4-more"):
        return functools.partial(engine.evidence, result)
    comparison = sweep(learning_rate, condition_number)
    basin_map = basins()
    geometry = engine.landscape_geometry()

    st.subheader("Which momentum converges fastest?")
    fastest = comparison.fastest()
    if layout.on_request(f"Show the steps to converge for {len(comparison.momenta)} momenta", key="q4-show-sweep"):
        sweep_figure = figures.steps_to_converge_chart(
            comparison.frame(), horizon=comparison.horizon, converged_fraction=engine.CONVERGED_FRACTION,
            current_momentum=momentum,
            title=f"Steps to converge by momentum (same valley and learning rate, "
                  f"up to {comparison.horizon} steps)",
            style=style,
        )
        layout.show_chart(
            sweep_figure, key="q4-sweep",
            alt_text="Steps to converge against momentum: " + ", ".join(
                f"{m:g}: {_steps_text(s, comparison.horizon, bad)}"
                for m, s, bad in zip(comparison.momenta, comparison.steps_to_converge,
                                     comparison.first_nonfinite_step, strict=True)
            ) + ".",
        )
    if fastest is not None:
        largest = _steps_text(comparison.steps_to_converge[-1], comparison.horizon,
                              comparison.first_nonfinite_step[-1])
        plain = _steps_text(comparison.steps_to_converge[0], comparison.horizon,
                            comparison.first_nonfinite_step[0])
        st.info(f"Fastest here: momentum {fastest[0]:g}, {fastest[1]} steps. Plain SGD: {plain}. "
                f"Momentum {comparison.momenta[-1]:g}: {largest}.")
    else:
        st.warning(f"No momentum converged within {comparison.horizon} steps at this learning rate "
                   f"({sum(b is not None for b in comparison.first_nonfinite_step)} of "
                   f"{len(comparison.momenta)} diverged).")

    st.markdown(
        "### A shallow minimum before a deeper one\n\n"
        f"A 1-D weight starts on a wall at w = {engine.LANDSCAPE_START:g} and rolls right: a shallow minimum "
        f"at w ≈ {geometry.shallow_minimum:.2f} (loss {geometry.shallow_loss:.2f}), a bump at "
        f"w ≈ {geometry.bump:.2f}, a deep minimum at w ≈ {geometry.deep_minimum:.2f} "
        f"(loss {geometry.deep_loss:.2f}), then a flat plateau (loss ≈ 0). Same Keras SGD, momentum "
        f"{momentum:g} against 0, learning rate fixed at {engine.LANDSCAPE_LEARNING_RATE:g}, "
        f"{engine.LANDSCAPE_STEPS} steps (the valley's learning rate and steps sliders do not apply here)."
    )
    cols = layout.metric_columns(2)
    cols[0].metric(f"Momentum {momentum:g} ends in", BASIN_LABELS[result.landscape_basin],
                   help=f"Final w = {result.landscape_final:.3f}.")
    cols[1].metric("Plain SGD ends in", BASIN_LABELS[result.baseline_landscape_basin],
                   help=f"Final w = {result.baseline_landscape_final:.3f}." + baseline_note)
    if layout.on_request("Show the landscape: where the weight goes, step by step and for every momentum",
                         key="q4-show-landscape"):
        left, right = layout.chart_columns()
        landmarks = [("shallow min", geometry.shallow_minimum), ("bump", geometry.bump),
                     ("deep min", geometry.deep_minimum), ("plateau", geometry.plateau_from)]
        with left:
            landscape_figure = figures.landscape_chart(
                result.landscape, loss=engine.landscape_loss, x_range=LANDSCAPE_W_RANGE,
                title="Where the weight goes on the landscape", style=style,
            )
            layout.show_chart(
                landscape_figure, key="q4-landscape",
                alt_text=(f"The landscape's loss curve with the visited positions. Momentum {momentum:g} ends at "
                          f"w = {result.landscape_final:.2f} ({result.landscape_basin}); plain SGD at "
                          f"w = {result.baseline_landscape_final:.2f} ({result.baseline_landscape_basin})."),
            )
        with right:
            position_figure = figures.position_chart(
                result.landscape, levels=landmarks, title="Position w at each step", style=style,
            )
            layout.show_chart(position_figure, key="q4-position",
                              alt_text="w against step for each momentum, with the landscape's minima, bump and "
                                       "plateau as horizontal lines.")

        map_figure = figures.basin_map_chart(
            basin_map.frame(), current_momentum=momentum,
            levels=[("shallow min", geometry.shallow_loss), ("deep min", geometry.deep_loss), ("plateau", 0.0)],
            title=f"Where the weight ends after {engine.LANDSCAPE_STEPS} steps, for momentum "
                  f"{engine.BASIN_MAP_MOMENTA[0]:g} to {engine.BASIN_MAP_MOMENTA[-1]:g}",
            style=style,
        )
        bands = "; ".join(f"{low:.2f}–{high:.2f}: {basin}" for basin, low, high in basin_map.bands())
        layout.show_chart(map_figure, key="q4-basin-map",
                          alt_text=f"Final loss against momentum, by the basin the weight ends in. {bands}.")
    return functools.partial(engine.evidence, result)

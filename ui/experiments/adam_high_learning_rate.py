"""Question 1's experiment: Adam at the chosen learning rate against the default, and a sweep."""

from __future__ import annotations

import functools
from typing import Any

import streamlit as st

import charts
from charts import adam_high_learning_rate as q1_charts
from content.questions import Question
from scenarios import adam_high_learning_rate as engine
from ui import layout
from ui.experiments import EvidenceOnRequest


# Up to ~240 kB a result (1,000 steps, pickled): 160 entries stay under ~40 MB.
@st.cache_data(max_entries=160, show_spinner="Training Adam at this rate and at the default…")
def run(learning_rate: float, steps: int, batching: str, seed: int) -> engine.AdamHighLearningRateResult:
    return engine.run(engine.Params(learning_rate=learning_rate, steps=steps, batching=batching, seed=seed))


def sweep(steps: int, batching: str) -> engine.SweepResult:
    """The engine's cached sweep: the one `engine.evidence` reads too (no copy, never derived twice)."""
    with st.spinner(f"Training at {len(engine.SWEEP_LEARNING_RATES)} learning rates "
                    f"from {len(engine.SWEEP_SEEDS)} starts…"):
        return engine.sweep(steps, batching)


def _loss(value: float) -> str:
    return f"{value:.3g}"


def _run_at(values: dict[str, Any]) -> engine.AdamHighLearningRateResult:
    return run(float(values["learning_rate"]), int(values["steps"]), str(values["batching"]), int(values["seed"]))


def prefetch(values: dict[str, Any]) -> None:
    """The run `show` would make at `values`, into the cache (`ui.prefetch`: the slider's next notch)."""
    _run_at(values)


def show(question: Question, values: dict[str, Any]) -> EvidenceOnRequest:
    learning_rate = float(values["learning_rate"])
    steps, batching, seed = int(values["steps"]), str(values["batching"]), int(values["seed"])
    result = _run_at(values)
    sweep_result = sweep(steps, batching)
    style = layout.chart_style()
    this, ref = result.run, result.reference

    columns = layout.metric_columns(4)
    columns[0].metric(
        "Final loss", _loss(this.final_loss),
        help=f"Full-data mean squared error after {steps} steps at learning rate {learning_rate:g}.",
    )
    columns[1].metric(
        "Peak loss", _loss(this.peak_loss),
        help=f"Highest loss of the run, reached at step {this.peak_step} (step 0 is the start, "
             f"{this.initial_loss:.3g}). The loss went up on {this.rises} of {steps} steps.",
    )
    columns[2].metric(
        "Dead ReLUs at the end", f"{this.dead_units} of {engine.TOTAL_UNITS}",
        help="Hidden units that output 0 for every one of the training inputs: "
             + ", ".join(f"layer {i}: {d}" for i, d in enumerate(this.dead_per_layer, start=1))
             + f". The most dead at once: {result.most_dead}, at step {result.most_dead_step}.",
    )
    columns[3].metric(
        f"Final loss at default {engine.REFERENCE_LEARNING_RATE:g}", _loss(ref.final_loss),
        help=f"Same data and initial weights at Adam's default learning rate; "
             f"{ref.dead_units} dead ReLUs at the end.",
    )
    if this.first_nonfinite_step is not None:
        layout.expected_outcome(f"The loss became non-finite at step {this.first_nonfinite_step}; "
                                "the run stopped there.")

    title = f"Adam on a {engine.N_FEATURES}-feature regression, {batching.lower()}, seed {seed}"
    layout.show_chart(
        charts.loss_curves(result.curve, title=title, style=style),
        alt_text="Loss curves. " + charts.alt_text_for_curves(result.curve),
        key="q1-curve",
    )
    layout.show_code_and_download(
        lambda: engine.reproduction_code(result.params), result.curve,
        file_name=f"adam_lr{learning_rate:g}_{'minibatch' if batching == 'Mini-batch' else 'fullbatch'}"
                  f"_seed{seed}_{steps}steps.csv",
        key="q1-download",
    )
    if layout.on_request("Show the dead ReLUs during training", key="q1-show-dead"):
        _dead_units_chart(result, style)
    if layout.on_request("Show the learning-rate sweep", key="q1-show-sweep"):
        _sweep_chart(sweep_result, learning_rate, steps, batching, style)
    best_rate, best_final = sweep_result.best_rate()
    st.caption(
        f"Learning-rate sweep: the median over initial-weight seeds {', '.join(map(str, engine.SWEEP_SEEDS))} "
        f"(data of seed {engine.SWEEP_SEEDS[0]}); whiskers span min to max. "
        f"Lowest median final loss: {best_final:.3g} at learning rate {best_rate:g}."
    )
    return functools.partial(engine.evidence, result)


def _dead_units_chart(result: engine.AdamHighLearningRateResult, style: charts.ChartStyle) -> None:
    dead_text = "; ".join(
        f"{name}: {int(group['dead'].iloc[0])} at the start, {int(group['dead'].iloc[-1])} at the end"
        for name, group in result.dead_curve.groupby("series", sort=False)
        if group["dead"].notna().all()
    )
    layout.show_chart(
        q1_charts.dead_units_curves(result.dead_curve, total=engine.TOTAL_UNITS,
                                    title="Dead ReLUs during training", style=style),
        alt_text=f"Dead ReLUs against step. {dead_text}.",
        key="q1-dead",
    )


def _sweep_chart(sweep_result: engine.SweepResult, learning_rate: float, steps: int, batching: str,
                 style: charts.ChartStyle) -> None:
    by_rate = sweep_result.by_rate()
    layout.show_chart(
        q1_charts.learning_rate_sweep(
            by_rate, current_learning_rate=learning_rate,
            reference_loss=engine.MEAN_PREDICTOR_LOSS,
            reference_label=f"Always predicting the mean (loss {engine.MEAN_PREDICTOR_LOSS:g})",
            total_units=engine.TOTAL_UNITS,
            title=(f"Learning-rate sweep: {len(engine.SWEEP_SEEDS)} initial weights, "
                   f"{steps} steps, {batching.lower()}"),
            style=style,
        ),
        alt_text=q1_charts.sweep_alt_text(by_rate, learning_rate),
        key="q1-sweep",
    )

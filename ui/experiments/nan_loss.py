"""Question 5's experiment: the question's loop, where its loss does and does not turn NaN."""

from __future__ import annotations

import functools
from dataclasses import fields
from typing import Any

import streamlit as st

import charts
from charts import nan_loss as nan_charts
from content.questions import Question
from scenarios import nan_loss as engine
from ui import layout
from ui.experiments import EvidenceOnRequest


@st.cache_data(max_entries=256, show_spinner="Running the question's loop…")
def run(optimizer: str, learning_rate: float, data_scale: float, epochs: int, clip: bool,
        seed: int) -> engine.NanLossResult:
    return engine.run(engine.Params(
        optimizer=optimizer, learning_rate=learning_rate, data_scale=data_scale,
        epochs=epochs, clip=clip, seed=seed,
    ))


@st.cache_resource(show_spinner=f"Running the loop for {len(engine.SWEEP_SEEDS)} seeds and "
                                f"{len(fields(engine.SeedSweep))} settings (once per server)…")
def sweep() -> engine.SeedSweep:
    return engine.seed_sweep()


def _metrics(summary: engine.RunSummary) -> None:
    first = summary.first_nonfinite_step
    columns = layout.metric_columns(4)
    columns[0].metric(
        "Loss went NaN/Inf at epoch", "never" if first is None else f"{first} ({summary.nonfinite_kind})",
        help="The first epoch whose printed loss is not a finite number; the run stops there.")
    columns[1].metric(
        "Largest |weight| reached", f"{summary.largest_weight:.3g}",
        help="The largest absolute value of any weight or bias over the epochs with a finite loss.")
    dead = summary.dead_units
    columns[2].metric(
        "Dead ReLU units at the end",
        "n/a" if dead is None else f"{dead} of {engine.HIDDEN_UNITS}",
        help="Hidden units whose input is ≤ 0 for every example: they output 0 and get no gradient. "
             "n/a: the weights are no longer finite numbers.")
    columns[3].metric(
        "Last finite loss" if first is not None else "Loss at the end", f"{summary.final_loss:.4g}",
        help="Mean squared error on the full data set.")


def _data(cell: engine.SweepCell) -> str:
    return f"data ~{engine.magnitude(cell.data_scale)}"


def _cell_label(cell: engine.SweepCell, note: str = "") -> str:
    """The setting, read from the cell: e.g. "SGD, lr 1, data ~100, clipnorm=1.0"."""
    clip = f", {engine.CLIPNORM_TEXT}" if cell.clipped else ""
    return f"{cell.optimizer}, lr {cell.learning_rate:g}, {_data(cell)}{clip}{note}"


def _sweep_chart(across: engine.SeedSweep, style: charts.ChartStyle) -> None:
    q = engine.QUESTION_EPOCHS
    cells = [
        (_cell_label(across.adam_question, " (the question)"), across.adam_question),
        (_cell_label(across.sgd_question), across.sgd_question),
        (_cell_label(across.sgd_diverges, " (Diverges)"), across.sgd_diverges),
        (_cell_label(across.sgd_diverges_clipped), across.sgd_diverges_clipped),
        (_cell_label(across.adam_overflow), across.adam_overflow),
    ]
    labels = [label for label, _ in cells]
    counts = [cell.nonfinite_within(q) for _, cell in cells]
    total = across.adam_question.seeds
    figure = nan_charts.sweep_bars(
        labels, counts, total, style=style, highlight=0,
        title=f"Seeds whose loss went NaN/Inf within {q} epochs",
    )
    layout.show_chart(
        figure, key="q5-sweep",
        alt_text=(f"Bar chart over {total} seeds, each with its own data and initial weights: "
                  + "; ".join(f"{label}: {count} of {total}"
                              for label, count in zip(labels, counts, strict=True))
                  + "."),
    )
    adam, clipped = across.adam_question, across.sgd_diverges_clipped
    st.caption(
        f"Over {adam.epochs} epochs: {adam.optimizer} at {adam.learning_rate!r} on {_data(adam)} reaches "
        f"NaN/Inf for {adam.nonfinite_within(adam.epochs)} of {total} seeds; clipped {clipped.optimizer} on "
        f"{_data(clipped)} for {clipped.nonfinite_within(clipped.epochs)} of {total}.")


def _run_at(values: dict[str, Any]) -> engine.NanLossResult:
    return run(values["optimizer"], values["learning_rate"], values["data_scale"],
               values["epochs"], values["clip"], values["seed"])


def prefetch(values: dict[str, Any]) -> None:
    """The run `show` would make at `values`, into the cache (`ui.prefetch`: the slider's next notch)."""
    _run_at(values)


def show(question: Question, values: dict[str, Any]) -> EvidenceOnRequest:
    result = _run_at(values)
    across = sweep()
    style = layout.chart_style()
    params = result.params

    for summary in result.runs:
        if len(result.runs) > 1:
            heading = f"With {engine.CLIPNORM_TEXT}" if summary.clipped else "Without clipping"
            st.markdown(f"**{heading}**")
        _metrics(summary)
    for summary in result.runs:
        if summary.first_nonfinite_step is not None:
            layout.expected_outcome(f"{summary.series}: the loss became {summary.nonfinite_kind} at epoch "
                                    f"{summary.first_nonfinite_step}. The run stops at its first non-finite loss.")
        else:
            st.info(f"{summary.series}: the loss stayed finite for all {params.epochs} epochs "
                    f"(from {summary.initial_loss:.4g} to {summary.final_loss:.4g}).")

    setting = (f"{params.optimizer}, learning rate {params.learning_rate:g}, data around "
               f"{engine.magnitude(params.data_scale)}, seed {params.seed}")
    # One update per epoch, as in the question's loop: label the steps "epoch".
    curve = result.curve.rename(columns={"step": "epoch"})
    loss_figure = nan_charts.tidy_loss_curves(curve, title=f"Loss per epoch: {setting}", style=style,
                                              x="epoch", x_title="Epoch")
    layout.show_chart(loss_figure, key="q5-loss",
                      alt_text="Loss curve. " + charts.alt_text_for_curves(curve, x="epoch"))
    layout.show_code_and_download(
        lambda: engine.reproduction_code(params), result.curve,
        file_name=(f"nan_loss_{params.optimizer}_lr{params.learning_rate:g}_scale{params.data_scale:g}"
                   f"_seed{params.seed}.csv"),
        key="q5-download",
    )

    if layout.on_request("Show the largest weight and the dead ReLUs per epoch", key="q5-show-health"):
        _health_chart(result, style)
    if layout.on_request("Show the sweep over data scales, learning rates and seeds", key="q5-show-sweep"):
        _sweep_chart(across, style)
    return functools.partial(engine.evidence, result)


def _health_chart(result: engine.NanLossResult, style: charts.ChartStyle) -> None:
    health = nan_charts.health_figure(result.diagnostics, hidden_units=engine.HIDDEN_UNITS, style=style,
                                      title="Largest |weight| and dead ReLU units per epoch")
    layout.show_chart(
        health, key="q5-health",
        alt_text="Weights and dead units. " + "; ".join(
            f"{s.series}: largest |weight| {s.largest_weight:.3g}, "
            + ("weights not finite at the end" if s.dead_units is None
               else f"{s.dead_units} of {engine.HIDDEN_UNITS} ReLU units dead at the end")
            for s in result.runs),
    )

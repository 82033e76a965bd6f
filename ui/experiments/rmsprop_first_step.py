"""Question 2's experiment: the snippet's printed loss, per seed and across seeds."""

from __future__ import annotations

import functools
from typing import Any

import streamlit as st

import charts
from content.questions import Question
from scenarios import rmsprop_first_step as engine
from ui import layout
from ui.experiments import EvidenceOnRequest


@st.cache_data(max_entries=256, show_spinner="Running the snippet…")
def run(seed: int, learning_rate: float, steps: int) -> engine.RMSpropFirstStepResult:
    return engine.run(engine.Params(seed=seed, learning_rate=learning_rate, steps=steps))


@st.cache_resource(show_spinner="Running the snippet for 400 seeds (once per server)…")
def distribution() -> engine.PrintedLossDistribution:
    return engine.printed_loss_distribution()


def prefetch(values: dict[str, Any]) -> None:
    """The run `show` would make at `values`, into the cache (`ui.prefetch`: the slider's next notch)."""
    run(values["seed"], values["learning_rate"], values["steps"])


def show(question: Question, values: dict[str, Any]) -> EvidenceOnRequest:
    result = run(values["seed"], values["learning_rate"], values["steps"])
    style = layout.chart_style()

    left, right = layout.metric_columns(2)
    left.metric("Printed loss", f"{result.printed_loss:.3f}",
                help="What the question's snippet prints after set_random_seed(Seed).")
    right.metric("Initial kernel w", f"{result.initial_kernel:.4f}",
                 help="Glorot-uniform draw for this seed; the loss is 7.5·(2 − w)².")

    across_seeds = distribution()
    histogram = charts.histogram(
        across_seeds.printed_losses,
        title=f"Printed value for seeds 0–{len(across_seeds.seeds) - 1}",
        x_title="Printed loss (before the first update)",
        highlight=result.printed_loss, highlight_label=f"seed {values['seed']}",
        band=engine.CLAIM_BAND, band_label="“around 10”", style=style,
    )
    share = across_seeds.share_between(*engine.CLAIM_BAND)
    layout.show_chart(
        histogram, key="q2-histogram",
        alt_text=(f"Histogram of the printed loss over {len(across_seeds.seeds)} seeds; "
                  f"{share:.1%} fall between {engine.CLAIM_BAND[0]:g} and {engine.CLAIM_BAND[1]:g}."),
    )

    lr = values["learning_rate"]
    if layout.on_request("Show the loss curve of the training that follows", key="q2-show-curve"):
        curve_figure = charts.loss_curves(
            result.curve, title=f"RMSprop (learning rate {lr:g}) on y = 2x, seed {values['seed']}",
            style=style,
        )
        layout.show_chart(curve_figure, alt_text="Loss curve. " + charts.alt_text_for_curves(result.curve),
                          key="q2-curve")
    layout.show_code_and_download(
        lambda: engine.reproduction_code(result.params), result.curve,
        file_name=f"rmsprop_seed{values['seed']}_lr{lr:g}.csv", key="q2-download",
    )
    if result.first_nonfinite_step is not None:
        layout.expected_outcome(f"The loss became non-finite at step {result.first_nonfinite_step}; "
                                "the run stopped there.")
    return functools.partial(engine.evidence, result)

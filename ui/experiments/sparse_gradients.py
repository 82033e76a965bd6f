"""Question 3's experiment: five tuned Keras optimizers on common and rare features."""

from __future__ import annotations

import contextlib
import functools
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

import charts
from charts import sparse_gradients as figures
from content.questions import Question
from scenarios import sparse_gradients as engine
from ui import layout
from ui.experiments import EvidenceOnRequest

# What one run trains, for the spinners.
TUNING = f"{len(engine.OPTIMIZERS)} optimizers over {engine.CONFIGS_PER_CALL} learning rates"


# Up to ~550 kB a result (1,000 steps, pickled): 48 entries here and the engine's
# 48 all-rare controls stay under ~55 MB, for a hosted demo with ~1 GB in all
# (the other pages' caches: ~65 MB at most).
@st.cache_data(max_entries=48, show_spinner=f"Tuning {TUNING}…")
def run(sparsity: float, steps: int, seed: int) -> engine.SparseGradientsResult:
    return engine.run(engine.Params(sparsity=sparsity, steps=steps, seed=seed))


def control(params: engine.Params) -> engine.SparseGradientsResult:
    """The engine's cached all-rare control: the one `engine.evidence` reads too (it runs once)."""
    with st.spinner(f"Tuning {TUNING}, every feature rare…"):
        return engine.control_run(params)


@st.cache_resource(show_spinner=f"Repeating the comparison on {engine.SPREAD_SEEDS} seeds (once per server)…")
def spread() -> engine.SeedSpread:
    return engine.seed_spread()


def _summary_table(result: engine.SparseGradientsResult) -> pd.DataFrame:
    s = result.summary
    return pd.DataFrame({
        "Optimizer": s["label"],
        "Tuned learning rate": s["learning_rate"].map(lambda v: f"{v:g}"),
        "Final loss": s["final_loss"].map(lambda v: f"{v:.4g}"),
        "Rare-weight error": s["rare_error"].map(lambda v: f"{v:.3f}"),
        "Common-weight error": s["common_error"].map(lambda v: f"{v:.3f}"),
        "Keras default rate": s["default_learning_rate"].map(lambda v: f"{v:g}"),
        "Rare-weight error at default rate": s["default_rare_error"].map(lambda v: f"{v:.3f}"),
    })


def _run_at(values: dict[str, Any]) -> engine.SparseGradientsResult:
    return run(float(values["sparsity"]), int(values["steps"]), int(values["seed"]))


def prefetch(values: dict[str, Any]) -> None:
    """The run `show` would make at `values`, into the cache (`ui.prefetch`: the slider's next notch)."""
    _run_at(values)


def stopped_runs(rows: list[dict[str, Any]]) -> list[tuple[str, int]]:
    """(label, step) of each tuned run whose loss became non-finite, from the summary's records.

    pandas holds the column as floats once one run stopped: NaN, not None, where the others did not.
    """
    return [(row["label"], int(row["first_nonfinite_step"])) for row in rows if pd.notna(row["first_nonfinite_step"])]


def records(frame: pd.DataFrame) -> list[dict[str, Any]]:
    """`frame.to_dict("records")`, column by column: pandas builds its records with itertuples (a
    namedtuple class at every call), ~2 ms of every slider move on q3 in the server (py-spy --gil)."""
    columns = list(frame.columns)
    return [dict(zip(columns, row, strict=True))
            for row in zip(*(frame[column].to_numpy().tolist() for column in columns), strict=True)]


def show(question: Question, values: dict[str, Any]) -> EvidenceOnRequest:
    sparsity, steps, seed = float(values["sparsity"]), int(values["steps"]), int(values["seed"])
    result = _run_at(values)
    style = layout.chart_style()

    st.markdown(
        f"Linear regression `y = x·w + noise` with a Keras `Dense(1, use_bias=False)` on "
        f"{engine.N_EXAMPLES:,} examples: {engine.N_COMMON} **common** features (each non-zero in "
        f"{result.common_nonzero_examples} examples) and {engine.N_RARE} **rare** ones (each non-zero in "
        f"{result.rare_nonzero_examples}), true weights of the same size. {steps} mini-batches of "
        f"{engine.BATCH_SIZE}: a rare weight's gradient was exactly zero in "
        f"**{result.rare_zero_gradient_share:.0%}** of them. Each optimizer trained at "
        f"{engine.GRID_SIZE} learning rates in one compiled call; the one with the lowest final loss "
        "is shown.\n\n"  # one element with the metrics' heading below: each is redrawn at every move
        f"**Rare-weight RMS error after {steps} steps** (started at {result.initial_rare_error:.3f}; "
        f"the least-squares floor of this data is {result.least_squares_rare_error:.3f})"
    )
    columns = layout.metric_columns(len(engine.OPTIMIZERS))
    rows = records(result.summary)
    for column, row in zip(columns, rows, strict=True):
        column.metric(
            row["label"], f"{row['rare_error']:.3f}",
            help=f"Tuned learning rate {row['learning_rate']:g} (final loss {row['final_loss']:.4g}). "
                 f"Common-weight error {row['common_error']:.3f}.",
        )
    for label, step in stopped_runs(rows):
        layout.expected_outcome(f"{label}: the loss became non-finite at step {step} even at its tuned "
                               "learning rate; the run stopped there.")

    with_loss = layout.on_request("Show the full-data loss beside", key="q3-show-loss")
    left, right = layout.chart_columns() if with_loss else (contextlib.nullcontext(), None)
    with left:
        error_figure = figures.error_curves(
            result.rare_error_curves, floor=result.least_squares_rare_error, style=style,
            title="Rare weights: RMS error per step (tuned rates)", y_title="Rare-weight RMS error",
        )
        layout.show_chart(error_figure, key="q3-rare-error",
                          alt_text="Rare-weight error per step. "
                                   + charts.alt_text_for_curves(result.rare_error_curves))
    if right is not None:
        with right:
            loss_figure = figures.tuned_loss_curves(result.curves, title="Full-data loss (tuned rates)",
                                                    style=style)
            layout.show_chart(loss_figure, key="q3-loss",
                              alt_text="Loss curves. " + charts.alt_text_for_curves(result.curves))
    # The loss chart's five tuned runs, in plain eager Keras (the tuned rates written in).
    layout.show_code_and_download(
        lambda: engine.reproduction_code(result.params, result), result.curve,
        file_name=f"sparse_gradients_sparsity{sparsity:g}_steps{steps}_seed{seed}.csv", key="q3-download",
    )
    # The answer's findings quote every section below; drawing them is the student's choice.
    if not layout.more_from_the_experiment("the table, which weights move, the control, other seeds",
                                           key="q3-more"):
        return functools.partial(engine.evidence, result)
    all_rare = control(result.params)
    across_seeds = spread()

    if layout.on_request("Show the final errors as bars", key="q3-show-bars"):
        bars = figures.error_bars(
            result.summary, style=style,
            floors={"rare_error": result.least_squares_rare_error,
                    "common_error": result.least_squares_common_error},
            title=f"Final weight error after {steps} steps, rare next to common",
        )
        layout.show_chart(bars, key="q3-bars",
                          alt_text="Bar chart. Rare-weight error: "
                                   + figures.describe_errors(result.summary, "rare_error")
                                   + ". Common-weight error: "
                                   + figures.describe_errors(result.summary, "common_error") + ".")
    # A static table: the interactive grid (a canvas and its scripts) was redrawn at every slider move.
    st.table(_summary_table(result).set_index("Optimizer"))
    st.caption("The last two columns are each optimizer at Keras's default learning rate, "
               "run in the same compiled call: untuned, for reference.")

    if layout.on_request("Show how each learning rate was picked", key="q3-show-tuning"):
        diverged = int((~np.isfinite(result.sweep["final_loss"].to_numpy(float))).sum())
        initial_loss = float(result.curves["loss"].iloc[0])
        sweep_figure = figures.sweep_chart(
            result.sweep, y="final_loss", y_title="Final loss", style=style, cap=10 * initial_loss,
            title="Final loss by learning rate (★ = picked)",
        )
        layout.show_chart(sweep_figure, key="q3-sweep-loss",
                          alt_text="Final loss against learning rate per optimizer; the picked rates are "
                                   + ", ".join(f"{r.label} {r.learning_rate:g}"
                                               for r in result.summary.itertuples()) + ".")
        rare_sweep = figures.sweep_chart(
            result.sweep, y="rare_error", y_title="Rare-weight RMS error", style=style,
            cap=10 * result.initial_rare_error,
            title="Rare-weight error by learning rate (★ = picked by loss)",
        )
        layout.show_chart(rare_sweep, key="q3-sweep-rare",
                          alt_text="Rare-weight error against learning rate per optimizer.")
        if diverged:
            st.caption(f"{diverged} of the {len(result.sweep)} runs ended with a non-finite loss "
                       "(too high a rate); they are left out of the charts.")

    st.subheader("Which weights change at each step")
    st.markdown(
        "Like the rows of an embedding table, a weight whose feature is absent from a mini-batch gets a "
        "gradient of exactly zero. Does the optimizer leave it alone?"
    )
    moved = result.summary.set_index("label")["moved_without_gradient"]
    st.markdown("**Share of the zero-gradient cases in which the weight still changed** (whole tuned run)")
    columns = layout.metric_columns(len(engine.OPTIMIZERS))
    for column, (label, share) in zip(columns, moved.items(), strict=True):
        value = "n/a" if pd.isna(share) else f"{share:.0%}"
        column.metric(label, value,
                      help="Share of the (step, weight) pairs with an exactly zero gradient in which the "
                           "weight's value still changed, over all steps of the tuned run.")
    if layout.on_request("Show the grid: which weight changed at each step", key="q3-show-update-map"):
        shown_steps = int(result.update_map["step"].max()) + 1
        update_figure = figures.update_map_chart(
            result.update_map, n_common=engine.N_COMMON, style=style,
            title=f"First {shown_steps} steps of each tuned run: what happened to each weight",
        )
        layout.show_chart(update_figure, key="q3-updates",
                          alt_text="Grid per optimizer of weights by step. Share of zero-gradient cases in which "
                                   "the weight still changed: "
                                   + ", ".join(f"{label} {'n/a' if pd.isna(share) else f'{share:.0%}'}"
                                               for label, share in moved.items()) + ".")

    st.subheader("Control: every feature equally rare")
    st.markdown(f"The same {engine.N_FEATURES} weights, but every feature is non-zero in only "
                f"{all_rare.rare_nonzero_examples} examples: no difference in frequency for a per-parameter "
                "step size to exploit. Tuned the same way.")
    st.markdown("Rare-weight error with every feature rare: "
                + figures.describe_errors(all_rare.summary, "rare_error") + ".")
    if layout.on_request("Show the control's errors as bars", key="q3-show-control"):
        control_bars = figures.error_bars(
            all_rare.summary, columns=("rare_error",), style=style,
            floors={"rare_error": all_rare.least_squares_rare_error},
            title=f"All features rare: rare-weight error after {steps} steps",
        )
        layout.show_chart(control_bars, key="q3-control",
                          alt_text="Bar chart, all features rare. Rare-weight error: "
                                   + figures.describe_errors(all_rare.summary, "rare_error") + ".")

    st.subheader("Is this seed typical?")
    same_setting = (sparsity, steps) == (across_seeds.sparsity, across_seeds.steps)
    highlight = seed if same_setting and seed < across_seeds.seeds else None
    medians = across_seeds.median_errors()
    st.markdown(f"Median rare-weight error over seeds 0–{across_seeds.seeds - 1} (sparsity "
                f"{across_seeds.sparsity:g}, {across_seeds.steps} steps): "
                + ", ".join(f"{engine.spec(k).label} {v:.3f}" for k, v in medians.items()) + ".")
    if layout.on_request(f"Show the error on each of the {across_seeds.seeds} seeds", key="q3-show-seeds"):
        strip = figures.seed_strip(
            across_seeds.frame, highlight_seed=highlight, style=style,
            title=f"Rare-weight error on seeds 0–{across_seeds.seeds - 1} "
                  f"(sparsity {across_seeds.sparsity:g}, {across_seeds.steps} steps, tuned per seed)",
        )
        layout.show_chart(strip, key="q3-seeds",
                          alt_text="Rare-weight error per seed and optimizer; medians: "
                                   + ", ".join(f"{engine.spec(k).label} {v:.3f}" for k, v in medians.items())
                                   + ".")
    if not same_setting:
        st.caption("This reference is fixed (computed once per server); your sliders set the runs above.")
    return functools.partial(engine.evidence, result)

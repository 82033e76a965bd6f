"""Question 5's verdict: does Adam at learning rate 1.0 turn the loop's loss NaN?

Numbers from the runs: this page's run and the seed sweep (the question as
written, SGD at the same rate, the "Diverges" preset with and without
clipping, Adam on huge data). The numerics are in `engine.py`.
"""

from __future__ import annotations

import numpy as np

from scenarios.evidence import Evidence
from scenarios.nan_loss.engine import (
    HIDDEN_UNITS,
    QUESTION_EPOCHS,
    NanLossResult,
    RunSummary,
    SweepCell,
    seed_sweep,
)


def describe(run_summary: RunSummary, epochs: int) -> str:
    """One sentence about one run, numbers from the run."""
    if run_summary.first_nonfinite_step is not None:
        return (f"{run_summary.series}: the loss became {run_summary.nonfinite_kind} at epoch "
                f"{run_summary.first_nonfinite_step} (largest |weight| before that "
                f"{run_summary.largest_weight:.3g}).")
    return (f"{run_summary.series}: the loss stayed finite for {epochs} epochs, from "
            f"{run_summary.initial_loss:.4g} to {run_summary.final_loss:.4g}; largest |weight| "
            f"{run_summary.largest_weight:.3g}, {run_summary.dead_units} of {HIDDEN_UNITS} ReLU units "
            "dead at the end.")


def magnitude(data_scale: float) -> str:
    """10**data_scale for people: "1", "100", "1,000,000", "10^2.5"."""
    if float(data_scale).is_integer():
        return f"{10 ** int(data_scale):,}"
    return f"10^{data_scale:g}"


def _at_around(data_scale: float) -> str:
    return f"data around {magnitude(data_scale)}"


def evidence(result: NanLossResult) -> Evidence:
    """Does Adam at learning rate 1.0 make this loop's loss NaN? Numbers from the runs.

    The claim tested is the seed answer's: learning rate 1.0 with Adam makes
    the weights update too aggressively, the gradients explode and the loss
    turns NaN (the question: "after several epochs", i.e. within its 10).
    From this run and the scenario's cached seed sweep.
    """
    sweep = seed_sweep()
    adam, overflow = sweep.adam_question, sweep.adam_overflow
    sgd, sgd_big, clipped = sweep.sgd_question, sweep.sgd_diverges, sweep.sgd_diverges_clipped
    n, q = adam.seeds, QUESTION_EPOCHS
    jump = adam.peak_loss_early / adam.initial_loss
    worse = int(np.sum(adam.loss_at_question_epochs > adam.initial_loss))
    dead_early, dead_end = adam.dead_at_question_epochs, adam.dead_at_end
    findings = (
        f"These settings, seed {result.params.seed}: "
        + " ".join(describe(r, result.params.epochs) for r in result.runs),
        f"The question as written (Adam, learning rate 1.0, {_at_around(adam.data_scale)}), over {n} "
        f"seeds, each with its own data and initial weights: {adam.nonfinite_within(q)} of {n} reach "
        f"NaN/Inf within {q} epochs, {adam.nonfinite_within(adam.epochs)} of {n} within {adam.epochs}.",
        f"What Adam at 1.0 does instead: within {q} epochs the loss jumps to a median "
        f"{np.median(jump):.0f}× its starting value (up to {jump.max():.0f}×) and {worse} of {n} seeds "
        f"end the {q} epochs worse than they started. ReLU units die: {int(np.sum(dead_early > 0))} "
        f"of {n} seeds have dead units after {q} epochs (median {np.median(dead_early):g} of "
        f"{HIDDEN_UNITS}), a median {np.nanmedian(dead_end):g} of {HIDDEN_UNITS} after {adam.epochs}.",
        f"The weights do not explode with Adam: the largest |weight| is at most "
        f"{adam.largest_weight_early.max():.3g} after {q} epochs and "
        f"{adam.largest_weight_at_end.max():.3g} after {adam.epochs} (Adam moves a weight by at most "
        "about the learning rate per step, whatever the gradient's size).",
        f"The same loop with SGD at the same learning rate and data: {sgd.nonfinite_within(q)} of {n} "
        f"seeds reach NaN/Inf within {q} epochs (median epoch {_median_first(sgd)}), "
        f"{sgd.nonfinite_within(sgd.epochs)} of {n} within {sgd.epochs}; the largest |weight| reaches "
        f"{np.median(sgd.largest_weight_at_end):.1e} (median) before that.",
        f"SGD at learning rate {sgd_big.learning_rate:g} on {_at_around(sgd_big.data_scale)} (the "
        f"“Diverges” preset): {sgd_big.nonfinite_within(q)} of {n} seeds reach NaN/Inf within {q} "
        f"epochs (median epoch {_median_first(sgd_big)}); with clipnorm=1.0, "
        f"{clipped.nonfinite_within(clipped.epochs)} of {n} do within {clipped.epochs} epochs.",
        f"Adam needs much bigger numbers: at learning rate {overflow.learning_rate:g} on "
        f"{_at_around(overflow.data_scale)}, {overflow.nonfinite_within(q)} of {n} seeds reach "
        f"NaN/Inf within {q} epochs (median epoch {_median_first(overflow)}).",
    )
    share = adam.nonfinite_within(q) / n
    verdict = "holds" if share >= 0.5 else ("contradicted" if share == 0 else "holds with a caveat")
    caveat = ""
    if verdict == "holds with a caveat":
        caveat = (f"Only {adam.nonfinite_within(q)} of {n} seeds reach NaN or Inf within {q} epochs with Adam "
                  f"at learning rate {adam.learning_rate:g}; the others stay finite, their largest |weight| "
                  f"at most {_largest_weight_of_finite_seeds(adam):.3g} after {q} epochs.")
    return Evidence(verdict=verdict, findings=findings, caveat=caveat)


def _largest_weight_of_finite_seeds(cell: SweepCell) -> float:
    """The largest |weight| over QUESTION_EPOCHS epochs among seeds whose loss stayed finite that long."""
    finite = (cell.first_nonfinite < 0) | (cell.first_nonfinite > QUESTION_EPOCHS)
    return float(cell.largest_weight_early[finite].max()) if finite.any() else float("nan")


def _median_first(cell: SweepCell) -> str:
    hits = cell.first_nonfinite[cell.first_nonfinite >= 0]
    return f"{np.median(hits):g}" if hits.size else "none"

"""Question 3's verdict: is Adam "generally the best choice" for sparse gradients?

The rare-weight errors of a run, of its all-rare control and of the seed
spread (the last two cached in the engine), judged against the seed answer,
with English findings that carry the numbers.
"""

from __future__ import annotations

import numpy as np

from scenarios.evidence import Evidence, Verdict
from scenarios.sparse_gradients.engine import (
    BATCH_SIZE,
    GRID_SIZE,
    N_EXAMPLES,
    N_FEATURES,
    OPTIMIZER_KEYS,
    SeedSpread,
    SparseGradientsResult,
    control_run,
    seed_spread,
    spec,
)

# "Clearly better/worse" means by more than these factors. Across seeds the
# ratio of two optimizers' rare-weight errors often moves by 1.5× either way
# (30 seeds measured), so smaller gaps say nothing about the optimizers.
CLEAR_MARGIN = 1.5
LAG_FACTOR = 2.0
# Adam "failing" must also be visible against the data's own floor.
FLOOR_FACTOR = 3.0
# Gradients count as sparse when a rare weight's is exactly zero in at
# least half of the mini-batches (sparsity ~0.98 and up with batches of 32).
SPARSE_GRADIENT_SHARE = 0.5


def _errors(result: SparseGradientsResult) -> dict[str, float]:
    return {key: result.rare_error(key) for key in OPTIMIZER_KEYS}


def _clearly_lowest(errors: dict[str, float], key: str) -> bool:
    return all(error >= CLEAR_MARGIN * errors[key] for other, error in errors.items() if other != key)


def verdict(mixed: SparseGradientsResult, all_rare: SparseGradientsResult, spread: SeedSpread) -> Verdict:
    """The seed answer's verdict from the runs' rare-weight errors.

    contradicted: the gradients are sparse and Adam's rare weights still end
        clearly worse than plain SGD's (by LAG_FACTOR, and FLOOR_FACTOR above
        the least-squares floor);
    holds: Adam is clearly the best on the rare weights in this run and in the
        median over the seed spread, plain SGD lags it by LAG_FACTOR, Adam is
        also among the best in the all-rare control, and its updates are sparse
        (it leaves most zero-gradient weights untouched: "handles sparse updates
        efficiently");
    holds with a caveat: anything in between (Adam works, but is not uniquely best).
    """
    errors = _errors(mixed)
    adam = errors["adam"]
    sparse = mixed.rare_zero_gradient_share >= SPARSE_GRADIENT_SHARE
    if sparse and adam > LAG_FACTOR * errors["sgd"] and adam > FLOOR_FACTOR * mixed.least_squares_rare_error:
        return "contradicted"
    control = _errors(all_rare)
    holds = (
        _clearly_lowest(errors, "adam")
        and _clearly_lowest(spread.median_errors(), "adam")
        and errors["sgd"] >= LAG_FACTOR * adam
        and control["adam"] <= CLEAR_MARGIN * min(control.values())
        and mixed.row("adam")["moved_without_gradient"] < 0.5
    )
    return "holds" if holds else "holds with a caveat"


def caveat(mixed: SparseGradientsResult, all_rare: SparseGradientsResult, spread: SeedSpread) -> str:
    """The one-sentence caveat of "holds with a caveat": which of `verdict`'s "holds" tests failed.

    At most the first two failed tests, most telling first: another optimizer as
    good as Adam in this run, then over the seed spread, plain SGD not lagging,
    Adam behind in the all-rare control; or, alone, Adam moving weights whose
    gradient is zero.
    """
    errors, control, medians = _errors(mixed), _errors(all_rare), spread.median_errors()
    adam = errors["adam"]

    def rival(values: dict[str, float]) -> str:
        return min((key for key in values if key != "adam"), key=values.get)

    def name(key: str) -> str:
        return "plain SGD" if key == "sgd" else spec(key).label

    clauses = []
    if not _clearly_lowest(errors, "adam"):
        key = rival(errors)
        clauses.append(f"{name(key)}'s rare-weight error was {_ratio(errors[key], adam)} Adam's in this run")
    if not _clearly_lowest(medians, "adam"):
        key = rival(medians)
        wins = spread.lowest_counts()
        seeds = f"over seeds 0–{spread.seeds - 1}"
        if (mixed.params.sparsity, mixed.params.steps) != (spread.sparsity, spread.steps):
            seeds += f" (sparsity {spread.sparsity:g}, {spread.steps} steps)"
        label = name(key)
        clauses.append(f"{seeds} {label} had the lowest error on {wins[key]} seeds against Adam's {wins['adam']}, "
                       f"with Adam's median error {medians['adam'] / medians[key]:.3g}× {label}'s")
    if errors["sgd"] < LAG_FACTOR * adam:
        clauses.append(f"plain SGD's rare-weight error was only {_ratio(errors['sgd'], adam)} Adam's")
    if control["adam"] > CLEAR_MARGIN * min(control.values()):
        key = min(control, key=control.get)
        clauses.append(f"with all {N_FEATURES} features equally rare, {name(key)}'s error was "
                       f"{_ratio(control[key], control['adam'])} Adam's")
    if clauses:
        return "Adam is not clearly the best here: " + ", and ".join(clauses[:2]) + "."
    moved = mixed.row("adam")["moved_without_gradient"]
    if not np.isfinite(moved):
        return ("Adam is the best here, but no rare weight's gradient was exactly zero, so these runs cannot "
                "show how it treats sparse updates.")
    return (f"Adam is the best here, but it does not leave a weight alone when its gradient is zero: it still "
            f"changed such a weight on {moved:.0%} of those steps.")


def _listing(values: dict[str, float] | SparseGradientsResult, column: str = "rare_error") -> str:
    """Optimizers with their values, smallest first: "Adam 0.022, Adagrad 0.039, …"."""
    if isinstance(values, SparseGradientsResult):
        values = dict(zip(values.summary["optimizer"], values.summary[column], strict=True))
    ordered = sorted(values.items(), key=lambda item: item[1])
    return ", ".join(f"{spec(key).label} {value:.3f}" for key, value in ordered)


def _join(labels: list[str]) -> str:
    return labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " and " + labels[-1]


def _ratio(a: float, b: float) -> str:
    return f"{a / b:.2g}×" if b > 0 else "n/a"


def evidence(result: SparseGradientsResult) -> Evidence:
    """Findings with numbers from the runs: mixed features, all features rare, the seed spread.

    `result` is the page's run (mixed features); its all-rare control and the
    seed spread come from the engine's caches.
    """
    mixed, all_rare, spread = result, control_run(result.params), seed_spread()
    p = mixed.params
    errors = _errors(mixed)
    control = _errors(all_rare)
    best_key = min(errors, key=errors.get)
    findings = [
        f"At sparsity {p.sparsity:g} each rare feature is non-zero in {mixed.rare_nonzero_examples} of the "
        f"{N_EXAMPLES:,} examples (each common one in {mixed.common_nonzero_examples}), so over the "
        f"{p.steps} mini-batches of {BATCH_SIZE} a rare weight's gradient was exactly zero in "
        f"{mixed.rare_zero_gradient_share:.0%} of them (a common weight's in "
        f"{mixed.common_zero_gradient_share:.0%}).",
        f"Tuned learning rates (lowest final loss of {GRID_SIZE} tried each): "
        + ", ".join(f"{row.label} {row.learning_rate:g} (final loss {row.final_loss:.3g})"
                    for row in mixed.summary.itertuples()) + ".",
        f"RMS error of the rare weights after {p.steps} steps, best first: {_listing(mixed)}. "
        f"They started at {mixed.initial_rare_error:.3f}; the least-squares floor of this data is "
        f"{mixed.least_squares_rare_error:.3f}.",
        f"Plain SGD's rare-weight error is {_ratio(errors['sgd'], errors['adam'])} Adam's and "
        f"{_ratio(errors['sgd'], errors['adagrad'])} Adagrad's; Adagrad's is "
        f"{_ratio(errors['adagrad'], errors['adam'])} Adam's. Lowest in this run: {spec(best_key).label}.",
        f"Common weights, for contrast: {_listing(mixed, 'common_error')} "
        f"(floor {mixed.least_squares_common_error:.3f}).",
        f"Control, all {N_FEATURES} features equally rare (sparsity {p.sparsity:g}), tuned the same way: "
        f"rare-weight error {_listing(all_rare)} (floor {all_rare.least_squares_rare_error:.3f}); "
        f"plain SGD's is {_ratio(control['sgd'], min(control['adam'], control['adagrad']))} the better "
        f"of Adam's and Adagrad's (mixed features, same seed: "
        f"{_ratio(errors['sgd'], min(errors['adam'], errors['adagrad']))}).",
        "At Keras's default learning rates ("
        + ", ".join(f"{row.label} {row.default_learning_rate:g}" for row in mixed.summary.itertuples())
        + f") the rare-weight errors after {p.steps} steps are {_listing(mixed, 'default_rare_error')} "
        f"(start {mixed.initial_rare_error:.3f}).",
    ]
    moved = dict(zip(mixed.summary["label"], mixed.summary["moved_without_gradient"], strict=True))
    lazy = [label for label, share in moved.items() if share == 0]
    busy = [label for label, share in moved.items() if share > 0]
    if np.isfinite(list(moved.values())).all():
        findings.append(
            "Sparse updates: when a weight's gradient was exactly zero, "
            + (f"{_join(lazy)} left it untouched every time" if lazy else "no optimizer left it untouched")
            + (f"; {_join(busy)} still changed it ("
               + " and ".join(f"{moved[label]:.0%}" for label in busy)
               + " of those times): their running average of past gradients keeps moving a weight at "
               "every step once it has had its first non-zero gradient (Keras's dense Adam; lazy variants "
               "such as PyTorch's SparseAdam update only the rows present in the batch)"
               if busy else "")
            + "."
        )
    lowest = spread.lowest_counts()
    sgd_low, _ = spread.ratio_range("sgd", "adam")
    adagrad_low, adagrad_high = spread.ratio_range("adagrad", "adam")
    medians = spread.median_errors()
    findings.append(
        f"The same comparison on seeds 0–{spread.seeds - 1} (sparsity {spread.sparsity:g}, {spread.steps} "
        f"steps): the lowest rare-weight error went to "
        + ", ".join(f"{spec(k).label} {n}×" for k, n in sorted(lowest.items(), key=lambda kv: -kv[1]) if n)
        + f"; median errors {_listing(medians)}. Adagrad's error ranged from "
        f"{adagrad_low:.2g}× to {adagrad_high:.2g}× Adam's, and Adam's median error was "
        f"{medians['adam'] / medians['adagrad']:.3g}× Adagrad's; plain SGD's was at least "
        f"{sgd_low:.2g}× Adam's."
    )
    if mixed.rare_zero_gradient_share < SPARSE_GRADIENT_SHARE:
        findings.append(
            f"With batches of {BATCH_SIZE}, a rare weight's gradient is non-zero in most batches at this "
            f"sparsity: these gradients are not very sparse (under {SPARSE_GRADIENT_SHARE:.0%} zeros)."
        )
    edges = [row.label for row in mixed.summary.itertuples() if row.at_grid_edge]
    if edges:
        findings.append(f"Tuned at the edge of its grid (a better rate may lie outside): {', '.join(edges)}.")
    outcome = verdict(mixed, all_rare, spread)
    return Evidence(verdict=outcome, findings=tuple(findings),
                    caveat=caveat(mixed, all_rare, spread) if outcome == "holds with a caveat" else "")

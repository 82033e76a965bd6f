"""Question 2's verdict: does the snippet print "around 10.0"? Numbers from the runs."""

from __future__ import annotations

import numpy as np

from scenarios.evidence import Evidence
from scenarios.rmsprop_first_step.engine import (
    PrintedLossDistribution,
    RMSpropFirstStepResult,
    printed_loss_distribution,
)

# The seed answer's claim: "around 10.0". Taken generously as 10 ± 2.5.
CLAIMED_VALUE = 10.0
CLAIM_BAND = (7.5, 12.5)


def evidence(result: RMSpropFirstStepResult,
             distribution: PrintedLossDistribution | None = None) -> Evidence:
    """Does "around 10.0" hold across seeds? Numbers from the runs."""
    distribution = distribution or printed_loss_distribution()
    printed = distribution.printed_losses
    share = distribution.share_between(*CLAIM_BAND)
    low, high = CLAIM_BAND
    findings = (
        f"For seed {result.params.seed} the snippet prints {result.printed_loss:.3f} "
        f"(initial kernel w = {result.initial_kernel:.4f}, bias {result.initial_bias:g}).",
        f"Over seeds 0–{len(printed) - 1} the printed value ranges from {printed.min():.3f} "
        f"to {printed.max():.3f}; median {np.median(printed):.3f}, mean {printed.mean():.3f}.",
        f"Only {share:.1%} of those seeds print a value between {low:g} and {high:g}.",
        "The value is the loss *before* the update: the RMSprop step cannot change it.",
    )
    verdict = "holds" if share >= 0.5 else "contradicted"
    return Evidence(verdict=verdict, findings=findings)



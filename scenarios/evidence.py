"""What a page's runs say about the seed answer, as plain data."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Verdict = Literal["holds", "holds with a caveat", "contradicted"]


@dataclass(frozen=True)
class Evidence:
    """A verdict on the seed answer and the measured findings behind it.

    Every number in `findings` is computed from runs, never written by hand.
    """

    verdict: Verdict
    findings: tuple[str, ...]
    # "holds with a caveat" names its caveat in one sentence, shown above the numbers.
    caveat: str = ""

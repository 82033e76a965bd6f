"""What a page's runs say about the seed answer, as plain data."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal

Verdict = Literal["holds", "holds with a caveat", "contradicted"]
VERDICTS: tuple[Verdict, ...] = ("holds", "holds with a caveat", "contradicted")

# A sentence ends at . ! or ? (maybe closed by a quote or bracket) followed by
# whitespace and a capital letter or a digit: "… 12 runs. 5 of them …" is two
# sentences; "0.5", "1.5e+08", "e.g. the" and "(0.8× Adam's)" are not boundaries.
_SENTENCE_BOUNDARY = re.compile(r"[.!?][\"”’)\]]*\s+(?=[\"“‘(\[]*[A-Z0-9])")


def sentence_count(text: str) -> int:
    """How many sentences `text` holds (0 when it is blank)."""
    text = text.strip()
    return 0 if not text else 1 + len(_SENTENCE_BOUNDARY.findall(text))


@dataclass(frozen=True)
class Evidence:
    """A verdict on the seed answer and the measured findings behind it.

    Every number in `findings` is computed from runs, never written by hand.
    A "holds with a caveat" verdict names its caveat in `caveat`: one plain
    sentence (computed from the runs too), shown above the numbers. The other
    verdicts carry no caveat.
    """

    verdict: Verdict
    findings: tuple[str, ...]
    caveat: str = ""

    def __post_init__(self) -> None:
        if self.verdict not in VERDICTS:
            raise ValueError(f"Evidence.verdict: {self.verdict!r} is not one of {VERDICTS}")
        caveat = self.caveat.strip()
        if self.verdict != "holds with a caveat":
            if caveat:
                raise ValueError(f"Evidence.caveat: a {self.verdict!r} verdict has no caveat, got {caveat!r}")
            return
        if not caveat:
            raise ValueError("Evidence.caveat: a 'holds with a caveat' verdict must name its caveat")
        if "\n" in caveat or sentence_count(caveat) != 1:
            raise ValueError(f"Evidence.caveat must be one sentence, got {sentence_count(caveat)}: {caveat!r}")
        if caveat[-1] not in ".!?":
            raise ValueError(f"Evidence.caveat must end as a sentence ends (. ! ?): {caveat!r}")

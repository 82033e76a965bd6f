"""What happened in the class: every move, every error, every student; the run they belong to."""

from __future__ import annotations

import argparse
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from benchmarks.classroom.plan import SharedLink
    from benchmarks.classroom.sampler import Sampler


@dataclass
class Move:
    student: int
    driver: str  # protocol | browser
    page: str
    slider: str
    direction: int  # +1 right, -1 left
    t: float  # when the move was sent, seconds since the sampler started
    latency_s: float | None  # None: timed out
    chart_changed: bool  # False: the rerun drew the same chart data
    # Browser moves, roughly (event times as seen by this process): key press ->
    # BackMsg sent -> script_finished received is the server's part, the rest
    # (debounce, applying deltas, plotly) is the page's.
    server_s: float | None = None


@dataclass
class ErrorEvent:
    student: int
    page: str
    kind: str  # exception | timeout | disconnect | http | crash | driver | js
    t: float
    detail: str


@dataclass
class StudentRecord:
    index: int
    driver: str
    page: str
    link: str
    arrive_at: float = 0.0
    arrived_t: float | None = None
    load_s: float | None = None
    left_t: float | None = None
    moves: int = 0


@dataclass
class Run:
    args: argparse.Namespace
    url: str
    sampler: Sampler
    links: dict[str, SharedLink]  # by page
    moves: list[Move] = field(default_factory=list)
    errors: list[ErrorEvent] = field(default_factory=list)
    students: list[StudentRecord] = field(default_factory=list)

    def error(self, student: StudentRecord, kind: str, detail: str) -> None:
        self.errors.append(ErrorEvent(student.index, student.page, kind,
                                      round(self.sampler.now(), 3), detail[:500]))

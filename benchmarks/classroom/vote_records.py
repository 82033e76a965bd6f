"""What happened in a voting class: every vote, every teacher action, every page change, every error."""

from __future__ import annotations

import argparse
import time
from dataclasses import dataclass, field

from benchmarks.classroom.records import ErrorEvent


@dataclass
class VoteRecord:
    student: int
    server: str  # "A" | "B"
    question: str
    round: int
    choice: int  # bank order
    change: bool  # True: "Change my prediction" after an acknowledged vote in the same round
    t_sent: float  # time.time() when the button's BackMsg was sent
    # ack | refused | timeout | disconnect | closed (the teacher closed the round first: the page moved on)
    outcome: str = "pending"
    t_ack: float | None = None  # the run showing "Your prediction is in: <this choice>" finished
    ack_s: float | None = None
    detail: str = ""
    # First votes only (a change does not move the voted count):
    rank: int | None = None  # its place among the round's first votes, in order of acknowledgement
    t_projector: float | None = None  # the projector first showed a voted count >= rank
    projector_s: float | None = None


@dataclass
class TeacherAction:
    kind: str  # start | again | reveal | next | end
    label: str  # the button pressed
    question_number: int  # what the class should see afterwards
    round: int
    phase: str  # voting | revealed | ended
    t: float  # time.time() just before the click
    t_projector: float | None = None  # the projector's tally showed the new state


@dataclass
class Follow:
    """A student's page after a teacher action: when it first showed the new state."""

    student: int
    server: str
    action: int  # index into ClassRun.actions
    kind: str
    seconds: float | None  # None: never within the wait


@dataclass
class ClassStudent:
    index: int
    name: str
    server: str
    url: str
    arrive_at: float = 0.0  # seconds after the class started
    joined_t: float | None = None  # time.time()
    join_s: float | None = None  # GET + websocket + join form -> the voting page
    left_t: float | None = None
    votes: int = 0
    full_runs: int = 0
    fragment_runs: int = 0
    timer_sends: int = 0
    cut_off_runs: int = 0  # full runs whose end never reached this student (LiveClient.cut_off_runs)
    # (time.time(), question number, round, phase) of every full run's page
    views: list[tuple[float, int | None, int, str]] = field(default_factory=list)
    reported_runs: set[int] = field(default_factory=set)  # full runs whose problems are already errors


@dataclass
class TallyShown:
    """A change of the projector's '<N> joined · <M> voted in round R' line (browser clock, ms -> s)."""

    t: float
    question_number: int | None
    joined: int
    voted: int
    round: int
    revealed: bool


@dataclass
class ClassRun:
    args: argparse.Namespace
    scenario: str
    servers: dict[str, str]  # label -> URL
    code: str = ""
    started: float = field(default_factory=time.time)
    students: list[ClassStudent] = field(default_factory=list)
    votes: list[VoteRecord] = field(default_factory=list)
    actions: list[TeacherAction] = field(default_factory=list)
    tally: list[TallyShown] = field(default_factory=list)
    follows: list[Follow] = field(default_factory=list)
    errors: list[ErrorEvent] = field(default_factory=list)

    def now(self) -> float:
        return time.time() - self.started

    def error(self, who: int, where: str, kind: str, detail: str) -> None:
        """who: a student's index, -1 for the projector, -2 for the database check."""
        self.errors.append(ErrorEvent(who, where, kind, round(self.now(), 3), detail[:1500]))

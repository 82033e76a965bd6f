"""The lesson plan: the links a teacher shares, who opens which and when, how a student moves sliders.

Everything comes from the question bank: one shared link per question,
carrying the values of its first preset (what a teacher would pick to
send), and each question's sliders for the students to move.
"""

from __future__ import annotations

import argparse
import asyncio
import random
from dataclasses import dataclass
from urllib.parse import parse_qs, quote, urlencode

from benchmarks.classroom.records import StudentRecord
from content.questions import Question, load_bank
from harness.sliders import sliders
from ui import url_state


@dataclass(frozen=True)
class SharedLink:
    """One question page with the query of one of its presets."""

    question: Question
    query: str

    @property
    def page(self) -> str:
        return self.question.id

    @property
    def slider_labels(self) -> list[str]:
        return [c.label for c in sliders(self.question)]

    def url(self, base: str) -> str:
        return f"{base}/{self.page}?{self.query}" if self.query else f"{base}/{self.page}"


def preset_query(question: Question, preset_index: int = 0) -> str:
    """A link's query for one preset: every value it sets, written as the app writes a link."""
    preset = question.presets[preset_index]
    values = {key: url_state.format_value(question.control(key), value) for key, value in preset.values.items()}
    return urlencode(values, quote_via=quote)


def shared_links() -> list[SharedLink]:
    """One link per question of the bank (its first preset), each checked as the app will read it."""
    bank = load_bank()
    if bank.errors:
        raise SystemExit(f"the question bank has broken files: {[str(e) for e in bank.errors]}")
    links = []
    for question in bank.questions:
        link = SharedLink(question, preset_query(question))
        reading = url_state.read_url(question.controls, parse_qs(link.query, keep_blank_values=True))
        if reading.warnings:
            raise SystemExit(f"shared link for {link.page} is not read back as written: {reading.warnings}")
        if not link.slider_labels:
            raise SystemExit(f"{link.page} has no slider to move")
        links.append(link)
    if not links:
        raise SystemExit("the question bank has no question")
    return links


def plan_students(args: argparse.Namespace, links: list[SharedLink], url: str) -> list[StudentRecord]:
    """Student i opens link i mod len(links) and arrives at a random time within the ramp."""
    students = [StudentRecord(i, "protocol", links[i % len(links)].page, links[i % len(links)].url(url))
                for i in range(args.students)]
    rng = random.Random(args.seed)
    arrivals = [rng.uniform(0, args.ramp_seconds) for _ in students]
    for student, offset in zip(students, arrivals, strict=True):
        student.arrive_at = offset
    return students


def choose_browser_students(students: list[StudentRecord], charts_by_page: dict[str, int], count: int) -> None:
    """The first `count` students go to Chromium: one per page, the pages with the most charts first.

    The browser renders every chart of a rerun, so the pages with the most
    charts show the rendering's cost best (counted on the teacher's visit).
    """
    pages = list(charts_by_page)
    rank = {page: n for n, page in enumerate(sorted(pages, key=lambda p: -charts_by_page[p]))}
    order = sorted(students, key=lambda s: (s.index // len(pages), rank[s.page]))
    for student in order[:count]:
        student.driver = "browser"


class Walker:
    """A student's habits: which slider next, which way, how long to think."""

    def __init__(self, rng: random.Random, sliders: list[str], args: argparse.Namespace) -> None:
        self.rng, self.sliders, self.args = rng, sliders, args
        self.label, self.left = rng.choice(sliders), 0
        self.direction = {s: rng.choice((1, -1)) for s in sliders}

    @classmethod
    def of(cls, student: StudentRecord, link: SharedLink, args: argparse.Namespace) -> Walker:
        """The student's own habits, the same in every run with the same `--seed`."""
        return cls(random.Random(args.seed * 1_000_003 + student.index), link.slider_labels, args)

    async def think(self, now: float, leave_at: float) -> bool:
        """Think before the next move; False (without waiting) if the student leaves first."""
        seconds = self.rng.uniform(self.args.think_min, self.args.think_max)
        if now + seconds >= leave_at:
            return False
        await asyncio.sleep(seconds)
        return True

    def next(self) -> str:
        """The slider to move next."""
        if self.left <= 0:  # a student sticks with one slider for a few moves
            self.label, self.left = self.rng.choice(self.sliders), self.rng.randint(2, 5)
        self.left -= 1
        if self.rng.random() < 0.15:
            self.direction[self.label] *= -1
        return self.label

    def bounce(self, label: str, position: tuple[float, float, float] | None) -> int:
        """The way to move `label`, turning round at an end; position = (now, low, high)."""
        if position is not None:
            now, low, high = position
            if now >= high:
                self.direction[label] = -1
            elif now <= low:
                self.direction[label] = 1
        return self.direction[label]

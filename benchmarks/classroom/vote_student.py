"""A class student over the protocol: join by code, vote in every round the teacher opens, follow to the end.

The student never asks the benchmark what the teacher did: they read their
own page (`LiveClient.view`), which changes when `_follow`'s auto-rerun
notices the teacher's move and reruns the app. Habits are seeded per
student (`--seed`): think times, the choice, whether they change their mind
in round 2 and within a round ("Change my prediction").
"""

from __future__ import annotations

import asyncio
import random
import time

from websockets.exceptions import ConnectionClosed, WebSocketException

from benchmarks.classroom.live_client import LiveClient, LiveError, View
from benchmarks.classroom.vote_records import ClassRun, ClassStudent, VoteRecord
from content.questions import Question

CLASS_PAGE = "class"


class Habits:
    """How one student thinks and picks, the same in every run with the same seed."""

    def __init__(self, seed: int, index: int, think: tuple[float, float]) -> None:
        self.rng = random.Random(seed * 1_000_003 + index)
        self.think_range = think
        self.first: dict[str, int] = {}

    def think(self) -> float:
        return self.rng.uniform(*self.think_range)

    def reach(self) -> float:
        """From picking an option to pressing the button."""
        return self.rng.uniform(0.2, 0.8)

    def pick(self, question: Question, round_: int, switch_share: float) -> int:
        n = len(question.choices)
        if round_ > 1 and question.id in self.first:
            mine = self.first[question.id]
            if self.rng.random() >= switch_share:
                return mine
            # After discussion, most who switch move to the supported answer.
            others = [i for i in range(n) if i != mine]
            return question.correct_choice if (question.correct_choice in others and self.rng.random() < 0.7) \
                else self.rng.choice(others)
        # Round 1: the supported answer a little more often than the rest.
        weights = [2.0 if i == question.correct_choice else 1.0 for i in range(n)]
        choice = self.rng.choices(range(n), weights)[0]
        self.first[question.id] = choice
        return choice

    def other(self, question: Question, current: int) -> int:
        return self.rng.choice([i for i in range(len(question.choices)) if i != current])


def _acknowledges(view: View, question: Question, round_: int, label: str) -> bool:
    return (view.vote_question, view.vote_round) == (question.id, round_) and any(
        text.startswith("Your prediction is in: ") and label in text for text in view.success)


def _moved_on(view: View, question: Question, round_: int) -> bool:
    """The page no longer offers this round's vote: the teacher opened round 2, revealed, moved on or ended."""
    return not view.voting or (view.vote_question, view.vote_round) != (question.id, round_)


async def _cast(run: ClassRun, student: ClassStudent, client: LiveClient, habits: Habits, question: Question,
                round_: int, choice: int, change: bool) -> bool:
    """Pick the option (a rerun), reach for the button, press it; record the vote. False: stop voting.

    The teacher may close the round between the student's look and the click (the teacher waits for every
    first vote, not for a change of mind): the page then shows the next step, not this round's form. That
    vote is "closed", not an error; the student goes on with the class.
    """
    args = run.args
    label = question.choices[choice].text
    view = client.view
    assert view is not None
    if label not in view.options:
        run.error(student.index, student.server, "driver", f"option {label!r} not on the page: {view.options}")
        return False
    picked = await client.choose(label)
    # The page redrawn after the pick (any full run that ended after it: a problem on it is reported at the end).
    try:
        view = await client.wait_view(lambda v: True, args.vote_timeout, after=picked)
    except LiveError as exc:
        raise LiveError(f"pick {question.id} r{round_}: {exc}; after the pick:"
                        f" {client.recent(since=picked - 0.01)}") from exc
    if _moved_on(view, question, round_):
        return True  # closed before the click: nothing was sent
    await asyncio.sleep(habits.reach())
    view = client.view
    if _moved_on(view, question, round_):
        return True
    record = VoteRecord(student.index, student.server, question.id, round_, choice, change, 0.0)
    run.votes.append(record)
    try:
        record.t_sent = await client.click(view.vote_button)
    except (LiveError, ConnectionClosed, WebSocketException, OSError) as exc:
        record.outcome, record.detail = "disconnect", f"{type(exc).__name__}: {exc}"
        raise
    try:
        done = await client.wait_view(
            lambda v: _acknowledges(v, question, round_, label) or bool(v.problems or v.exceptions)
            or _moved_on(v, question, round_), args.vote_timeout, after=record.t_sent)
    except LiveError as exc:
        record.outcome, record.detail = ("disconnect" if client.closed_reason else "timeout"), str(exc)
        run.error(student.index, student.server, record.outcome,
                  f"vote {question.id} r{round_}: {exc}; after the click: {client.recent(since=record.t_sent - 0.01)}")
        return False
    if _acknowledges(done, question, round_, label):
        record.outcome, record.t_ack = "ack", done.t
        record.ack_s = round(done.t - record.t_sent, 4)
        student.votes += 1
        return True
    if not (done.problems or done.exceptions):
        record.outcome, record.detail = "closed", f"the page moved on before an acknowledgement: {done.key()}"
        return True
    record.outcome = "refused"
    student.reported_runs.add(done.run)
    record.detail = " | ".join(done.problems + done.exceptions)
    run.error(student.index, student.server, "refused", f"vote {question.id} r{round_}: {record.detail}")
    return False


async def student_session(run: ClassRun, student: ClassStudent, questions: dict[str, Question],
                          class_over: asyncio.Event) -> None:
    args = run.args
    habits = Habits(args.seed, student.index, (args.think_min, args.think_max))
    client = LiveClient(student.url, CLASS_PAGE, f"room={run.code}", max_timer_sends=args.max_polls,
                        on_view=lambda v: student.views.append((v.t, *v.key())))
    await asyncio.sleep(max(0.0, student.arrive_at - run.now()))
    try:
        started = time.time()
        try:
            await client.fetch_page(args.load_timeout)
        except OSError as exc:
            run.error(student.index, student.server, "http", f"GET page: {exc}")
        await client.open()
        view = await client.wait_view(lambda v: bool(v.join_button), args.load_timeout)
        client.set_text(view.join_code_input, run.code)
        client.set_text(view.join_name_input, student.name)
        sent = await client.click(view.join_button)
        await client.wait_view(lambda v: v.voting or v.answer_shown or v.ended or bool(v.problems), args.load_timeout,
                               after=sent)
        student.joined_t = time.time()
        student.join_s = round(student.joined_t - started, 3)
        if client.view.problems or client.view.exceptions:
            student.reported_runs.add(client.view.run)
            problems = client.view.problems + client.view.exceptions
            run.error(student.index, student.server, "refused", f"join: {problems}")
            return
        voted: set[tuple[str, int]] = set()
        for _ in range(args.max_rounds_per_student):
            # The next question may be minutes away (discussion, the reveal): the teacher's side judges
            # whether a page followed in time (Follow records); this wait is only bounded by the class.
            view = await client.wait_view(
                lambda v: v.ended or (v.voting and (v.vote_question, v.vote_round) not in voted),
                args.class_timeout)
            if view.ended:
                break
            question, round_ = questions[view.vote_question], view.vote_round
            voted.add((question.id, round_))
            await asyncio.sleep(habits.think())
            choice = habits.pick(question, round_, args.switch_share)
            if not await _cast(run, student, client, habits, question, round_, choice, change=False):
                break
            if habits.rng.random() < args.recant_share:
                await asyncio.sleep(habits.think() / 2)
                if not await _cast(run, student, client, habits, question, round_,
                                   habits.other(question, choice), change=True):
                    break
        else:
            run.error(student.index, student.server, "driver", "more rounds than --max-rounds-per-student")
        # Stay on the page until the teacher's last step has been seen by everyone.
        await asyncio.wait_for(class_over.wait(), args.class_timeout)
    except LiveError as exc:
        kind = "disconnect" if client.closed_reason else "timeout"
        run.error(student.index, student.server, kind, f"{exc}; last messages: {client.recent()}")
    except TimeoutError as exc:
        run.error(student.index, student.server, "timeout", f"waiting for the class to end: {exc}")
    except (ConnectionClosed, WebSocketException, OSError) as exc:
        run.error(student.index, student.server, "disconnect", f"{type(exc).__name__}: {exc}")
    finally:
        for problem in client.fragment_problems:
            run.error(student.index, student.server, "exception", f"in the poll: {problem}")
        for view in client.views:
            if view.run in student.reported_runs:
                continue
            for problem in view.exceptions:
                run.error(student.index, student.server, "exception", problem)
            for problem in view.problems:
                run.error(student.index, student.server, "page-error", problem)
        student.left_t = time.time()
        student.full_runs, student.fragment_runs = len(client.views), client.fragment_runs
        student.timer_sends = client.timer_sends
        student.cut_off_runs = client.cut_off_runs
        await client.close()

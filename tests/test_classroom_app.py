"""Class mode in AppTest: the teacher's projector and the students' phones, each an AppTest session.

Every test gets its own SQLite file (``OPTIMIZER_EXPLORER_CLASSROOM_DB``)
and a fresh cached store; the test reads and writes the same file through
its own ``ClassStore`` to check what the pages did.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from apptest_helpers import charts, errors, open_page
from streamlit.testing.v1 import AppTest

from classroom import ClassStore, StoreUnavailable, config
from content.questions import load_bank
from ui import chart_in_place
from ui import classroom as class_ui

BANK = load_bank()
FIRST, SECOND = BANK.questions[0], BANK.questions[1]
WRONG = next(i for i in range(len(FIRST.choices)) if i != FIRST.correct_choice)


@pytest.fixture(autouse=True)
def class_db(tmp_path, monkeypatch) -> Iterator[ClassStore]:
    """A fresh class database for each test, and the app's cached store pointed at it."""
    path = tmp_path / "classroom.sqlite"
    monkeypatch.setenv(config.DB_PATH_ENV, str(path))
    class_ui.store.clear()
    class_ui._limiters.clear()
    yield ClassStore(config.make_engine(config.sqlite_url(path)))
    class_ui.store.clear()


def _texts(at: AppTest) -> str:
    """Every piece of text on the page, to search in."""
    parts = []
    for kind in ("title", "header", "subheader", "markdown", "caption", "text", "success", "info", "warning",
                 "error", "code"):
        parts += [str(element.value) for element in at.get(kind)]
    # A chart's text description is drawn with the chart (ui/chart_in_place.py).
    parts += [chart_in_place.caption_of(chart.proto.json) for chart in charts(at) if chart.type == "bidi_component"]
    return "\n".join(parts)


def _buttons(at: AppTest) -> dict[str, object]:
    return {button.label: button for button in at.button}


def start_class() -> tuple[AppTest, str, str]:
    """The teacher clicks "Start a class" on the home page; returns the page, the code and the key."""
    at = open_page()
    at.button(key="class:start").click().run()
    assert errors(at) == []
    code = at.query_params["room"][0] if isinstance(at.query_params["room"], list) else at.query_params["room"]
    keys = at.session_state["_class_teacher_keys"]
    return at, code, keys[code]


def join(code: str, name: str = "") -> AppTest:
    """A student opens the join link and joins."""
    at = open_page("class", {"room": code})
    assert errors(at) == []
    if name:
        at.text_input(key="class:join:name").input(name)
    at.button(key="class:join:go").click().run()
    assert errors(at) == []
    return at


def vote(at: AppTest, question, choice: int) -> AppTest:
    radio = next(r for r in at.radio if r.key and r.key.startswith("class:"))
    radio.set_value(choice).run()
    next(b for b in at.button if b.key and b.key.startswith("class:vote:")).click().run()
    assert errors(at) == []
    return at


def test_teacher_flow(class_db: ClassStore):
    teacher, code, key = start_class()
    page = _texts(teacher)
    assert f"room={code}" in page and f"Question {FIRST.number}" in page
    assert key not in page  # the projector never draws the key as text
    assert set(_buttons(teacher)) >= {"Reveal to class", "Vote again", "Next question", "End class"}
    assert teacher.get("download_button"), "the export is on the teacher's page"
    assert "Round 1 · 0 voted" in page

    students = [join(code, name) for name in ("Zorblat", "", "Quixmo")]
    for student, choice in zip(students, (FIRST.correct_choice, FIRST.correct_choice, WRONG), strict=True):
        vote(student, FIRST, choice)
    teacher.run()
    page = _texts(teacher)
    assert "Round 1 · 3 voted" in page
    assert f"{class_ui._letter(FIRST.correct_choice)} 2 (67%)" in page
    assert "Zorblat" not in page and "Quixmo" not in page  # no names on the projector

    _buttons(teacher)["Reveal to class"].click().run()
    assert errors(teacher) == []
    assert class_db.state(code).phase == "revealed"
    page = _texts(teacher)
    assert "Best supported answer" in page and "Verdict:" in page
    assert charts(teacher), "the live experiment is drawn after the reveal"

    _buttons(teacher)["Vote again"].click().run()
    assert class_db.state(code).round == 2
    students[2].run()  # what the page's 2-second poll does
    assert "Round 2" in _texts(students[2])
    vote(students[2], FIRST, FIRST.correct_choice)
    teacher.run()
    page = _texts(teacher)
    assert "Round 1 · 3 voted" in page and "Round 2 · 1 voted" in page  # beside each other

    _buttons(teacher)["Next question"].click().run()
    assert class_db.state(code).question_id == SECOND.id
    assert f"Question {SECOND.number}" in _texts(teacher)

    csv = class_db.export_csv(code, key, include_names=True)
    assert "Zorblat" in csv and f"{FIRST.id},2,{FIRST.correct_choice}" in csv

    _buttons(teacher)["End class"].click().run()
    assert class_db.state(code).ended
    assert f"Class {code} has ended" in _texts(teacher)
    assert teacher.get("download_button"), "the export stays after the end"
    students[0].run()
    assert "ended the class" in _texts(students[0])


def test_student_flow(class_db: ClassStore):
    code, key = class_db.create_room(FIRST.id)
    student = join(code, "Grace")
    assert "as Grace" in _texts(student)
    assert "Your prediction" in [r.label for r in student.radio]

    vote(student, FIRST, WRONG)
    assert class_db.tallies(code, FIRST.id).round(1).counts[WRONG] == 1
    assert "Your prediction is in" in _texts(student)
    vote(student, FIRST, FIRST.correct_choice)  # a re-vote replaces the first
    tally = class_db.tallies(code, FIRST.id, len(FIRST.choices)).round(1)
    assert tally.voted == 1 and tally.counts[FIRST.correct_choice] == 1

    class_db.reveal(code, key)
    student.run()
    page = _texts(student)
    assert errors(student) == []
    assert "Your prediction was right" in page and "Verdict:" in page and "Explanation" in [
        h.value for h in student.subheader]
    assert not student.radio or all(not (r.key or "").startswith("class:") for r in student.radio)

    class_db.next_question(code, key, SECOND.id)
    student.run()
    assert f"Question {SECOND.number}" in _texts(student)


def test_teacher_link_opens_the_projector_and_leaves_the_address_bar():
    _, code, key = start_class()
    at = open_page("class", {"room": code, "teacher": key})
    assert errors(at) == []
    assert "teacher" not in at.query_params
    assert "Reveal to class" in _buttons(at)


def test_forged_teacher_key_is_a_student(class_db: ClassStore):
    code, _ = class_db.create_room(FIRST.id)
    at = open_page("class", {"room": code, "teacher": "x" * 43})
    assert errors(at) == []
    assert "does not belong to this class" in _texts(at)
    assert "Reveal to class" not in _buttons(at)
    assert "teacher" not in at.query_params


def test_forged_session_state_cannot_act_as_teacher_or_vote_twice(class_db: ClassStore):
    code, key = class_db.create_room(FIRST.id)
    student = join(code)
    # A student sets the teacher buttons' state and a made-up key: the store refuses, nothing changes.
    for name in ("reveal", "again", "next", "end"):
        student.session_state[f"class:teacher:{name}"] = True
    student.session_state["_class_teacher_keys"] = {code: "forged-key"}
    student.run()
    assert errors(student) == []
    assert "Reveal to class" not in _buttons(student)
    state = class_db.state(code)
    assert (state.phase, state.round, state.question_id, state.ended) == ("voting", 1, FIRST.id, False)

    # Voting twice (the same and another choice) keeps one vote.
    vote(student, FIRST, WRONG)
    vote(student, FIRST, WRONG)
    vote(student, FIRST, FIRST.correct_choice)
    assert class_db.tallies(code, FIRST.id).round(1).voted == 1

    # A forged student id is not in the class.
    student.session_state["_class_students"] = {code: "A" * 22}
    student.run()
    vote(student, FIRST, WRONG)
    assert "not in the class" in _texts(student)
    assert class_db.tallies(code, FIRST.id).round(1).voted == 1

    # Forged choices for the next round (out of range; not even a number, as a forged radio
    # value arrives): no vote, no traceback.
    class_db.reveal(code, key)
    class_db.vote_again(code, key)
    for forged in (99, -1, "7"):
        other = open_page("class", {"room": code})
        other.session_state[f"class:{code}:{FIRST.id}:2:choice"] = forged
        other.button(key="class:join:go").click().run()
        assert errors(other) == []
        assert "Your prediction is in" not in _texts(other)
        assert class_db.tallies(code, FIRST.id).round(2).voted == 0
    assert class_db.tallies(code, FIRST.id).round(1).voted == 1

def test_a_vote_sent_as_the_teacher_opens_round_two_says_it_did_not_count(class_db: ClassStore):
    """The click's page was round 1's; the teacher opened round 2 before it arrived: no vote, and the phone says so."""
    code, key = class_db.create_room(FIRST.id)
    student = join(code)
    next(r for r in student.radio if r.key and r.key.startswith("class:")).set_value(WRONG).run()
    class_db.reveal(code, key)
    class_db.vote_again(code, key)
    next(b for b in student.button if b.key and b.key.startswith("class:vote:")).click().run()
    assert errors(student) == []
    assert "Voting is on round 2 now." in _texts(student)
    assert class_db.tallies(code, FIRST.id).round(1).voted == 0
    assert class_db.tallies(code, FIRST.id).round(2).voted == 0


@pytest.mark.parametrize(("room", "message"), [
    ("!!!", "is not a class code"),
    ("<script>", "is not a class code"),
    ("ZZZZZZ", "No class has the code ZZZZZZ"),
])
def test_bad_codes_get_a_message(room: str, message: str):
    at = open_page("class", {"room": room})
    assert errors(at) == []
    assert message in _texts(at)
    assert at.text_input(key="class:join:code") is not None


def test_typed_bad_code_and_expired_and_ended_rooms(class_db: ClassStore, tmp_path):
    at = open_page("class")
    assert errors(at) == []
    at.text_input(key="class:join:code").input("12")
    at.button(key="class:join:go").click().run()
    assert errors(at) == [] and "Room code: 6 characters" in _texts(at)

    old = ClassStore(class_db.engine, clock=lambda: time.time() - 13 * 3600)
    expired, _ = old.create_room(FIRST.id)
    at = open_page("class", {"room": expired})
    assert errors(at) == [] and f"Class {expired} has expired" in _texts(at)

    ended, key = class_db.create_room(FIRST.id)
    class_db.end(ended, key)
    at = open_page("class", {"room": ended})
    assert errors(at) == [] and f"Class {ended} has ended" in _texts(at)


def test_database_down_gets_a_message_and_the_quiz_still_works(monkeypatch):
    # A folder that cannot be made (under a file): the store cannot open its database.
    monkeypatch.setenv(config.DB_PATH_ENV, "/dev/null/no-such-folder/classroom.sqlite")
    class_ui.store.clear()
    home = open_page()
    home.button(key="class:start").click().run()
    assert errors(home) == []
    assert "cannot reach its database" in _texts(home)

    at = open_page("class", {"room": "ABCDEF"})
    assert errors(at) == [] and "cannot reach its database" in _texts(at)

    quiz = open_page(FIRST.id)
    assert errors(quiz) == []
    assert f"Question {FIRST.number}" in _texts(quiz)


def test_database_lost_during_a_class_gets_a_message(class_db: ClassStore, monkeypatch):
    """The database goes down (or stays locked) mid-class: both screens say so, nothing crashes."""
    teacher, code, _ = start_class()
    student = join(code)

    def down(*args, **kwargs):
        raise StoreUnavailable("The class-mode database is busy or down (OperationalError).")
    for method in ("state", "is_teacher", "tallies", "my_vote", "vote", "reveal"):
        monkeypatch.setattr(ClassStore, method, down)
    for at in (teacher, student):
        at.run()
        assert errors(at) == []
        assert "cannot reach its database" in _texts(at)

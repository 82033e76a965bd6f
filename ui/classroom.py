"""Class mode: a teacher's projector view and the students' phones, on one live question.

One page (``app_pages/classroom.py``, URL path ``class``) serves both:

- ``/class?room=CODE``: a student joins (optional name) and votes; the page
  follows the teacher's current question by polling the store every 2 s
  (``st.fragment(run_every=...)``) and reruns when it changes;
- ``/class?room=CODE&teacher=KEY``: the teacher's projector. The key is moved
  from the address bar into this session at once (the address bar of a
  projector is on the wall) and never drawn as text on the projector.

Every teacher action and every vote goes through ``classroom.ClassStore``,
which checks the teacher key / the student id / the current question and
round itself: nothing here trusts a widget or a session flag to decide who
is the teacher. Errors of the store (``ClassroomError``) are plain sentences
and are shown as they are; a database that is down is one such error.
"""

from __future__ import annotations

import contextlib
import html
import secrets
from collections.abc import Callable
from typing import Any

import plotly.graph_objects as go
import streamlit as st

from classroom import (
    BadInput,
    ClassroomError,
    ClassStore,
    RoomState,
    StoreUnavailable,
    Tally,
    VoteRefused,
    config,
    qr,
    validate,
)
from classroom.limits import RateLimited, RateLimiter, code_try_limiter, write_limiter
from content.questions import Question
from scenarios.evidence import Evidence
from ui import experiments, layout, routes
from ui.controls import draw_controls
from ui.quiz import choice_order, evidence_at, question_bank, quiz_seed
from ui.quiz import show_answer as quiz_answer

ROOM_QUERY_KEY = qr.ROOM_QUERY_KEY  # "room"
TEACHER_QUERY_KEY = "teacher"
POLL_EVERY = "2s"
# The projector's tally polls twice as often as the phones follow: a vote must reach the wall within 2 s
# at p95 (issue 15). Measured with `python -m benchmarks.class_vote_load` (poll, then a fragment run and a
# redraw): at "2s" the p95 was 2.06-2.18 s with 4-6 students, just over, since the wait for the next poll
# alone is uniform over 0-2 s. One projector polling every 1 s costs the server ~1 small query pair a second.
TALLY_EVERY = "1s"

_TEACHER_KEYS = "_class_teacher_keys"  # {room code: teacher key}, this session only
_STUDENTS = "_class_students"  # {room code: student id}
_NAMES = "_class_names"  # {room code: the name this student typed}
_SESSION_ID = "_class_session"  # the rate limiters' key for this session
_KNOWN_CODES = "_class_known_codes"  # codes this session already found (not counted as new tries)
_VOTE_REFUSED = "_class_vote_refused"  # why the vote button's callback stored nothing, for the next page run

SHORTCUTS = {"reveal": "Ctrl+Enter", "again": "Alt+V", "next": "Alt+N", "end": "Alt+E"}

_CSS = """
<style>
.class-code { font-size: 2.4rem; font-weight: 800; letter-spacing: 0.08em; white-space: nowrap; line-height: 1.1;
              font-family: ui-monospace, monospace; overflow-wrap: anywhere; }
.class-joined { font-size: 1.4rem; }
</style>
"""


# -- shared resources -----------------------------------------------------------------------

@st.cache_resource(show_spinner=False)
def store() -> ClassStore:
    """One store per server process, on ``st.connection("classroom")`` (see ``classroom.config``)."""
    return ClassStore(config.streamlit_engine())


@st.cache_resource(show_spinner=False)
def _limiters() -> tuple[RateLimiter, RateLimiter]:
    return write_limiter(), code_try_limiter()


def _session_id() -> str:
    return st.session_state.setdefault(_SESSION_ID, secrets.token_urlsafe(12))


def _check_write() -> None:
    _limiters()[0].check(_session_id())


def _check_code_try(code: str) -> None:
    """A code this session has not seen yet costs one try (10 a minute)."""
    if code not in st.session_state.setdefault(_KNOWN_CODES, set()):
        _limiters()[1].check(_session_id())


def _teacher_keys() -> dict[str, str]:
    return st.session_state.setdefault(_TEACHER_KEYS, {})


def _students() -> dict[str, str]:
    return st.session_state.setdefault(_STUDENTS, {})


def _show_error(error: Exception) -> None:
    if isinstance(error, StoreUnavailable):
        st.error("Class mode cannot reach its database right now, so classes cannot run. "
                 f"({error}) The questions themselves still work: pick one in the menu.",
                 icon=":material/cloud_off:")
    elif isinstance(error, RateLimited):
        st.warning(str(error), icon=":material/hourglass_top:")
    else:
        st.error(str(error), icon=":material/error:")


def _attempt(action: Callable[[], Any]) -> tuple[bool, Any]:
    """Run a store call; on a store error or a rate limit, show it and return (False, None)."""
    try:
        return True, action()
    except (ClassroomError, RateLimited) as error:
        _show_error(error)
        return False, None


def _letter(index: int) -> str:
    return chr(ord("A") + index)


# -- the home page's button -----------------------------------------------------------------

_STARTED = "_class_started"  # the outcome of the last "Start a class" click: a room code or an error


def _start_class() -> None:
    """The button's callback: runs before the script, so it may switch projector mode on."""
    def create():
        _check_write()
        return store().create_room(question_bank().questions[0].id)
    try:
        room = create()
    except (ClassroomError, RateLimited) as error:
        st.session_state[_STARTED] = error
        return
    _teacher_keys()[room.code] = room.teacher_key
    st.session_state.setdefault(_KNOWN_CODES, set()).add(room.code)
    st.session_state[layout.PROJECTOR_KEY] = True  # large type for the room; the sidebar toggle turns it off
    st.session_state[_STARTED] = room.code


def start_class_button() -> None:
    """"Start a class": a room on the bank's first question, then the teacher's view."""
    if not question_bank().questions:
        return
    with st.container(border=True):
        st.markdown("**Teaching?** Put the questions on a projector and let the class vote from their phones.")
        st.button("Start a class", key="class:start", icon=":material/co_present:", type="primary",
                  on_click=_start_class)
        started = st.session_state.pop(_STARTED, None)
        if isinstance(started, Exception):
            _show_error(started)
    if isinstance(started, str):
        st.switch_page(routes.class_page(), query_params={ROOM_QUERY_KEY: started})


# -- the class page -------------------------------------------------------------------------

def class_page() -> None:
    st.html(_CSS)
    raw_code = st.query_params.get(ROOM_QUERY_KEY)
    raw_key = st.query_params.get(TEACHER_QUERY_KEY)
    if raw_key is not None:
        # Out of the address bar at once: keep it in this session only.
        del st.query_params[TEACHER_QUERY_KEY]
        with contextlib.suppress(BadInput):  # a bad code is reported below
            _teacher_keys()[validate.room_code(raw_code)] = raw_key
    if not raw_code:
        st.title("Join a class")
        _join_form("")
        return
    try:
        code = validate.room_code(raw_code)
    except BadInput:
        st.title("Join a class")
        st.error(f"“{raw_code[:40]}” is not a class code: a class code is 6 letters and digits, "
                 "as shown on the projector.", icon=":material/error:")
        _join_form("")
        return

    def look_up() -> tuple[RoomState, bool]:
        _check_code_try(code)
        s = store()
        found = s.state(code)
        st.session_state.setdefault(_KNOWN_CODES, set()).add(code)
        return found, s.is_teacher(code, _teacher_keys().get(code))
    title = st.container()  # the title goes above the error message, if any
    ok, found = _attempt(look_up)
    if not ok:
        title.title("Join a class")
        _join_form(code)
        return
    state, teacher = found
    if teacher:
        teacher_view(state)
        return
    if code in _teacher_keys():
        st.warning("This teacher link does not belong to this class: you see the student page.",
                   icon=":material/key_off:")
        _teacher_keys().pop(code, None)
    if code in _students():
        student_view(state, _students()[code])
    else:
        _join_form(code, show_title=True, state=state)


def _join_form(code: str, *, show_title: bool = False, state: RoomState | None = None) -> None:
    if show_title:
        st.title("Join a class")
    if state is not None and state.ended:
        st.info(f"Class {state.code} has ended.", icon=":material/event_busy:")
        return
    with st.form("class:join"):
        typed = st.text_input("Class code", value=code, max_chars=12, key="class:join:code",
                              placeholder="e.g. K7P3QX",
                              help="The 6 letters and digits on the projector.")
        name = st.text_input("Your name (optional)", max_chars=validate.NAME_MAX_CHARS, key="class:join:name",
                             placeholder="Leave empty to stay anonymous",
                             help="Only the teacher's export can show it; the projector never does.")
        submitted = st.form_submit_button("Join", type="primary", icon=":material/login:", key="class:join:go")
    if not submitted:
        return

    def join() -> tuple[str, str]:
        clean = validate.room_code(typed)
        _check_code_try(clean)
        _check_write()
        return clean, store().join(clean, name)
    ok, joined = _attempt(join)
    if ok:
        clean, student_id = joined
        _students()[clean] = student_id
        st.session_state.setdefault(_NAMES, {})[clean] = (name or "").strip()
        st.session_state.setdefault(_KNOWN_CODES, set()).add(clean)
        st.query_params[ROOM_QUERY_KEY] = clean
        st.rerun()


def _drawn(state: RoomState) -> tuple:
    return state.question_id, state.round, state.phase, state.ended


@st.fragment(run_every=POLL_EVERY)
def _follow(code: str, drawn: tuple) -> None:
    """Poll the room; rerun the whole page when the teacher changed question, round or phase."""
    try:
        state = store().state(code)
    except ClassroomError as error:
        _show_error(error)
        return
    if _drawn(state) != drawn:
        st.rerun(scope="app")
    st.caption(f"Class {code} · {state.joined} joined · this page follows the teacher by itself.")


# -- student --------------------------------------------------------------------------------

def student_view(state: RoomState, student_id: str) -> None:
    code = state.code
    _follow(code, _drawn(state))
    name = st.session_state.get(_NAMES, {}).get(code)
    st.text(f"You are in class {code}" + (f" as {name}." if name else " (anonymous)."))
    if refused := st.session_state.pop(_VOTE_REFUSED, None):
        # Whatever the page shows now (the teacher may have moved on meanwhile), say why the vote did not count.
        _show_error(refused)
        if isinstance(refused, VoteRefused) and refused.reason == "unknown_student":
            _students().pop(code, None)  # the next run offers the join form again
    if state.ended:
        st.info("The teacher has ended the class. Thank you!", icon=":material/event_busy:")
        return
    question = question_bank().by_id(state.question_id)
    if question is None:
        st.warning("The teacher's question is not in this server's question bank.")
        return
    st.subheader(f"Question {question.number}: {question.title}")
    if state.round > 1 and state.phase == "voting":
        st.caption(f"Round {state.round}: vote again.")
    st.markdown(question.question)
    if question.code:
        st.code(question.code, language="python", wrap_lines=True)
    ok, mine = _attempt(lambda: store().my_vote(code, student_id, question.id, state.round))
    if not ok:
        return
    labels = [choice.text for choice in question.choices]
    if state.phase == "voting":
        _vote_form(state, student_id, question, mine)
        return
    if mine is None:
        st.info("The teacher has revealed the answer; you did not vote in this round.")
    elif mine == question.correct_choice:
        st.success(f"Your prediction was right: {labels[mine]} {question.choices[mine].feedback}")
    else:
        st.warning(f"Your prediction: {labels[mine]} — not what the runs support. {question.choices[mine].feedback}",
                   icon=":material/psychology_alt:")
    show_answer(question, default_evidence(question))


def _submit_vote(code: str, student_id: str, question_id: str, round_: int, n: int, key: str) -> None:
    """The vote button's callback: the vote is stored before the page runs, so that run already reads
    it back from the store ("Your prediction is in", the button relabelled). Stored in the run
    itself, a first vote needed one more full run (`st.rerun()`) to relabel the button: three
    full runs (pick, click, relabel) instead of two, on servers the class load test keeps busy."""
    picked = st.session_state.get(key)
    if not isinstance(picked, int) or not 0 <= picked < n:
        return  # a forged value, or none: the button is disabled without a pick
    try:
        _check_write()
        store().vote(code, student_id, question_id, round_, picked, n)
    except (ClassroomError, RateLimited) as error:  # VoteRefused too
        st.session_state[_VOTE_REFUSED] = error


def _vote_form(state: RoomState, student_id: str, question: Question, mine: int | None) -> None:
    code = state.code
    n = len(question.choices)
    key = f"class:{code}:{question.id}:{state.round}:choice"
    if not isinstance(st.session_state.get(key), int) or not 0 <= st.session_state[key] < n:
        st.session_state[key] = mine  # nothing picked yet, or a value no option has
    labels = [choice.text for choice in question.choices]
    seed, _ = quiz_seed()
    picked = st.radio("Your prediction", choice_order(question, seed),
                      format_func=lambda i: labels[i] if isinstance(i, int) and 0 <= i < n else "?",
                      index=None, key=key)
    if not isinstance(picked, int) or not 0 <= picked < n:
        picked = None  # a forged value: the store would refuse it anyway
    label = "Change my prediction" if mine is not None else "Submit prediction"
    st.button(label, key=f"class:vote:{question.id}:{state.round}", type="primary", disabled=picked is None,
              icon=":material/how_to_vote:", on_click=_submit_vote,
              args=(code, student_id, question.id, state.round, n, key))
    if mine is not None:
        st.success(f"Your prediction is in: {labels[mine]} You can change it until the teacher reveals the answer.",
                   icon=":material/check:")


# -- the answer (shown to the class after the reveal) ---------------------------------------

def default_evidence(question: Question) -> Evidence:
    """The verdict and findings of the question's experiment at its default settings."""
    return evidence_at(question, question.default_values())


def show_answer(question: Question, evidence: Evidence) -> None:
    """The answer as the quiz shows it, with the choice's letter as the class saw it."""
    st.header("Answer")
    quiz_answer(question, evidence, choice_prefix=f"{_letter(question.correct_choice)}. ")


# -- teacher --------------------------------------------------------------------------------

def _app_base_url() -> str:
    """The app's own address (no page path, no query), from the teacher's browser; "" in tests."""
    url = (st.context.url or "").split("?", 1)[0].rstrip("/")
    suffix = "/" + routes.CLASS_URL_PATH
    return url[: -len(suffix)] if url.endswith(suffix) else url


def _join_link(code: str) -> str:
    try:
        return qr.join_url(_app_base_url() + "/", code, path=routes.CLASS_URL_PATH)
    except BadInput:  # no browser URL (tests): a relative link
        return f"/{routes.CLASS_URL_PATH}?{ROOM_QUERY_KEY}={code}"


def teacher_view(state: RoomState) -> None:
    code = state.code
    link = _join_link(code)
    question = question_bank().by_id(state.question_id)
    if state.ended:
        st.title(f"Class {code} has ended")

    # One row: at 1024x768 the code, the link and the QR one above the other pushed the vote's chart
    # off the screen.
    code_column, info, qr_column = st.columns([2.2, 3, 1.2], vertical_alignment="center")
    with code_column:
        st.html(f'<div class="class-code" role="heading" aria-level="1" aria-label="Class code {html.escape(code)}" '
                f'data-testid="class-code">{html.escape(code)}</div>')
    with info:
        st.caption("Join: scan the QR code, or open")
        st.code(link, language=None, wrap_lines=True)
    with qr_column:
        if link.startswith("http"):
            # Drawn here (segno) as an inline data: image; never fetched from another host.
            # 150 px: at 1024x768 a 200-px code pushed the vote's chart below the screen.
            st.image(qr.qr_svg(link, scale=8), width=150)

    _teacher_controls(state, question)
    if question is not None:
        st.header(f"Question {question.number}: {question.title}", anchor=False)
        question_column, tally_column = st.columns([1, 1])
        with question_column:
            st.markdown(question.question)
            if question.code:
                st.code(question.code, language="python", wrap_lines=True)
            st.markdown("\n".join(f"**{_letter(i)}.** {choice.text}  " for i, choice in enumerate(question.choices)))
        with tally_column:
            _live_tally(code, question, _drawn(state))
        if state.phase == "revealed":
            _live_experiment(code, question)
    _export(code)
    _teacher_link(code)


def _teacher_controls(state: RoomState, question: Question | None) -> None:
    bank = question_bank()
    ids = [q.id for q in bank.questions]
    following = (bank.questions[ids.index(state.question_id) + 1]
                 if state.question_id in ids and ids.index(state.question_id) + 1 < len(ids) else None)
    row = st.container(horizontal=True)
    ended = state.ended
    actions: list[tuple[str, str, str, bool, Callable[[ClassStore, str], Any], str]] = [
        ("reveal", "Reveal to class", ":material/visibility:", ended or state.phase == "revealed",
         lambda s, k: s.reveal(state.code, k), "Show the answer and the evidence on every phone."),
        ("again", "Vote again", ":material/replay:", ended or state.round >= store().max_rounds,
         lambda s, k: s.vote_again(state.code, k), "Open round 2 of this question, beside round 1."),
        ("next", "Next question", ":material/arrow_forward:", ended or following is None,
         lambda s, k: s.next_question(state.code, k, following.id),
         f"Move the class to {following.title}." if following else "This is the last question."),
        ("end", "End class", ":material/stop_circle:", ended,
         lambda s, k: s.end(state.code, k), "No more joining or voting; the export still works."),
    ]
    for name, label, icon, disabled, action, help_text in actions:
        if row.button(label, key=f"class:teacher:{name}", icon=icon, disabled=disabled,
                      shortcut=SHORTCUTS[name], help=help_text,
                      type="primary" if name == "reveal" else "secondary"):
            # The store checks the key on every action: a button press alone does nothing.
            key = _teacher_keys().get(state.code)

            def act(action=action, key=key):
                _check_write()
                return action(store(), key)
            ok, _ = _attempt(act)
            if ok:
                st.rerun()


def _tally_figure(question: Question, tally: Tally, revealed: bool) -> go.Figure:
    letters = [_letter(i) for i in range(len(question.choices))]
    colours = ("#0072B2", "#E69F00")
    data = []
    for i, rnd in enumerate(tally.rounds):
        percent = [100 * c / rnd.voted if rnd.voted else 0 for c in rnd.counts]
        data.append(go.Bar(
            name=f"Round {rnd.round} ({rnd.voted} voted)", x=letters, y=list(rnd.counts),
            text=[f"{c}<br>{p:.0f}%" for c, p in zip(rnd.counts, percent, strict=True)],
            textposition="outside", cliponaxis=False, textfont={"size": 18},
            marker={"color": colours[i % 2],
                    "line": {"color": ["#009E73" if revealed and j == question.correct_choice else colours[i % 2]
                                       for j in range(len(letters))], "width": 5}},
        ))
    top = max([max(r.counts, default=0) for r in tally.rounds] + [1])
    return go.Figure(data, {
        "barmode": "group", "height": 300, "uniformtext": {"minsize": 14, "mode": "show"},
        "margin": {"l": 40, "r": 10, "t": 30, "b": 40},
        "yaxis": {"range": [0, top * 1.45], "title": {"text": "students"}, "dtick": max(1, top // 5)},
        "xaxis": {"tickfont": {"size": 22}},
        "legend": {"orientation": "h", "y": 1.12, "font": {"size": 16}},
        "font": {"size": 16},
    })


def tally_summary(question: Question, tally: Tally) -> str:
    """The chart as text: "Round 1 · 3 voted: A 2 (67%), B 1 (33%), …" per round."""
    lines = []
    for rnd in tally.rounds:
        parts = [f"{_letter(i)} {c} ({100 * c / rnd.voted:.0f}%)" if rnd.voted else f"{_letter(i)} 0"
                 for i, c in enumerate(rnd.counts)]
        lines.append(f"Round {rnd.round} · {rnd.voted} voted: " + ", ".join(parts))
    return " — ".join(lines)


@st.fragment(run_every=TALLY_EVERY)
def _live_tally(code: str, question: Question, drawn: tuple) -> None:
    try:
        state = store().state(code)
        tally = store().tallies(code, question.id, len(question.choices))
    except ClassroomError as error:
        _show_error(error)
        return
    if _drawn(state) != drawn:
        st.rerun(scope="app")
    st.html(f'<div class="class-joined"><b>{state.joined}</b> joined · '
            f'<b>{tally.round(state.round).voted if tally.round(state.round) else 0}</b> voted in round '
            f'{state.round}{" · answer revealed" if state.phase == "revealed" else ""}</div>')
    summary = tally_summary(question, tally)
    layout.show_chart(_tally_figure(question, tally, state.phase == "revealed"),
                      alt_text=summary, key=f"class:tally:{question.id}")


@st.fragment
def _live_experiment(code: str, question: Question) -> None:
    """After the reveal: the question's live experiment, and the answer next to what it shows."""
    st.header("Experiment")
    experiment = experiments.load(question)
    values = draw_controls(question)
    experiments.show_source(question, values)
    show_answer(question, experiment.show(question, values)())


def _export(code: str) -> None:
    with st.expander("Export the results (CSV)", icon=":material/download:"):
        include_names = st.checkbox("Include names", key="class:export:names",
                                    help="Off: counts only. On: the names students typed, per choice.")
        choices = {q.id: [c.text for c in q.choices] for q in question_bank().questions}

        def csv_bytes() -> bytes:
            # Checked by the store at the click, with this session's key.
            try:
                return store().export_csv(code, _teacher_keys().get(code, ""), include_names=bool(include_names),
                                          choices=choices).encode()
            except ClassroomError as error:
                return f"error\n{error}\n".encode()
        st.download_button("Download CSV", data=csv_bytes, file_name=f"class-{code}.csv", mime="text/csv",
                           key="class:export:download", icon=":material/download:")


def _teacher_link(code: str) -> None:
    key = _teacher_keys().get(code)
    if not key:
        return
    # Drawn only on demand: the projector shows the page, and the key is the teacher's power.
    if st.toggle("Show my private teacher link (to reopen this view on another device; not on the projector)",
                 key="class:teacher:show_link"):
        st.code(f"{_app_base_url()}/{routes.CLASS_URL_PATH}?{ROOM_QUERY_KEY}={code}&{TEACHER_QUERY_KEY}={key}",
                language=None)

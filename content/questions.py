"""The question bank: one TOML file per question under assets/questions/.

Loading validates every field and every error names the file and the
field, so a typo in a question file reads as "q3.toml: controls[1].max:
must be greater than min", not as a traceback in the middle of a page.
Standard library only (tomllib, and the stdlib `scenarios.grids`), so the
home page loads without numpy.
"""

from __future__ import annotations

import functools
import importlib.util
import math
import os
import re
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from scenarios.grids import MANTISSAS, log_grid

QUESTIONS_DIR = Path(__file__).resolve().parent.parent / "assets" / "questions"
# Another folder of question files (a course's own bank, or a test's).
QUESTIONS_DIR_VARIABLE = "OPTIMIZER_EXPLORER_QUESTIONS_DIR"

CONTROL_KINDS = ("int", "float", "log", "choice", "toggle")
# Drawn as sliders: st.slider (int, float) and st.select_slider (log).
SLIDER_KINDS = ("int", "float", "log")
URL_KEY_PATTERN = re.compile(r"^[a-z][a-z0-9_]{0,15}$")
# Keys the app itself puts in a link; a control must not take them.
RESERVED_URL_KEYS = frozenset({"projector", "page", "quiz_seed", "stage", "room"})


class QuestionFileError(ValueError):
    """A question file is missing, unreadable or has an invalid field."""

    def __init__(self, path: Path, field: str, problem: str) -> None:
        self.path = path
        self.field = field
        self.problem = problem
        super().__init__(f"{path.name}: {field}: {problem}")


@dataclass(frozen=True)
class Choice:
    text: str
    correct: bool
    feedback: str


@dataclass(frozen=True)
class Control:
    """One slider or selector: its URL key, engine parameter and range."""

    key: str  # widget key and URL query key
    param: str  # the engine's parameter name (Keras spelling)
    label: str
    kind: str  # one of CONTROL_KINDS
    default: Any
    min: float | None = None
    max: float | None = None
    step: float | None = None
    per_decade: int = 0  # log controls: grid points per power of ten
    options: tuple[str, ...] = ()
    help: str = ""

    def grid(self) -> tuple[float, ...]:
        """The values a log control offers: 1-2-5 style steps per power of ten."""
        assert self.kind == "log" and self.min is not None and self.max is not None
        return log_grid(self.min, self.max, self.per_decade)

    def notches(self) -> tuple[float, ...]:
        """Every value a slider offers, in order: one key press moves it one notch."""
        return _notches(self)

    def notch_index(self, value: float) -> int:
        """The notch nearest `value` (a page run asks: no walk over q2's 10,000 seeds)."""
        if self.kind == "log":
            values = self.notches()
            return min(range(len(values)), key=lambda i: abs(values[i] - value))
        return min(max(int(round((value - self.min) / self.step)), 0), len(self.notches()) - 1)


@functools.lru_cache(maxsize=256)
def _notches(control: Control) -> tuple[float, ...]:
    assert control.kind in SLIDER_KINDS and control.min is not None and control.max is not None
    if control.kind == "log":
        return control.grid()
    count = int(round((control.max - control.min) / control.step)) + 1
    if control.kind == "int":
        return tuple(int(control.min + k * control.step) for k in range(count))
    return tuple(round(control.min + k * control.step, 10) for k in range(count))


@dataclass(frozen=True)
class Preset:
    name: str
    description: str
    values: dict[str, Any]


@dataclass(frozen=True)
class Question:
    path: Path
    id: str
    number: int
    title: str
    scenario: str
    question: str
    code: str
    hint: str
    choices: tuple[Choice, ...]
    seed_answer: str
    explanation: str
    controls: tuple[Control, ...]
    presets: tuple[Preset, ...]
    main_control_key: str  # the slider the experiment is about

    def control(self, key: str) -> Control:
        return next(c for c in self.controls if c.key == key)

    @property
    def main_control(self) -> Control:
        return self.control(self.main_control_key)

    def default_values(self) -> dict[str, Any]:
        """`{engine param: default}`: the one place a control's default is written is the TOML."""
        return {c.param: c.default for c in self.controls}

    @property
    def correct_choice(self) -> int:
        return next(i for i, c in enumerate(self.choices) if c.correct)


class _Fields:
    """Typed access to one TOML table that names the file and field on error."""

    def __init__(self, path: Path, table: dict[str, Any], prefix: str = "") -> None:
        self.path, self.table, self.prefix = path, table, prefix

    def fail(self, name: str, problem: str) -> QuestionFileError:
        return QuestionFileError(self.path, f"{self.prefix}{name}", problem)

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if name not in self.table:
            if default is ...:
                raise self.fail(name, "is missing")
            return default
        value = self.table[name]
        # bool is an int in Python; never accept it where a number is meant.
        if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
            raise self.fail(name, f"must be {_kind_name(kind)}, got a boolean")
        if not isinstance(value, kind):
            raise self.fail(name, f"must be {_kind_name(kind)}, got {type(value).__name__}")
        return value

    def text(self, name: str, default: Any = ...) -> str:
        value = self.get(name, str, default)
        if default is ... and not value.strip():
            raise self.fail(name, "must not be empty")
        return value.strip()

    def number(self, name: str, default: Any = ...) -> float:
        value = self.get(name, (int, float), default)
        if value is not None and not math.isfinite(value):
            raise self.fail(name, "must be a finite number")
        return value

    def tables(self, name: str) -> list[_Fields]:
        items = self.get(name, list)
        if not items:
            raise self.fail(name, "must have at least one entry")
        out = []
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                raise self.fail(f"{name}[{i}]", "must be a table")
            out.append(_Fields(self.path, item, f"{self.prefix}{name}[{i}]."))
        return out

    def reject_unknown(self, known: set[str]) -> None:
        for name in self.table:
            if name not in known:
                raise self.fail(name, f"is not a known field (known: {', '.join(sorted(known))})")


def _kind_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = {int: "an integer", float: "a number", str: "a string", list: "a list",
             bool: "true or false", dict: "a table"}
    return " or ".join(names.get(k, k.__name__) for k in kinds)


def _parse_control(f: _Fields) -> Control:
    f.reject_unknown({"key", "param", "label", "kind", "default", "min", "max", "step",
                      "per_decade", "options", "help"})
    key = f.text("key")
    if not URL_KEY_PATTERN.match(key) or key in RESERVED_URL_KEYS:
        raise f.fail("key", f"{key!r} must be a short lower-case URL key, not {sorted(RESERVED_URL_KEYS)}")
    kind = f.text("kind")
    if kind not in CONTROL_KINDS:
        raise f.fail("kind", f"{kind!r} is not one of {', '.join(CONTROL_KINDS)}")
    common = dict(key=key, param=f.text("param"), label=f.text("label"), kind=kind,
                  help=f.text("help", ""))
    if kind == "toggle":
        return Control(default=f.get("default", bool), **common)
    if kind == "choice":
        options = f.get("options", list)
        if len(options) < 2 or not all(isinstance(o, str) and o for o in options):
            raise f.fail("options", "must list at least two non-empty strings")
        if len(set(options)) != len(options):
            raise f.fail("options", "has duplicates")
        default = f.text("default")
        if default not in options:
            raise f.fail("default", f"{default!r} is not one of the options")
        return Control(default=default, options=tuple(options), **common)
    low, high = f.number("min"), f.number("max")
    if not low < high:
        raise f.fail("max", "must be greater than min")
    default = f.number("default")
    if not low <= default <= high:
        raise f.fail("default", f"{default} is outside [{low}, {high}]")
    if kind == "log":
        if low <= 0:
            raise f.fail("min", "must be positive on a log scale")
        per_decade = f.get("per_decade", int, 3)
        if per_decade not in MANTISSAS:
            raise f.fail("per_decade", f"must be one of {sorted(MANTISSAS)}")
        control = Control(min=float(low), max=float(high), default=float(default),
                          per_decade=per_decade, **common)
        if not any(math.isclose(default, v, rel_tol=1e-9) for v in control.grid()):
            raise f.fail("default", f"{default} is not on the log grid {control.grid()}")
        return control
    step = f.number("step")
    if step <= 0:
        raise f.fail("step", "must be positive")
    if kind == "int":
        for name, value in (("min", low), ("max", high), ("default", default), ("step", step)):
            if not float(value).is_integer():
                raise f.fail(name, "must be a whole number for an int control")
        return Control(min=int(low), max=int(high), default=int(default), step=int(step), **common)
    return Control(min=float(low), max=float(high), default=float(default), step=float(step),
                   **common)


def _check_value(f: _Fields, name: str, control: Control, value: Any) -> None:
    if control.kind == "toggle":
        ok = isinstance(value, bool)
    elif control.kind == "choice":
        ok = value in control.options
    else:
        ok = (isinstance(value, (int, float)) and not isinstance(value, bool)
              and control.min <= value <= control.max)
        if ok and control.kind == "log":
            ok = any(math.isclose(value, v, rel_tol=1e-9) for v in control.grid())
    if not ok:
        raise f.fail(name, f"{value!r} is not a valid value for control {control.key!r}")


def load_question(path: Path) -> Question:
    """Parse and validate one question file."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise QuestionFileError(path, "(file)", "does not exist") from None
    except (OSError, UnicodeDecodeError) as error:
        raise QuestionFileError(path, "(file)", f"cannot be read: {error}") from None
    except tomllib.TOMLDecodeError as error:
        raise QuestionFileError(path, "(file)", f"is not valid TOML: {error}") from None

    f = _Fields(path, raw)
    f.reject_unknown({"id", "number", "title", "scenario", "main_control", "question", "code", "hint",
                      "choices", "seed_answer", "explanation", "controls", "presets"})
    number = f.get("number", int)
    if not 1 <= number <= 99:
        raise f.fail("number", "must be between 1 and 99")

    choices = []
    for c in f.tables("choices"):
        c.reject_unknown({"text", "correct", "feedback"})
        choices.append(Choice(c.text("text"), c.get("correct", bool, False), c.text("feedback", "")))
    if not 2 <= len(choices) <= 5:
        raise f.fail("choices", "must have between 2 and 5 entries")
    if sum(c.correct for c in choices) != 1:
        raise f.fail("choices", "exactly one choice must have correct = true")

    controls = tuple(_parse_control(c) for c in f.tables("controls"))
    keys = [c.key for c in controls]
    for key in keys:
        if keys.count(key) > 1:
            raise f.fail("controls", f"key {key!r} is used twice")
    by_key = {c.key: c for c in controls}
    main_control = f.text("main_control")
    if main_control not in by_key or by_key[main_control].kind not in SLIDER_KINDS:
        sliders = [c.key for c in controls if c.kind in SLIDER_KINDS]
        raise f.fail("main_control", f"{main_control!r} names no slider of this question (sliders: {sliders})")

    presets = []
    for p in f.tables("presets"):
        p.reject_unknown({"name", "description", "values"})
        values = p.get("values", dict)
        for key, value in values.items():
            if key not in by_key:
                raise p.fail(f"values.{key}", "names no control of this question")
            _check_value(p, f"values.{key}", by_key[key], value)
        presets.append(Preset(p.text("name"), p.text("description", ""), dict(values)))

    scenario = f.text("scenario")
    if not re.fullmatch(r"[a-z_]+", scenario):
        raise f.fail("scenario", "must be a module name (lower case and _)")
    # Found, not imported: importing a scenario loads numpy and pandas. Its
    # surface is checked when its page first runs (scenarios.load).
    if importlib.util.find_spec(f"scenarios.{scenario}") is None:
        raise f.fail("scenario", f"{scenario!r} names no scenario (no package scenarios/{scenario}/)")
    return Question(
        path=path, id=f.text("id"), number=number, title=f.text("title"), scenario=scenario,
        question=f.text("question"), code=f.text("code", ""), hint=f.text("hint"),
        choices=tuple(choices), seed_answer=f.text("seed_answer"),
        explanation=f.text("explanation"), controls=controls, presets=tuple(presets),
        main_control_key=main_control,
    )


@dataclass(frozen=True)
class QuestionBank:
    questions: tuple[Question, ...]
    errors: tuple[QuestionFileError, ...]  # files that failed; the rest still load

    def by_id(self, question_id: str) -> Question | None:
        return next((q for q in self.questions if q.id == question_id), None)

    def error_for(self, file_name: str) -> QuestionFileError | None:
        return next((e for e in self.errors if e.path.name == file_name), None)


def load_bank(directory: Path | None = None) -> QuestionBank:
    """Load every question file; a broken file is reported, not fatal."""
    if directory is None:
        directory = Path(os.environ.get(QUESTIONS_DIR_VARIABLE) or QUESTIONS_DIR)
    questions: list[Question] = []
    errors: list[QuestionFileError] = []
    for path in sorted(directory.glob("*.toml")):
        try:
            question = load_question(path)
        except QuestionFileError as error:
            errors.append(error)
            continue
        clash = next((q for q in questions if q.id == question.id or q.number == question.number), None)
        if clash:
            errors.append(QuestionFileError(path, "id", f"id or number clashes with {clash.path.name}"))
            continue
        questions.append(question)
    return QuestionBank(tuple(sorted(questions, key=lambda q: q.number)), tuple(errors))

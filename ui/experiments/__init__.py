"""One module per scenario: `ui/experiments/<scenario>.py` draws that experiment.

Each offers `show(question, values) -> EvidenceOnRequest` (the `Experiment`
protocol): it draws the experiment and hands back a way to get its evidence,
which the page asks for only where it shows the answer. Each may also offer
`prefetch(values)`: the cached runs `show` makes, without drawing, which
`ui.prefetch` calls for the slider's next notch. `load(question)`
imports it and the scenario's engine once per process and checks them
against the question file: the engine offers the `scenarios.Scenario`
surface, every control names a parameter of the engine's `Params`, and the
engine accepts every value the control can take. A mismatch is a
`QuestionFileError` naming the file and field, which the page shows like
any broken question file.
"""

from __future__ import annotations

import dataclasses
import importlib
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol, runtime_checkable

import streamlit as st
from streamlit.runtime.caching.cache_utils import CachedFunc

import scenarios
from content.questions import Control, Question, QuestionFileError
from scenarios import precomputed
from scenarios.evidence import Evidence

# The verdict and findings of the run `show` drew, computed when called. Until the answer is
# revealed nobody reads them, and they can cost more than the drawing: q3's evidence trains an
# all-rare control (~35 ms of a ~120 ms slider move on the server, py-spy).
EvidenceOnRequest = Callable[[], Evidence]


@runtime_checkable
class Experiment(Protocol):
    def show(self, question: Question, values: dict[str, Any]) -> EvidenceOnRequest:
        """Draw the experiment for these `{engine param: value}`; return how to get its evidence."""


# Keyed by the whole parsed question: an edited file is a new question, checked again.
_checked: dict[str, Experiment] = {}
_lock = threading.Lock()


def load(question: Question) -> Experiment:
    """The question's experiment module, checked against its file (once per question)."""
    key = repr(question)
    with _lock:
        if key not in _checked:
            _checked[key] = _load_and_check(question)
        return _checked[key]


def _load_and_check(question: Question) -> Experiment:
    def fail(field: str, problem: str) -> QuestionFileError:
        return QuestionFileError(question.path, field, problem)

    try:
        engine = scenarios.load(question.scenario)
        experiment = importlib.import_module(f"ui.experiments.{question.scenario}")
    except (ImportError, TypeError) as error:
        raise fail("scenario", f"{question.scenario!r} cannot be used: {error}") from None
    if not isinstance(experiment, Experiment):
        raise fail("scenario", f"ui/experiments/{question.scenario}.py has no show(question, values)")

    fields = {field.name for field in dataclasses.fields(engine.Params)}
    for i, control in enumerate(question.controls):
        if control.param not in fields:
            raise fail(f"controls[{i}].param",
                       f"{control.param!r} is not a parameter of {question.scenario} ({', '.join(sorted(fields))})")
    defaults = question.default_values()
    try:
        engine.Params(**defaults)
    except (TypeError, ValueError) as error:
        raise fail("controls", f"the defaults do not make {question.scenario} parameters: {error}") from None
    for i, control in enumerate(question.controls):
        for field, value in _extremes(control):
            try:
                engine.Params(**{**defaults, control.param: value})
            except (TypeError, ValueError) as error:
                raise fail(f"controls[{i}].{field}", f"{value!r} is refused by the engine: {error}") from None
    return experiment


def _extremes(control: Control) -> list[tuple[str, Any]]:
    """The values at the edges of what a control offers, with the field that sets each."""
    if control.kind == "choice":
        return [("options", option) for option in control.options]
    if control.kind == "toggle":
        return [("kind", True), ("kind", False)]
    return [("min", control.min), ("max", control.max)]


def forget_cached_results() -> None:
    """Empty every page cache of an experiment (st.cache_data and the experiments' st.cache_resource).

    Called when the engine goes live: until then those caches may hold results
    recorded ahead of time (`scenarios.precomputed`).
    """
    st.cache_data.clear()
    for name, module in list(sys.modules.items()):
        if name.startswith(f"{__name__}."):
            for value in vars(module).values():
                if isinstance(value, CachedFunc):
                    value.clear()


def show_source(question: Question, values: dict[str, Any]) -> None:
    """Say where the results below come from while a fresh server's engine starts (nothing once it is live)."""
    if not precomputed.replaying():
        return
    if dict(values) in precomputed.configs(question.scenario).get(question.id, []):
        st.caption(":material/history: The server's engine is still starting: these are this setting's results "
                   "recorded ahead of time (the tests check them against the engine). Other settings run live.")
    else:
        st.caption(":material/hourglass_top: The server's engine is still starting (TensorFlow loads once per "
                   "server): this first run takes longer than the next ones.")

"""A scenario's params at the defaults of the first question that uses it.

The defaults live only in the question bank's TOML files; tests read them
from there rather than writing them again.
"""

from __future__ import annotations

from typing import Any

import scenarios
from content.questions import Question, load_bank


def question_for(scenario: str) -> Question:
    return next(q for q in load_bank().questions if q.scenario == scenario)


def default_params(scenario: str, **overrides: Any) -> Any:
    """`scenarios.<scenario>.Params` at the TOML defaults, with `overrides` applied."""
    module = scenarios.load(scenario)
    return module.Params(**{**question_for(scenario).default_values(), **overrides})

"""Record what the engine returns for every question's default and preset configurations.

    python -m harness.precompute      # rewrites precomputed/<scenario>.json

Each configuration's page is opened in the real app (AppTest, a shared link
with the preset's values), so what is recorded is exactly what that page
asks the engine for: its run and its sweeps; and then its evidence, with the
runs that reads (the page asks for it once the answer is revealed).
`scenarios.precomputed` serves these records while a fresh server's engine
warms up; `tests/test_precomputed.py` recomputes each record with the engine
and checks the files cover the bank. Run this after changing an engine, a
question's defaults or presets: that test fails until you do.
"""

from __future__ import annotations

import os
import sys
from typing import Any

import scenarios
from content.questions import Question, load_bank
from scenarios import precomputed
from ui import url_state


def configurations(question: Question) -> list[tuple[dict[str, Any], dict[str, str]]]:
    """(engine values, link query) for the defaults and then each preset, in the question file's order."""
    defaults = question.default_values()
    found = [(defaults, {})]
    for preset in question.presets:
        values = {**defaults, **{question.control(key).param: value for key, value in preset.values.items()}}
        query = {key: url_state.format_value(question.control(key), value) for key, value in preset.values.items()}
        if values not in [v for v, _ in found]:
            found.append((values, query))
    return found


def record() -> dict[str, Any]:
    """Open every configuration's page once; write one file per scenario. Returns {scenario: path}."""
    # Imported here: the harness module must stay cheap for the tests that only read `configurations`.
    from harness.apptest import charts, errors, run_app

    bank = load_bank()
    if bank.errors:
        raise SystemExit(f"the question bank has broken files: {[str(e) for e in bank.errors]}")
    configs: dict[str, dict[str, list[dict[str, Any]]]] = {}
    with precomputed.recording() as calls:
        for question in bank.questions:
            for values, query in configurations(question):
                at = run_app(question.id, query)
                if errors(at) or not charts(at):
                    raise SystemExit(f"{question.id} {query or 'defaults'} did not draw: {errors(at)}")
                # The page asks for its evidence only once the answer is revealed: ask for it here
                # too, so that the runs it reads (controls, sweeps) are recorded with the page's.
                engine = scenarios.load(question.scenario)
                engine.evidence(engine.run(engine.Params(**values)))
                configs.setdefault(question.scenario, {}).setdefault(question.id, []).append(values)
                print(f"{question.id} {query or 'defaults'}: recorded", flush=True)
    return {scenario: precomputed.write(scenario, calls.get(scenario, {}), per_question)
            for scenario, per_question in configs.items()}


def main() -> int:
    # No background warm-up: it would record the warm-up's own calls too, in another thread.
    os.environ["OPTIMIZER_EXPLORER_WARMUP"] = "0"
    # Nor the slider prefetch: it would record the neighbouring notches' runs.
    os.environ["OPTIMIZER_EXPLORER_PREFETCH"] = "0"
    for scenario, path in record().items():
        print(f"{scenario}: {path.relative_to(precomputed.DIRECTORY.parent)} ({path.stat().st_size / 1e3:.0f} kB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())

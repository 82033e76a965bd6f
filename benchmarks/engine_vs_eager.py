"""Part 1 — the compiled engine against the question's code run eagerly.

For every question of the bank, its scenario (`scenarios.load`, the
`scenarios.Scenario` surface) at the question's default values
(`params = Params(**question.default_values())`):

* eager: `exec` of `reproduction_code(params)` in this process,
  stdout captured — the student's plain Python loop over a real Keras
  optimizer. TensorFlow is imported before timing starts; building the
  model and optimizer is part of the student's code, so it is timed;
* engine: `module.run(params)` — the app's compiled loop.

First both must give the same numbers: every series of the eager code's
last JSON line against the engine's `result.curve` (`np.allclose`,
rtol=1e-4, on the finite parts; the non-finite steps must coincide).
Then: the engine's first call (model build + trace + XLA compile) on its
own, the median of N warm engine calls, the median of M eager runs (after
one untimed run, the one that is checked), and eager/engine. Target:
>= 300x on every scenario.

The warm engine calls repeat the same params, so a scenario's internal
per-seed caches (data, initial weights) are hit. For scenarios with a
`seed`, the table also shows the median over N *new* seeds ("engine, new
seed"), what a student moving the seed slider pays; that column is for
information, the target is on the first ratio.

Run alone: `python -m benchmarks.engine_vs_eager --engine-runs 5 --eager-runs 1`.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import json
import time
from types import ModuleType
from typing import Any

import numpy as np

from benchmarks import _common as c
from content.questions import Question, load_bank

TARGET_RATIO = 300.0
RTOL = 1e-4
# Seeds for the "new seed" column: within every seed slider's range, never a default.
FRESH_SEED_BASE = 7000


def run_eager(code: str, name: str) -> tuple[str, float]:
    """Exec the reproduction code with stdout captured; return (stdout, seconds)."""
    compiled = compile(code, f"<reproduction_code of {name}>", "exec")
    namespace: dict[str, Any] = {"__name__": "__reproduction__"}
    out = io.StringIO()
    started = time.perf_counter()
    with contextlib.redirect_stdout(out):
        exec(compiled, namespace)  # noqa: S102 - our own generated code, on purpose
    return out.getvalue(), time.perf_counter() - started


def last_json_line(stdout: str) -> dict[str, list[float]]:
    lines = [line for line in stdout.splitlines() if line.strip()]
    if not lines:
        raise ValueError("the reproduction code printed nothing")
    series = json.loads(lines[-1])  # accepts NaN / Infinity, as json.dumps writes them
    if not isinstance(series, dict):
        raise ValueError("the last line of output is not a JSON object {series: losses}")
    return series


@dataclasses.dataclass
class Comparison:
    ok: bool
    max_relative_deviation: float
    problems: list[str]


def compare(eager: dict[str, list[float]], curve: Any) -> Comparison:
    """Every eager series against the engine's curve (step, series, loss)."""
    problems: list[str] = []
    deviation = 0.0
    engine_series = {str(s) for s in curve["series"].unique()}
    if set(eager) != engine_series:
        problems.append(f"series differ: eager {sorted(eager)} vs engine {sorted(engine_series)}")
    for name, losses in eager.items():
        if name not in engine_series:
            continue
        a = np.asarray(losses, dtype=np.float64)
        b = curve[curve["series"] == name].sort_values("step")["loss"].to_numpy(np.float64)
        if a.shape != b.shape:
            problems.append(f"{name!r}: {a.size} eager points vs {b.size} engine points")
            continue
        finite_a, finite_b = np.isfinite(a), np.isfinite(b)
        if not np.array_equal(finite_a, finite_b):
            first = int(np.flatnonzero(finite_a != finite_b)[0])
            problems.append(f"{name!r}: finite at different steps (first at step {first}: "
                            f"eager {a[first]}, engine {b[first]})")
        both = finite_a & finite_b
        if both.any():
            x, y = a[both], b[both]
            rel = np.abs(x - y) / np.maximum(np.abs(y), np.finfo(np.float32).tiny)
            deviation = max(deviation, float(rel.max()))
            if not np.allclose(x, y, rtol=RTOL):
                worst = int(np.argmax(np.abs(x - y) - RTOL * np.abs(y)))
                problems.append(f"{name!r}: not allclose(rtol={RTOL:g}); worst at finite point {worst}: "
                                f"eager {x[worst]:.6g}, engine {y[worst]:.6g}")
    return Comparison(ok=not problems, max_relative_deviation=deviation, problems=problems)


def measure(module: ModuleType, question: Question, engine_runs: int, eager_runs: int) -> dict[str, Any]:
    name = question.scenario
    params = module.Params(**question.default_values())  # the page as first opened
    code = module.reproduction_code(params)

    started = time.perf_counter()
    result = module.run(params)
    engine_first = time.perf_counter() - started

    stdout, eager_checked = run_eager(code, name)  # untimed for the median: first eager run
    comparison = compare(last_json_line(stdout), result.curve)

    engine_times = []
    for _ in range(engine_runs):
        started = time.perf_counter()
        module.run(params)
        engine_times.append(time.perf_counter() - started)

    fresh_times = []
    if "seed" in {f.name for f in dataclasses.fields(params)}:
        for i in range(engine_runs):
            fresh = dataclasses.replace(params, seed=FRESH_SEED_BASE + i)
            started = time.perf_counter()
            module.run(fresh)
            fresh_times.append(time.perf_counter() - started)

    eager_times = [run_eager(code, name)[1] for _ in range(eager_runs)]
    engine_median, eager_median = c.median(engine_times), c.median(eager_times)
    fresh_median = c.median(fresh_times) if fresh_times else None
    return {
        "scenario": name,
        "question": question.id,
        "params": repr(params),
        "match": comparison.ok,
        "max_relative_deviation": comparison.max_relative_deviation,
        "problems": comparison.problems,
        "engine_first_s": engine_first,
        "engine_warm_s": engine_times,
        "engine_new_seed_s": fresh_times,
        "eager_first_s": eager_checked,
        "eager_s": eager_times,
        "engine_median_s": engine_median,
        "engine_new_seed_median_s": fresh_median,
        "eager_median_s": eager_median,
        "ratio": eager_median / engine_median,
        "ratio_new_seed": eager_median / fresh_median if fresh_median else None,
    }


def main(argv: list[str] | None = None) -> c.PartResult:
    p = c.parser("Compiled engine vs the question's eager code, per scenario.")
    p.add_argument("--engine-runs", type=c.positive_int, default=20, help="warm engine calls (median)")
    p.add_argument("--eager-runs", type=c.positive_int, default=3, help="timed eager runs (median)")
    p.add_argument("--scenarios", nargs="*", help="only these scenarios (default: every question's)")
    args = p.parse_args(argv)

    result = c.new_part("engine", {"engine_runs": args.engine_runs, "eager_runs": args.eager_runs})
    if warning := c.busy_warning():
        c.note(result, warning)
    import scenarios
    from scenarios._tf import tensorflow

    started = time.perf_counter()
    tensorflow()  # not counted: a student's notebook has TensorFlow imported already
    c.note(result, f"TensorFlow import (not counted): {time.perf_counter() - started:.1f} s")

    questions = [q for q in load_bank().questions if not args.scenarios or q.scenario in args.scenarios]
    table = c.Table(
        f"Engine vs eager (engine: median of {args.engine_runs} warm calls; "
        f"eager: median of {args.eager_runs} runs)",
        ["scenario", "same numbers", "max rel dev", "engine 1st call ms", "engine ms",
         "engine new seed ms", "eager ms", "eager/engine", "eager/new seed"],
    )
    for question in questions:
        name = question.scenario
        try:
            module = scenarios.load(name)
        except Exception as error:  # a scenario still being written must not stop the others
            c.note(result, f"{name}: cannot be used ({type(error).__name__}: {error}); skipped")
            result.figures.append(c.Figure(f"engine {name} eager/engine", None, "×", TARGET_RATIO,
                                           at_most=False, note="cannot be used", skipped=True))
            continue
        print(f"… {name} ({question.id})", flush=True)
        try:
            row = measure(module, question, args.engine_runs, args.eager_runs)
        except Exception as error:
            c.measurement_failed(result, name, error, [
                c.Figure(f"engine {name} eager/engine", None, "×", TARGET_RATIO, at_most=False)])
            continue
        result.raw[name] = row
        for problem in row["problems"]:
            c.note(result, f"{name}: {problem}")
        table.rows.append([
            name, "yes" if row["match"] else "NO", f"{row['max_relative_deviation']:.1e}",
            c.ms(row["engine_first_s"]), c.ms(row["engine_median_s"]),
            None if row["engine_new_seed_median_s"] is None else c.ms(row["engine_new_seed_median_s"]),
            c.ms(row["eager_median_s"]), f"{row['ratio']:,.0f}×",
            None if row["ratio_new_seed"] is None else f"{row['ratio_new_seed']:,.0f}×",
        ])
        result.figures.append(c.Figure(
            f"engine {name} same numbers as eager", 1.0 if row["match"] else None, "",
            target=1.0, at_most=False, text="yes" if row["match"] else "NO",
            note=f"max rel dev {row['max_relative_deviation']:.1e}" if row["match"]
            else "; ".join(row["problems"])[:200],
        ))
        result.figures.append(c.Figure(
            f"engine {name} eager/engine", row["ratio"], "×", TARGET_RATIO, at_most=False,
            note=(f"engine {c.ms(row['engine_median_s']):.2f} ms, eager {c.ms(row['eager_median_s']):,.0f} ms"
                  + ("" if row["ratio_new_seed"] is None
                     else f"; new seed: {row['ratio_new_seed']:,.0f}×")),
        ))
    c.add_table(result, table)
    c.finish(result)
    return result


if __name__ == "__main__":
    main()

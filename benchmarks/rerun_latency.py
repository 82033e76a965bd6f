"""Part 2 — how long one Streamlit rerun takes when a slider moves (AppTest, no browser).

Like the server: `ui.warmup.warm_all(bank)` first compiles every scenario and
calls `gc.collect(); gc.freeze()` (a full collection with TensorFlow loaded
takes ~0.5 s unfrozen, and Python still runs one now and then). Then for
every question page of the bank:
open it (`harness.apptest.run_app`, its first run is reported but
not counted), make a few untimed warm-up moves, then time `at.run()` after
each of N slider moves.

The moves walk every slider of the page upward, one notch at a time,
round-robin (`benchmarks._sliders.upward_walk`): each configuration is new,
so the page's `st.cache_data` run never hits — what a student pays for a
slider position nobody tried yet. (Caches keyed on fewer sliders, such as a
sweep that does not depend on the seed, do hit, as they would for them.)

Figures: p50 and p95 of the timed runs per page and over all pages.
Targets: p50 <= 150 ms, p95 <= 400 ms.

Run alone: `python -m benchmarks.rerun_latency --moves 5`.
"""

from __future__ import annotations

import logging
import os
import time
from typing import Any

from benchmarks import _common as c
from benchmarks import _sliders
from content.questions import Question, load_bank

TARGET_P50_MS = 150.0
TARGET_P95_MS = 400.0


def _set(at: Any, move: _sliders.Move, key: str) -> None:
    widget = at.select_slider(key=key) if move.control.kind == "log" else at.slider(key=key)
    widget.set_value(move.value)


def measure_page(q: Question, moves: int, warmup_moves: int) -> dict[str, Any]:
    from harness.apptest import errors, plotly_data, run_app

    started = time.perf_counter()
    at = run_app(q.id)
    first_open = time.perf_counter() - started
    problems = [f"first run: {e}" for e in errors(at)]

    walk = _sliders.upward_walk(q)
    times: list[float] = []
    moved: list[str] = []
    unchanged = 0
    for n in range(warmup_moves + moves):
        try:
            move = next(walk)
        except StopIteration:
            problems.append(f"every slider at its max after {n} moves")
            break
        _set(at, move, f"{q.id}:{move.control.key}")
        before = plotly_data(at)
        started = time.perf_counter()
        at.run()
        elapsed = time.perf_counter() - started
        if errors(at):
            problems.extend(f"{move.control.label}={move.value}: {e}" for e in errors(at))
        if plotly_data(at) == before:
            unchanged += 1
        if n >= warmup_moves:
            times.append(elapsed)
            moved.append(f"{move.control.key}={move.value:g}")
    return {
        "page": q.id,
        "first_open_s": first_open,
        "times_s": times,
        "moves": moved,
        "charts_unchanged": unchanged,
        "problems": problems,
        "p50_ms": c.ms(c.percentile(times, 50)),
        "p95_ms": c.ms(c.percentile(times, 95)),
        "max_ms": c.ms(max(times)) if times else float("nan"),
    }


def main(argv: list[str] | None = None) -> c.PartResult:
    p = c.parser("Streamlit rerun latency after a slider move, per question page (AppTest).")
    p.add_argument("--moves", type=c.positive_int, default=30, help="timed slider moves per page")
    p.add_argument("--warmup-moves", type=int, default=3, help="untimed moves per page first")
    p.add_argument("--pages", nargs="*", help="only these question ids (default: every question in the bank)")
    args = p.parse_args(argv)

    # As in the tests: no background warm-up thread racing the measurement;
    # the same warm-up runs in the foreground instead, before any timing.
    os.environ["OPTIMIZER_EXPLORER_WARMUP"] = "0"
    # Nor the slider prefetch: each move here is a configuration not computed before, and stays so.
    os.environ["OPTIMIZER_EXPLORER_PREFETCH"] = "0"
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    result = c.new_part("rerun", {"moves": args.moves, "warmup_moves": args.warmup_moves})
    if warning := c.busy_warning():
        c.note(result, warning)

    from harness.apptest import clear_caches
    from ui import warmup

    # AppTest's element accessors run outside a script thread: harmless, noisy.
    logging.getLogger("streamlit.runtime.scriptrunner_utils.script_run_context").setLevel(logging.ERROR)

    started = time.perf_counter()
    warmup.warm_all(load_bank())  # imports TensorFlow, compiles every scenario, gc.collect + gc.freeze
    c.note(result, f"server-style warm-up (TF import + compile all + gc.freeze): "
                   f"{time.perf_counter() - started:.1f} s")
    clear_caches()

    questions = _sliders.questions(args.pages)
    table = c.Table(
        f"Rerun after a slider move (AppTest at.run(), {args.moves} new values per page)",
        ["page", "first open ms", "p50 ms", "p95 ms", "max ms", "runs", "sliders moved"],
    )
    everything: list[float] = []
    for q in questions:
        question_id = q.id
        print(f"… {question_id}", flush=True)
        try:
            row = measure_page(q, args.moves, args.warmup_moves)
        except Exception as error:
            c.measurement_failed(result, question_id, error, [
                c.Figure(f"rerun {question_id} {stat}", None, "ms") for stat in ("p50", "p95")])
            continue
        result.raw[question_id] = row
        for problem in row["problems"]:
            c.note(result, f"{question_id}: {problem}")
        if row["charts_unchanged"]:
            c.note(result, f"{question_id}: {row['charts_unchanged']} moves left every chart unchanged")
        everything.extend(row["times_s"])
        keys = sorted({m.split("=")[0] for m in row["moves"]})
        table.rows.append([question_id, c.ms(row["first_open_s"]), row["p50_ms"], row["p95_ms"],
                           row["max_ms"], len(row["times_s"]), ", ".join(keys)])
        broken = "; ".join(row["problems"])[:160]
        result.figures.append(c.Figure(f"rerun {question_id} p50", None if broken else row["p50_ms"],
                                       "ms", TARGET_P50_MS, note=broken))
        result.figures.append(c.Figure(f"rerun {question_id} p95", None if broken else row["p95_ms"],
                                       "ms", TARGET_P95_MS, note=broken))
    overall_p50 = c.ms(c.percentile(everything, 50))
    overall_p95 = c.ms(c.percentile(everything, 95))
    table.rows.append(["all pages", None, overall_p50, overall_p95,
                       c.ms(max(everything)) if everything else None, len(everything), ""])
    result.raw["overall"] = {"p50_ms": overall_p50, "p95_ms": overall_p95, "runs": len(everything)}
    result.figures.append(c.Figure("rerun all pages p50", overall_p50 if everything else None, "ms",
                                   TARGET_P50_MS))
    result.figures.append(c.Figure("rerun all pages p95", overall_p95 if everything else None, "ms",
                                   TARGET_P95_MS))
    c.add_table(result, table)
    c.finish(result)
    return result


if __name__ == "__main__":
    main()

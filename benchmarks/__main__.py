"""Run the benchmark suite: `python -m benchmarks` (see benchmarks/README.md).

Each part runs in its own Python process (`python -m benchmarks.<module>`),
so one part's TensorFlow state, garbage and memory never colour another's.
Each prints its tables and writes `benchmarks/results/<part>.json`; at the
end this prints ONE line per figure, PASS/FAIL against its target, and
writes everything to `benchmarks/results/summary-<time>.json` (and
`latest.json`).

    python -m benchmarks                  # everything, full repetitions
    python -m benchmarks --only engine    # one part (repeat --only for more)
    python -m benchmarks --quick          # small repetitions: a smoke run
"""

from __future__ import annotations

import json
import subprocess
import sys
import time

from benchmarks import _common as c

PARTS = {
    "engine": "engine_vs_eager",
    "rerun": "rerun_latency",
    "cold": "cold_start",
    "cold-pinned": "cold_start",
    "memory": "memory",
    "browser": "browser_latency",
}
FULL = {"engine_runs": 20, "eager_runs": 3, "rerun_moves": 30, "servers": 2, "presses": 3, "browser_moves": 25}
QUICK = {"engine_runs": 3, "eager_runs": 1, "rerun_moves": 5, "servers": 1, "presses": 1, "browser_moves": 3}


def part_arguments(part: str, reps: dict[str, int]) -> list[str]:
    return {
        "engine": ["--engine-runs", str(reps["engine_runs"]), "--eager-runs", str(reps["eager_runs"])],
        "rerun": ["--moves", str(reps["rerun_moves"])],
        "cold": ["--servers", str(reps["servers"])],
        "cold-pinned": ["--servers", str(reps["servers"]), "--taskset-core", "0"],
        "memory": ["--presses", str(reps["presses"])],
        "browser": ["--moves", str(reps["browser_moves"])],
    }[part]


def main(argv: list[str] | None = None) -> int:
    p = c.parser(__doc__.splitlines()[0])
    p.add_argument("--only", action="append", choices=list(PARTS), metavar="PART",
                   help=f"run only this part ({'|'.join(PARTS)}); repeat for several")
    p.add_argument("--quick", action="store_true",
                   help="small repetitions (" + ", ".join(f"{k}={v}" for k, v in QUICK.items()) + ")")
    p.add_argument("--engine-runs", type=c.positive_int, help=f"engine: warm engine calls [{FULL['engine_runs']}]")
    p.add_argument("--eager-runs", type=c.positive_int, help=f"engine: timed eager runs [{FULL['eager_runs']}]")
    p.add_argument("--rerun-moves", type=c.positive_int, help=f"rerun: moves per page [{FULL['rerun_moves']}]")
    p.add_argument("--servers", type=c.positive_int,
                   help=f"cold, cold-pinned: fresh servers per page [{FULL['servers']}]")
    p.add_argument("--presses", type=c.positive_int, help=f"memory: presses per slider [{FULL['presses']}]")
    p.add_argument("--browser-moves", type=c.positive_int,
                   help=f"browser: key presses per page [{FULL['browser_moves']}]")
    args = p.parse_args(argv)

    reps = dict(QUICK if args.quick else FULL)
    for key in reps:
        if getattr(args, key) is not None:
            reps[key] = getattr(args, key)
    parts = [part for part in PARTS if part in (args.only or PARTS)]
    if warning := c.busy_warning():
        print(f"note: {warning}", flush=True)

    figures: list[c.Figure] = []
    files: dict[str, str] = {}
    started = time.perf_counter()
    for part in parts:
        title = f" {part} (benchmarks/{PARTS[part]}.py) "
        print(f"\n{title:=^100}", flush=True)
        path = c.RESULTS / f"{part}.json"
        path.unlink(missing_ok=True)
        command = [sys.executable, "-m", f"benchmarks.{PARTS[part]}", *part_arguments(part, reps)]
        code = subprocess.run(command, cwd=c.ROOT).returncode
        if path.exists():
            figures.extend(c.load_figures(path))
            files[part] = str(path.relative_to(c.ROOT))
        if code != 0 or not path.exists():
            figures.append(c.Figure(f"{part}: part ran to the end", None, "",
                                    note=f"exit code {code}; see its output above"))

    print(f"\n{' Summary: one line per figure ':=^100}")
    for figure in figures:
        print(figure.line())
    counts = {s: sum(f.status == s for f in figures) for s in ("PASS", "FAIL", "INFO", "SKIP")}
    print(" · ".join(f"{n} {s}" for s, n in counts.items() if n)
          + f" · {time.perf_counter() - started:.0f} s in all")
    if warning := c.busy_warning():
        print(f"note: {warning}")

    c.RESULTS.mkdir(parents=True, exist_ok=True)
    summary = {
        "finished": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "parts": parts,
        "repetitions": reps,
        "part_files": files,
        "environment": c.environment(),
        "figures": [{**figure.__dict__, "status": figure.status} for figure in figures],
        "details": {part: json.loads((c.ROOT / file).read_text()) for part, file in files.items()},
    }
    text = json.dumps(summary, indent=2) + "\n"
    stamped = c.RESULTS / f"summary-{time.strftime('%Y%m%d-%H%M%S')}.json"
    stamped.write_text(text)
    (c.RESULTS / "latest.json").write_text(text)
    print(f"results: {stamped.relative_to(c.ROOT)} (also benchmarks/results/latest.json)")
    return 1 if counts["FAIL"] else 0


if __name__ == "__main__":
    sys.exit(main())

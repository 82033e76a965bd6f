"""Class-mode load test: students join by code, vote in two rounds on every question, follow the teacher.

Run from the repository root, holding the benchmark lock (the machine is shared):

    flock -x /tmp/optimizer-bench.lock python -m benchmarks.class_vote_load              # both scenarios
    flock -x /tmp/optimizer-bench.lock python -m benchmarks.class_vote_load --scenario one
    flock -s /tmp/optimizer-bench.lock python -m benchmarks.class_vote_load --scenario one --students 4 \\
        --ramp-seconds 3 --discussion-seconds 0.5   # a quick check

Scenarios (issue 15, "Load"):
- `one`: 40 students on ONE `streamlit run app.py`, the class database an
  SQLite file (the embedded default);
- `two`: 80 students on TWO servers sharing PostgreSQL (teacher and the
  even-numbered students on A, the odd-numbered on B). The URL comes from
  `--postgres-url`, default `$OPTIMIZER_EXPLORER_TEST_POSTGRES_URL` (what
  `.ci/run` sets up); the servers get it through a secrets file of their
  own (`STREAMLIT_SECRETS_FILES`, `[connections.classroom] url = ...`).

What happens (`classroom/vote_lesson.py`)
-----------------------------------------
Servers start (`harness.server`, loopback, free ports) and are left to
finish their warm-up. The teacher is a real Chromium page at 1024x768 on
server A (`classroom/projector.py`): home page, "Start a class", the
projector view. Students arrive at random times within `--ramp-seconds`
and are protocol clients (`classroom/live_client.py`; why not browsers:
see `benchmarks/classroom_load.py`, 40 Chromium tabs would need ~10 cores
here): GET the join link, open the websocket, fill the join form (code and
a name "Student 001", ...) and submit it. Then each student, reading only
their own page: waits until it offers a vote they have not cast, thinks
(`--think-min`..`--think-max` s, seeded), picks an option (a rerun, as the
radio makes in a browser), presses "Submit prediction"; with probability
`--recant-share` changes their mind ("Change my prediction"); in round 2 a
share `--switch-share` picks another choice than in round 1. They follow
the teacher as a browser does: the server's `auto_rerun` message (the
`st.fragment(run_every=...)` of `_follow`) starts a timer that sends a
fragment rerun at that interval; when the teacher moved on, `_follow`
reruns the app and the student's page changes.

The teacher, for every question of the bank (`content.questions.load_bank()`,
no ids or counts written here): waits until every student's vote is
acknowledged and the projector shows them all, pauses
`--discussion-seconds`, "Vote again", the same for round 2, "Reveal to
class" (waits until every student's page shows the answer), then "Next
question" (the last question: "End class").

Figures
-------
- vote -> projector: from the vote button's BackMsg leaving this process to
  the moment the projector's DOM first holds a "<N> joined · <M> voted in
  round R" line (under the vote's question header) whose M includes the
  vote: the round's first votes are ranked by acknowledgement, and vote k
  counts as shown at the first change, at or after its send, with M >= k
  (a vote is committed before it is acknowledged, and M counts committed
  votes). The time is the page's `Date.now()` in a MutationObserver, same
  clock as ours. A change of mind within a round does not move M: those
  votes have an acknowledgement time only. TARGET p95 <= 2 s; a vote never
  shown fails it.
- vote acknowledged: button sent -> the student's full rerun that shows
  "Your prediction is in: <that choice>" has finished (p50/p95).
- following: teacher's click -> a student's page shows the new state.
- errors (TARGET 0): exceptions on any page (students' runs and polls, the
  projector's DOM and JS), store errors / refusals / rate limits drawn on a
  page, refused votes, timeouts, disconnects (a student's websocket, the
  projector's connection badge).
- database (TARGET equal): at the end, the room's votes are read with
  SQLAlchemy and compared with the acknowledged ones per question, round
  and student (name): none lost, none extra or doubled, the last
  acknowledged choice kept.
- resources: each server's CPU (0.5 s samples) and peak RSS (VmHWM, TARGET
  <= 1.5 GB), the generator's CPU (this process; Chromium), PostgreSQL's
  CPU, machine busy and the 1-minute load average (before, during, after).

Everything is bounded: per-step timeouts, `--round-timeout`,
`--class-timeout`, `--max-polls` per student. Traffic goes to 127.0.0.1
(and PostgreSQL at the URL given). The script stops its browser and
servers. Results: benchmarks/results/class_vote_load-<time>.json (every
vote, action, tally change, error, the resource timeline), server logs
beside it. Exit status 0 only if every target of every scenario passes.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import os
import sys
from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path

from benchmarks.classroom.vote_lesson import Scenario, run_scenario
from benchmarks.classroom.vote_report import print_report, summarize
from content.questions import load_bank
from harness.browser import CHROMIUM
from harness.server import ROOT

RESULTS = ROOT / "benchmarks" / "results"
POSTGRES_URL_ENV = "OPTIMIZER_EXPLORER_TEST_POSTGRES_URL"


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Class-mode voting load test (see the module doc).")
    parser.add_argument("--scenario", choices=("one", "two", "both"), default="both",
                        help="one: 40 students, 1 server, SQLite; two: 80 students, 2 servers, PostgreSQL")
    parser.add_argument("--students", type=int, default=None,
                        help="override the scenario's student count (40 / 80)")
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default=None,
                        help="override the scenario's database")
    parser.add_argument("--postgres-url", default=os.environ.get(POSTGRES_URL_ENV, ""))
    parser.add_argument("--seed", type=int, default=0, help="seeds arrivals, think times and choices")
    parser.add_argument("--ramp-seconds", type=float, default=15.0)
    parser.add_argument("--think-min", type=float, default=1.0)
    parser.add_argument("--think-max", type=float, default=6.0)
    parser.add_argument("--switch-share", type=float, default=0.35, help="round 2: share who pick another choice")
    parser.add_argument("--recant-share", type=float, default=0.15,
                        help="share who press 'Change my prediction' within a round")
    parser.add_argument("--discussion-seconds", type=float, default=3.0)
    parser.add_argument("--load-timeout", type=float, default=180.0)
    parser.add_argument("--vote-timeout", type=float, default=30.0)
    parser.add_argument("--follow-timeout", type=float, default=60.0)
    parser.add_argument("--projector-timeout", type=float, default=30.0)
    parser.add_argument("--round-timeout", type=float, default=90.0)
    parser.add_argument("--class-timeout", type=float, default=900.0)
    parser.add_argument("--max-polls", type=int, default=2_000, help="per student, a safety bound")
    parser.add_argument("--max-rounds-per-student", type=int, default=100, help="a safety bound")
    parser.add_argument("--screenshots", type=Path, default=None,
                        help="save screenshots of question 1 here (e.g. screenshots/): the projector, and a phone"
                             " (an extra Chromium student who votes once: not for the measured figures)")
    args = parser.parse_args(argv)
    if args.students is not None and not 1 <= args.students <= 200:
        parser.error("--students must be 1..200")
    if not 0 <= args.think_min <= args.think_max:
        parser.error("need 0 <= --think-min <= --think-max")
    return args


def scenarios(args: argparse.Namespace) -> list[Scenario]:
    chosen = [Scenario("one", 40, 1, "sqlite"), Scenario("two", 80, 2, "postgresql")]
    chosen = [s for s in chosen if args.scenario in (s.name, "both")]
    return [Scenario(s.name, args.students or s.students, s.servers, args.db or s.db) for s in chosen]


async def main_async(args: argparse.Namespace) -> int:
    bank = load_bank()
    if bank.errors or not bank.questions:
        raise SystemExit(f"the question bank is broken or empty: {[str(e) for e in bank.errors]}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now().strftime("%Y%m%d-%H%M%S")
    out: dict = {"args": {k: str(v) if isinstance(v, Path) else v for k, v in vars(args).items()
                          if k != "postgres_url"},
                 "questions": [q.id for q in bank.questions], "scenarios": {}}
    all_pass = True
    path = RESULTS / f"class_vote_load-{stamp}.json"
    for scenario in scenarios(args):
        try:
            run, resources = await run_scenario(args, scenario, list(bank.questions), RESULTS, stamp)
        except Exception as exc:  # one broken scenario must not lose the other's figures
            print(f"[{scenario.name}] FAILED to run: {type(exc).__name__}: {exc}", flush=True)
            out["scenarios"][scenario.name] = {"failed": f"{type(exc).__name__}: {exc}"}
            path.write_text(json.dumps(out, indent=1, default=str))
            all_pass = False
            continue
        summary = summarize(run, resources)
        print_report(summary, run)
        all_pass &= summary["all_pass"]
        out["scenarios"][scenario.name] = {
            "summary": summary, "server_logs": resources["server_logs"],
            "students": [asdict(s) for s in run.students], "votes": [asdict(v) for v in run.votes],
            "actions": [asdict(a) for a in run.actions], "tally": [asdict(t) for t in run.tally],
            "follows": [asdict(f) for f in run.follows], "errors": [asdict(e) for e in run.errors],
            "timeline": [asdict(s) for s in resources["samples"]],
        }
        path.write_text(json.dumps(out, indent=1, default=str))
    print(f"\nwrote {path.relative_to(ROOT)}; {'ALL TARGETS PASS' if all_pass else 'SOME TARGETS FAILED'}")
    return 0 if all_pass else 1


def main(argv: Sequence[str] | None = None) -> int:
    args = parse_args(argv)
    if not CHROMIUM.exists():
        raise SystemExit(f"{CHROMIUM} is missing (apt-get install chromium; never `playwright install`)")
    if any(s.db == "postgresql" for s in scenarios(args)) and not args.postgres_url:
        raise SystemExit(f"the PostgreSQL scenario needs --postgres-url or ${POSTGRES_URL_ENV} (see .ci/run)")
    return asyncio.run(main_async(args))


if __name__ == "__main__":
    sys.exit(main())

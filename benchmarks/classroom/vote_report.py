"""The voting class's summary, its targets (PASS/FAIL) and the printed tables.

Targets: vote -> projector p95 <= 2 s (a first vote the projector never
showed counts as a failure), zero errors, the database's votes equal the
acknowledged ones (per question, round and student: none lost, none
doubled, the last choice kept), peak RSS (VmHWM) <= 1.5 GB on every server.
"""

from __future__ import annotations

import os
from typing import Any

from benchmarks._common import percentile
from benchmarks.classroom.report import TARGET_PEAK_RSS_BYTES, MiB, fmt, mean
from benchmarks.classroom.vote_records import ClassRun

TARGET_PROJECTOR_P95_S = 2.0


def _stats(values: list[float]) -> dict[str, Any]:
    return {"n": len(values), "p50": percentile(values, 50), "p95": percentile(values, 95),
            "max": max(values, default=None)}


def summarize(run: ClassRun, resources: dict[str, Any]) -> dict[str, Any]:
    acked = [v for v in run.votes if v.outcome == "ack"]
    firsts = [v for v in acked if not v.change]
    shown = [v.projector_s for v in firsts if v.projector_s is not None]
    never_shown = len(firsts) - len(shown)
    start, end = resources.get("class_window", (run.started, run.started))
    during = [s for s in resources["samples"] if start <= s.t <= end]
    servers = {}
    for label in run.servers:
        cpu = [s.server_cpu_pct.get(label, 0.0) for s in during]
        servers[label] = {
            "students": sum(1 for s in run.students if s.server == label),
            "cpu_mean_pct": mean(cpu), "cpu_peak_pct": max(cpu, default=None),
            "rss_baseline_bytes": resources.get("rss_baseline", {}).get(label),
            "rss_peak_sampled_bytes": max((s.server_rss.get(label, 0) for s in during), default=None),
            "vm_hwm_bytes": resources.get("vm_hwm", {}).get(label, 0),
            "rss_end_bytes": resources.get("rss_end", {}).get(label),
        }
    by_kind: dict[str, int] = {}
    for e in run.errors:
        by_kind[e.kind] = by_kind.get(e.kind, 0) + 1
    follow_by_kind = {}
    for kind in ("again", "reveal", "next", "end"):
        seconds = [f.seconds for f in run.follows if f.kind == kind and f.seconds is not None]
        follow_by_kind[kind] = {**_stats(seconds),
                                "never": sum(1 for f in run.follows if f.kind == kind and f.seconds is None)}
    teacher_to_projector = [a.t_projector - a.t for a in run.actions if a.t_projector is not None]
    db = resources["database"]
    p95 = percentile(shown, 95) if not never_shown else float("inf")
    hwm = {label: s["vm_hwm_bytes"] for label, s in servers.items()}
    loads = [s.loadavg_1min for s in during]
    targets = {
        "vote -> projector p95 <= 2 s": {"value": p95 if shown else None, "limit": TARGET_PROJECTOR_P95_S,
                                         "never_shown": never_shown,
                                         "pass": bool(shown) and never_shown == 0 and p95 <= TARGET_PROJECTOR_P95_S},
        "zero errors": {"value": len(run.errors), "limit": 0, "pass": not run.errors},
        "database votes == acknowledged": {"value": f"{db.get('rows', 0)} rows / {db.get('acknowledged', 0)} acked",
                                           "pass": bool(db.get("equal")) and db.get("acknowledged", 0) > 0},
        "peak RSS per server <= 1.5 GB": {"value": max(hwm.values(), default=0), "limit": TARGET_PEAK_RSS_BYTES,
                                          "pass": bool(hwm) and all(0 < v <= TARGET_PEAK_RSS_BYTES
                                                                    for v in hwm.values())},
    }
    return {
        "scenario": run.scenario, "students": len(run.students), "servers": len(run.servers),
        "db": resources["db"], "room": run.code, "class_seconds": end - start,
        "questions": len({v.question for v in run.votes}),
        "teacher_actions": [f"{a.kind} q{a.question_number} r{a.round}" for a in run.actions],
        "votes": {"sent": len(run.votes), "acknowledged": len(acked), "first_votes_acknowledged": len(firsts),
                  "changes_acknowledged": len(acked) - len(firsts),
                  "refused": sum(1 for v in run.votes if v.outcome == "refused"),
                  "timeout_or_disconnect": sum(1 for v in run.votes if v.outcome in ("timeout", "disconnect")),
                  # Sent as the teacher closed the round: the page moved on (not an error; either choice
                  # may be in the database).
                  "closed_by_teacher": sum(1 for v in run.votes if v.outcome == "closed"),
                  "pending": sum(1 for v in run.votes if v.outcome == "pending")},
        "ack_s": _stats([v.ack_s for v in acked if v.ack_s is not None]),
        "projector_s": {**_stats(shown), "never_shown": never_shown},
        "teacher_click_to_projector_s": _stats(teacher_to_projector),
        "follow_s": follow_by_kind,
        "join_s": _stats([s.join_s for s in run.students if s.join_s is not None]),
        "student_polls": {"fragment_runs": sum(s.fragment_runs for s in run.students),
                          "full_runs": sum(s.full_runs for s in run.students),
                          "timer_sends": sum(s.timer_sends for s in run.students),
                          "full_runs_cut_off": sum(s.cut_off_runs for s in run.students)},
        "errors": {"counted": len(run.errors), "by_kind": by_kind},
        "database": db,
        "servers_resources": servers,
        "generator": {"python_cpu_mean_pct": mean([s.python_cpu_pct for s in during]),
                      "chromium_cpu_mean_pct": mean([s.browser_cpu_pct for s in during]),
                      "python_cpu_peak_pct": max((s.python_cpu_pct for s in during), default=None)},
        "postgres_cpu_mean_pct": mean([s.postgres_cpu_pct for s in during]) if resources["db"] == "postgresql"
        else None,
        "machine": {"cores": os.cpu_count(), "busy_mean_pct": mean([s.machine_busy_pct for s in during]),
                    "loadavg_before": resources.get("loadavg_before"),
                    "loadavg_class_start": resources.get("loadavg_class_start"),
                    "loadavg_class_end": resources.get("loadavg_class_end"),
                    "loadavg_1min_mean": mean(loads), "loadavg_1min_max": max(loads, default=None)},
        "warm_up_s": resources.get("warm_up_s"),
        "targets": targets,
        "all_pass": all(t["pass"] for t in targets.values()),
    }


def print_report(summary: dict[str, Any], run: ClassRun) -> None:
    def mib(value: float | None) -> str:
        return "—" if not value else f"{value / MiB:,.0f} MiB"

    def lat(stats: dict[str, Any]) -> str:
        return (f"p50 {fmt(stats['p50'], ' s')}  p95 {fmt(stats['p95'], ' s')}  max {fmt(stats['max'], ' s')}"
                f"  (n={stats['n']})")

    s = summary
    print(f"\nClass vote load [{s['scenario']}]: {s['students']} students, {s['servers']} server(s), {s['db']},"
          f" {s['questions']} questions x 2 rounds, {s['machine']['cores']} cores, class {s['class_seconds']:.0f} s")
    if run.errors:
        print("Errors (first 10):")
        for e in run.errors[:10]:
            print(f"  t={e.t:6.1f}s who {e.student:>3} {e.page:<3} {e.kind:<11} {e.detail[:120]}")
    v = s["votes"]
    rows = [
        ("votes sent / acknowledged", f"{v['sent']} / {v['acknowledged']} ({v['first_votes_acknowledged']} first,"
                                      f" {v['changes_acknowledged']} changes); refused {v['refused']},"
                                      f" timeout/disconnect {v['timeout_or_disconnect']},"
                                      f" closed by the teacher first {v['closed_by_teacher']}"),
        ("vote -> acknowledged (click sent -> run shows it)", lat(s["ack_s"])),
        ("vote -> projector shows it", lat(s["projector_s"]) + f"  never shown {s['projector_s']['never_shown']}"),
        ("teacher click -> projector's tally updated", lat(s["teacher_click_to_projector_s"])),
    ]
    rows += [(f"teacher '{k}' -> student's page follows", lat(f) + (f"  never {f['never']}" if f["never"] else ""))
             for k, f in s["follow_s"].items()]
    rows += [("join (GET + websocket + form)", lat(s["join_s"])),
             ("student polls (fragment reruns) / full reruns",
              f"{s['student_polls']['fragment_runs']} / {s['student_polls']['full_runs']}"),
             ("full runs whose end never reached the student", str(s["student_polls"]["full_runs_cut_off"]))]
    for label, r in s["servers_resources"].items():
        rows.append((f"server {label} ({r['students']} students) CPU mean / peak",
                     f"{fmt(r['cpu_mean_pct'], '%', 0)} / {fmt(r['cpu_peak_pct'], '%', 0)} of one core"))
        rows.append((f"server {label} RSS baseline / peak (VmHWM) / end",
                     f"{mib(r['rss_baseline_bytes'])} / {mib(r['vm_hwm_bytes'])} / {mib(r['rss_end_bytes'])}"))
    g = s["generator"]
    rows.append(("generator CPU: python / chromium (mean)",
                 f"{fmt(g['python_cpu_mean_pct'], '%', 0)} / {fmt(g['chromium_cpu_mean_pct'], '%', 0)}"))
    if s["postgres_cpu_mean_pct"] is not None:
        rows.append(("PostgreSQL CPU (mean)", fmt(s["postgres_cpu_mean_pct"], "%", 0)))
    m = s["machine"]
    rows.append(("machine busy (mean, all cores)", fmt(m["busy_mean_pct"], "%", 0)))
    rows.append(("load average 1 min: before / start / mean / max / end",
                 f"{m['loadavg_before'][0]:.2f} / {m['loadavg_class_start'][0]:.2f} /"
                 f" {fmt(m['loadavg_1min_mean'])} / {fmt(m['loadavg_1min_max'])} / {m['loadavg_class_end'][0]:.2f}"
                 if m["loadavg_class_end"] else "—"))
    db = s["database"]
    rows.append(("database rows / acknowledged (lost, extra, wrong choice)",
                 f"{db.get('rows')} / {db.get('acknowledged')} ({len(db.get('lost', []))},"
                 f" {len(db.get('extra', []))}, {len(db.get('wrong_choice', []))})"))
    width = max(len(name) for name, _ in rows)
    for name, value in rows:
        print(f"  {name:<{width}}  {value}")
    print("Targets")
    for name, t in s["targets"].items():
        value = t["value"]
        shown = (mib(value) if "RSS" in name else fmt(value, " s") if "projector" in name and value is not None
                 else str(value))
        print(f"  {'PASS' if t['pass'] else 'FAIL'}  {name:<32} measured {shown}")
    print(f"  => {'ALL PASS' if s['all_pass'] else 'SOME TARGETS FAILED'}")

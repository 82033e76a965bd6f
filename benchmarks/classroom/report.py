"""The class's summary: latencies by page and driver, errors, server and generator resources, targets.

Targets (PASS/FAIL): zero errors, move latency p95 <= 2 s, server peak RSS
(VmHWM) <= 1.5 GB. `summarize` builds the JSON-ready summary,
`print_report` prints it.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from typing import Any

from benchmarks._common import percentile
from benchmarks.classroom.records import Move, Run

MiB = 1024 * 1024
TARGET_P95_S = 2.0
TARGET_PEAK_RSS_BYTES = int(1.5 * 1024**3)
# "Returns near baseline" (informational, not a target): within this many
# MiB or this fraction of the baseline, whichever is larger.
NEAR_BASELINE_MIB = 100
NEAR_BASELINE_FRACTION = 0.10


def mean(values: Sequence[float]) -> float | None:
    return sum(values) / len(values) if values else None


def fmt(value: float | None, unit: str = "", digits: int = 2) -> str:
    return "—" if value is None or math.isnan(value) else f"{value:.{digits}f}{unit}"


def _latency(moves: Sequence[Move]) -> dict[str, Any]:
    done = [m.latency_s for m in moves if m.latency_s is not None]
    server = [m.server_s for m in moves if m.latency_s is not None and m.server_s is not None]
    return {"moves": len(done), "p50_s": percentile(done, 50), "p95_s": percentile(done, 95),
            "max_s": max(done, default=None), "server_part_p50_s": percentile(server, 50)}


def summarize(run: Run, cold_rss: int, baseline_rss: int, after_rss: int, vm_hwm: int,
              teacher: dict[str, float], window: tuple[float, float]) -> dict[str, Any]:
    args = run.args
    done = [m.latency_s for m in run.moves if m.latency_s is not None]
    counted = [e for e in run.errors if e.kind != "js"]
    by_kind: dict[str, int] = {}
    for e in run.errors:
        by_kind[e.kind] = by_kind.get(e.kind, 0) + 1
    during = [s for s in run.sampler.samples if window[0] <= s.t <= window[1]]
    server_cpu = [s.server_cpu_pct for s in during]
    generator_cpu = [s.python_cpu_pct + s.browser_cpu_pct for s in during]
    near_limit = max(NEAR_BASELINE_MIB * MiB, NEAR_BASELINE_FRACTION * baseline_rss)
    loads = {d: [s.load_s for s in run.students if s.driver == d and s.load_s is not None]
             for d in ("protocol", "browser")}
    p95 = percentile(done, 95)
    targets = {
        "zero errors": {"value": len(counted), "limit": 0, "pass": not counted},
        "move latency p95 <= 2 s": {"value": p95, "limit": TARGET_P95_S,
                                    "pass": p95 is not None and p95 <= TARGET_P95_S},
        "server peak RSS <= 1.5 GB": {"value": vm_hwm, "limit": TARGET_PEAK_RSS_BYTES,
                                      "pass": 0 < vm_hwm <= TARGET_PEAK_RSS_BYTES},
    }
    return {
        "students": args.students, "browser_students": args.browser_students, "minutes": args.minutes,
        "class_seconds": window[1] - window[0],
        "moves": len(run.moves), "moves_completed": len(done),
        "moves_same_chart_data": sum(1 for m in run.moves if m.latency_s is not None and not m.chart_changed),
        "moves_per_second": len(done) / max(window[1] - window[0], 1e-9),
        "latency_s": {"p50": percentile(done, 50), "p95": p95, "p99": percentile(done, 99),
                      "mean": mean(done), "max": max(done, default=None)},
        "latency_by_driver": {d: _latency([m for m in run.moves if m.driver == d])
                              for d in ("protocol", "browser")},
        "latency_by_page": {p: {"students": sum(1 for s in run.students if s.page == p),
                                **_latency([m for m in run.moves if m.page == p])} for p in run.links},
        "first_load_s": {d: {"p50": percentile(v, 50), "max": max(v, default=None)}
                         for d, v in loads.items()},
        "errors": {"counted": len(counted), "by_kind": by_kind},
        "server": {
            "cpu_mean_pct": mean(server_cpu), "cpu_peak_pct": max(server_cpu, default=None),
            "rss_cold_bytes": cold_rss, "rss_baseline_bytes": baseline_rss,
            "rss_peak_sampled_bytes": max((s.server_rss for s in during), default=None),
            "vm_hwm_bytes": vm_hwm, "rss_after_bytes": after_rss,
            "rss_after_minus_baseline_bytes": after_rss - baseline_rss,
            "returns_near_baseline": after_rss - baseline_rss <= near_limit,
            "near_baseline_limit_bytes": int(near_limit),
        },
        "generator": {
            "cpu_mean_pct": mean(generator_cpu), "cpu_peak_pct": max(generator_cpu, default=None),
            "python_cpu_mean_pct": mean([s.python_cpu_pct for s in during]),
            "browser_cpu_mean_pct": mean([s.browser_cpu_pct for s in during]),
            "rss_sum_peak_bytes": max((s.generator_rss for s in during), default=None),
            "processes_peak": max((s.generator_procs for s in during), default=None),
        },
        "machine": {"cores": os.cpu_count(), "busy_mean_pct": mean([s.machine_busy_pct for s in during]),
                    # Before the class, server quiet and no students: what else runs here.
                    "busy_before_class_pct": mean([s.machine_busy_pct for s in run.sampler.samples
                                                    if s.phase == "settle"]),
                    "loadavg_at_end": os.getloadavg()},
        "teacher_first_visit_s": teacher,
        "targets": targets,
        "all_pass": all(t["pass"] for t in targets.values()),
    }


def print_report(summary: dict[str, Any], run: Run) -> None:
    lat, srv, gen = summary["latency_s"], summary["server"], summary["generator"]

    def mib(value: float | None) -> str:
        return "—" if value is None else f"{value / MiB:,.0f} MiB"

    print(f"\nClassroom load: {summary['students']} students ({summary['browser_students']} in Chromium)"
          f" x {summary['minutes']:g} min, one server, {summary['machine']['cores']} cores\n")
    print(f"{'moves by':<28} {'students':>8} {'moves':>6} {'p50 s':>7} {'p95 s':>7} {'max s':>7}"
          f" {'server p50 s':>13}")
    rows = [(p, r["students"], r) for p, r in summary["latency_by_page"].items()]
    rows += [(f"driver: {d}", sum(1 for s in run.students if s.driver == d), r)
             for d, r in summary["latency_by_driver"].items()]
    for name, students, r in rows:
        print(f"{name:<28} {students:>8} {r['moves']:>6} {fmt(r['p50_s']):>7} {fmt(r['p95_s']):>7}"
              f" {fmt(r['max_s']):>7} {fmt(r['server_part_p50_s']):>13}")
    if run.errors:
        print("\nErrors (first 10):")
        for e in run.errors[:10]:
            print(f"  t={e.t:6.1f}s student {e.student:>3} {e.page:<27} {e.kind:<10} {e.detail[:110]}")
    loads = summary["first_load_s"]
    table = [
        ("moves completed / sent", f"{summary['moves_completed']} / {summary['moves']}"
                                   f" ({summary['moves_same_chart_data']} redrew identical chart data)"),
        ("moves per second", fmt(summary["moves_per_second"])),
        ("move latency p50 / p95 / max", f"{fmt(lat['p50'], ' s')} / {fmt(lat['p95'], ' s')}"
                                         f" / {fmt(lat['max'], ' s')}"),
        ("first load p50 / max: protocol", f"{fmt(loads['protocol']['p50'], ' s')}"
                                           f" / {fmt(loads['protocol']['max'], ' s')}"),
        ("first load p50 / max: browser", f"{fmt(loads['browser']['p50'], ' s')}"
                                          f" / {fmt(loads['browser']['max'], ' s')}"),
        ("errors (exception/timeout/disconnect/http/…)", str(summary["errors"]["counted"])),
        ("JavaScript errors in pages (listed only)", str(summary["errors"]["by_kind"].get("js", 0))),
        ("server CPU mean / peak (100% = 1 core)", f"{fmt(srv['cpu_mean_pct'], '%', 0)}"
                                                   f" / {fmt(srv['cpu_peak_pct'], '%', 0)}"),
        ("server RSS cold / baseline", f"{mib(srv['rss_cold_bytes'])} / {mib(srv['rss_baseline_bytes'])}"),
        ("server peak RSS (VmHWM)", mib(srv["vm_hwm_bytes"])),
        (f"server RSS {run.args.settle_seconds:g} s after all left",
         f"{mib(srv['rss_after_bytes'])} ({srv['rss_after_minus_baseline_bytes'] / MiB:+,.0f} MiB vs"
         f" baseline: {'near' if srv['returns_near_baseline'] else 'NOT near'},"
         f" limit +{srv['near_baseline_limit_bytes'] / MiB:,.0f} MiB)"),
        ("generator CPU mean / peak", f"{fmt(gen['cpu_mean_pct'], '%', 0)}"
                                      f" / {fmt(gen['cpu_peak_pct'], '%', 0)}"
                                      f" (python {fmt(gen['python_cpu_mean_pct'], '%', 0)},"
                                      f" chromium {fmt(gen['browser_cpu_mean_pct'], '%', 0)})"),
        ("generator RSS sum (peak) / processes",
         f"{mib(gen['rss_sum_peak_bytes'])} / {gen['processes_peak']}"),
        ("machine busy: class / before it (other work)",
         f"{fmt(summary['machine']['busy_mean_pct'], '%', 0)} / "
         f"{fmt(summary['machine']['busy_before_class_pct'], '%', 0)}"
         f" of {summary['machine']['cores']} cores"),
    ]
    width = max(len(name) for name, _ in table)
    print("\nSummary")
    for name, value in table:
        print(f"  {name:<{width}}  {value}")
    other = summary["machine"]["busy_before_class_pct"]
    if other is not None and other > 25:
        print(f"\nNOTE: other work kept the machine {other:.0f}% busy before the class started;"
              " latencies read high. Compare runs on a quiet machine.")
    print("\nTargets")
    for name, target in summary["targets"].items():
        value = target["value"]
        shown = mib(value) if "RSS" in name else (fmt(value, " s") if "latency" in name else str(value))
        print(f"  {'PASS' if target['pass'] else 'FAIL'}  {name:<26} measured {shown}")
    print(f"  => {'ALL PASS' if summary['all_pass'] else 'SOME TARGETS FAILED'}")

"""Does a full rerun's page reach the browser when a fragment poll lands as the run ends? (ui/fragment_rerun_race.py)

Not part of `python -m benchmarks`. Hold the lock:

    flock -x /tmp/optimizer-bench.lock python -m benchmarks.fragment_rerun_race
    python -m benchmarks.fragment_rerun_race --help

For each round, two servers of `benchmarks/fragment_rerun_race_app.py`, one
after the other: Streamlit as it is ("stock") and with
`ui.fragment_rerun_race.install()` ("patched"). `--sessions` protocol
sessions each send a fragment rerun every `--poll` s (what the browser's
timer sends for `st.fragment(run_every=...)`, here faster than a class
phone's 2 s to meet the race more often) and, every ~`--full` s, a full rerun
(the slider moved one step). A full rerun is **lost** when no run whose
`script_finished` (FINISHED_SUCCESSFULLY, matched by `script_run_id`) drew
the new value arrives within `--timeout` s; **cut off**: the run's deltas
came, its `script_finished` never did. The acknowledgement time (send ->
that run finished) is shown so that a fix that only delays is visible.

Figures: lost full reruns with the patch (target 0); stock's for
information (measured here, 2 rounds: stock 14 of 3,035, patched 0 of 3,128).
"""

from __future__ import annotations

import asyncio
import os
import random
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

from streamlit.proto.ClientState_pb2 import ClientState
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.asyncio.client import connect

from benchmarks._common import (
    RESULTS,
    Figure,
    Table,
    add_table,
    busy_warning,
    finish,
    new_part,
    note,
    parser,
    percentile,
    positive_int,
)
from benchmarks.classroom.protocol_client import rerun_message
from harness.server import start_server, stop_server

APP = "benchmarks/fragment_rerun_race_app.py"


@dataclass
class Tally:
    sent: int = 0
    lost: int = 0
    cut_off: int = 0
    polls: int = 0
    ack_s: list[float] = field(default_factory=list)


async def _session(url: str, index: int, args, tally: Tally) -> None:
    rng = random.Random(index)
    ws = await connect(url.replace("http://", "ws://", 1) + "/_stcore/stream", subprotocols=["streamlit"],
                       max_size=None, open_timeout=30)
    state = {"fragment": "", "slider": "", "hash": "", "want": "value=0"}
    runs: dict[str, dict] = {}  # full runs by script_run_id: the value they drew, their finish status
    done = asyncio.Event()

    async def read() -> None:
        current = None
        async for raw in ws:
            message = ForwardMsg()
            message.ParseFromString(raw)
            kind, run = message.WhichOneof("type"), message.metadata.run
            if kind == "new_session":
                current = None if run.fragment_ids else run.script_run_id
                if current:
                    runs[current] = {"value": None, "finished": None}
            elif kind == "navigation":
                state["hash"] = message.navigation.page_script_hash
            elif kind == "auto_rerun":
                state["fragment"] = message.auto_rerun.fragment_id
            elif kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                if element.WhichOneof("type") == "slider":
                    state["slider"] = element.slider.id
                elif element.WhichOneof("type") == "alert" and current:
                    runs[current]["value"] = element.alert.body
            elif kind == "script_finished" and run.script_run_id in runs:
                runs[run.script_run_id]["finished"] = message.script_finished
                if (message.script_finished == ForwardMsg.FINISHED_SUCCESSFULLY
                        and runs[run.script_run_id]["value"] == state["want"]):
                    done.set()

    value = 0

    def client_state(fragment: str = "") -> ClientState:
        cs = ClientState(page_script_hash=state["hash"], fragment_id=fragment, is_auto_rerun=bool(fragment))
        if state["slider"]:
            cs.widget_states.widgets.add(id=state["slider"]).double_array_value.data.append(value)
        return cs

    async def poll() -> None:
        await asyncio.sleep(rng.uniform(0, args.poll))
        while True:
            if state["fragment"]:
                await ws.send(rerun_message(client_state(state["fragment"]), url))
                tally.polls += 1
            await asyncio.sleep(args.poll)

    reader = asyncio.create_task(read())
    poller = None
    try:
        await ws.send(rerun_message(ClientState(), url))
        await asyncio.wait_for(done.wait(), 60)
        poller = asyncio.create_task(poll())
        end = time.monotonic() + args.seconds
        while time.monotonic() < end:
            await asyncio.sleep(rng.uniform(0.5, 1.5) * args.full)
            value += 1
            state["want"] = f"value={value}"
            done.clear()
            before = len(runs)
            sent = time.monotonic()
            await ws.send(rerun_message(client_state(), url))
            tally.sent += 1
            try:
                await asyncio.wait_for(done.wait(), args.timeout)
                tally.ack_s.append(time.monotonic() - sent)
            except TimeoutError:
                tally.lost += 1
                if any(r["value"] == state["want"] and r["finished"] is None for r in list(runs.values())[before:]):
                    tally.cut_off += 1
    finally:
        for task in (poller, reader):
            if task is not None:
                task.cancel()
        await ws.close()


async def _measure(mode: str, args) -> Tally:
    os.environ["FRAGMENT_RERUN_RACE_PATCH"] = "1" if mode == "patched" else "0"
    os.environ["FRAGMENT_RERUN_RACE_POLL"] = str(args.poll)
    process, url = start_server(RESULTS / f"fragment_rerun_race-{mode}.log", APP)
    tally = Tally()
    try:
        await asyncio.gather(*(_session(url, i, args, tally) for i in range(args.sessions)))
    finally:
        stop_server(process)
    return tally


def main(argv: Sequence[str] | None = None) -> None:
    cli = parser(__doc__.splitlines()[0])
    cli.add_argument("--sessions", type=positive_int, default=40)
    cli.add_argument("--poll", type=float, default=0.2, help="seconds between a session's fragment reruns")
    cli.add_argument("--full", type=float, default=1.0, help="mean seconds between a session's full reruns")
    cli.add_argument("--seconds", type=float, default=40.0, help="per server")
    cli.add_argument("--timeout", type=float, default=5.0, help="a full rerun not shown by then is lost")
    cli.add_argument("--rounds", type=positive_int, default=2, help="stock then patched, this many times")
    args = cli.parse_args(argv)
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = new_part("fragment_rerun_race", vars(args))
    if warning := busy_warning():
        note(result, warning)
    totals = {"stock": Tally(), "patched": Tally()}
    table = Table(f"Full reruns under fragment polls ({args.sessions} sessions, poll every {args.poll:g} s)",
                  ["round", "Streamlit", "full reruns", "lost", "cut off", "polls", "ack p50 ms", "ack p95 ms"])
    for round_ in range(1, args.rounds + 1):
        for mode in ("stock", "patched"):  # interleaved: drift in the machine's load hits both
            tally = asyncio.run(_measure(mode, args))
            total = totals[mode]
            total.sent += tally.sent
            total.lost += tally.lost
            total.cut_off += tally.cut_off
            total.polls += tally.polls
            total.ack_s += tally.ack_s
            table.rows.append([round_, mode, tally.sent, tally.lost, tally.cut_off, tally.polls,
                               1000 * percentile(tally.ack_s, 50), 1000 * percentile(tally.ack_s, 95)])
    add_table(result, table)
    result.raw = {mode: {"sent": t.sent, "lost": t.lost, "cut_off": t.cut_off, "polls": t.polls}
                  for mode, t in totals.items()}
    result.figures += [
        Figure("stock Streamlit: full reruns lost", totals["stock"].lost, "",
               note=f"of {totals['stock'].sent}"),
        Figure("with ui/fragment_rerun_race: full reruns lost", totals["patched"].lost, "", target=0,
               note=f"of {totals['patched'].sent}"),
    ]
    finish(result)


if __name__ == "__main__":
    main()

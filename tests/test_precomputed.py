"""The results recorded ahead of time (precomputed/*.json) are the engine's, and cover the bank.

A fresh server shows them while its engine warms up (scenarios/precomputed.py),
so each one is a claim about what the engine returns: here every record is
computed again and compared, and a page opened at each recorded setting
must draw without importing TensorFlow. After changing an engine, a default
or a preset: `python -m harness.precompute`.
"""

from __future__ import annotations

import dataclasses
import importlib
import json
import math
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest

from content.questions import load_bank
from harness.precompute import configurations
from harness.server import ROOT
from scenarios import precomputed

BANK = load_bank()
SCENARIOS = sorted({q.scenario for q in BANK.questions})
REGENERATE = "run `python -m harness.precompute`"


def _records(scenario: str) -> list[tuple[str, str]]:
    document = json.loads(precomputed.path_for(scenario).read_text(encoding="utf-8"))
    return [(name, key) for name, calls in document["calls"].items() for key in calls]


# Float32 training amplifies rounding: the same engine on a CPU with other vector units (AVX-512
# and AMX against the machine that recorded them; oneDNN's and XLA's kernels add in another
# order) put 8% of q2's default curve and one of q3's five tuned errors 1e-5 apart, and 2 of 50
# points of q3's control sweep 0.3% and 14% apart (runs on the edge of diverging). A stale record
# (an engine, a default or a preset changed since) differs nearly everywhere. So every value
# agrees to the digits a page shows (it rounds to 3-4 significant digits), but for a few values
# of a long array, from runs that amplify rounding; NaN where NaN.
REL_TOL = 1e-3
ROUNDING_SHARE = 0.10  # at most this share of an array's values beyond REL_TOL (none of a short one)


def assert_close_values(recorded, computed, where: str) -> None:
    """Float arrays alike: NaN where NaN, and all but a few values equal to the digits shown."""
    recorded, computed = np.asarray(recorded, float), np.asarray(computed, float)
    assert recorded.shape == computed.shape, where
    np.testing.assert_array_equal(np.isnan(recorded), np.isnan(computed), err_msg=f"{where}: NaN where NaN")
    apart = ~np.isclose(recorded, computed, rtol=REL_TOL, atol=1e-12, equal_nan=True)
    assert apart.mean() <= ROUNDING_SHARE, (
        f"{where}: {apart.sum()} of {apart.size} values differ by more than {REL_TOL:g} "
        f"(recorded {recorded[apart][:5]}, computed {computed[apart][:5]}): {REGENERATE}")


def assert_same(recorded, computed, where: str = "result") -> None:
    """Equal structure; numbers equal to the digits shown (NaN where NaN), but for rounding (above)."""
    assert type(recorded) is type(computed), f"{where}: {type(recorded).__name__} != {type(computed).__name__}"
    if dataclasses.is_dataclass(computed):
        for field in dataclasses.fields(computed):
            assert_same(getattr(recorded, field.name), getattr(computed, field.name), f"{where}.{field.name}")
    elif isinstance(computed, pd.DataFrame):
        assert list(recorded.columns) == list(computed.columns), where
        assert list(recorded.dtypes) == list(computed.dtypes), where
        pd.testing.assert_index_equal(recorded.index, computed.index, obj=where)
        for column in computed.columns:
            if computed[column].dtype.kind in "fc":
                assert_close_values(recorded[column], computed[column], f"{where}[{column!r}]")
            else:
                pd.testing.assert_series_equal(recorded[column], computed[column], obj=f"{where}[{column!r}]")
    elif isinstance(computed, (np.ndarray, np.generic)):
        assert recorded.dtype == computed.dtype, where
        if computed.dtype.kind in "fc":
            assert_close_values(recorded, computed, where)
        else:
            np.testing.assert_array_equal(recorded, computed, err_msg=where)
    elif isinstance(computed, float):
        assert (math.isnan(recorded) and math.isnan(computed)) or math.isclose(
            recorded, computed, rel_tol=REL_TOL, abs_tol=1e-12), f"{where}: {recorded} != {computed}"
    elif isinstance(computed, (list, tuple)):
        assert len(recorded) == len(computed), where
        for i, (a, b) in enumerate(zip(recorded, computed, strict=True)):
            assert_same(a, b, f"{where}[{i}]")
    elif isinstance(computed, dict):
        assert recorded.keys() == computed.keys(), where
        for key in computed:
            assert_same(recorded[key], computed[key], f"{where}[{key!r}]")
    else:
        assert recorded == computed, f"{where}: {recorded!r} != {computed!r}"


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_default_and_preset_is_recorded(scenario):
    recorded = precomputed.configs(scenario)
    for question in (q for q in BANK.questions if q.scenario == scenario):
        for values, query in configurations(question):
            assert values in recorded.get(question.id, []), (
                f"{question.id} {query or 'defaults'} has no recorded results: {REGENERATE}")


@pytest.mark.parametrize("scenario", SCENARIOS)
def test_records_are_what_the_engine_computes(scenario):
    engine = importlib.import_module(f"scenarios.{scenario}.engine")
    records = _records(scenario)
    assert records, f"precomputed/{scenario}.json records nothing: {REGENERATE}"
    document = json.loads(precomputed.path_for(scenario).read_text(encoding="utf-8"))
    for name, key in records:
        args, kwargs = precomputed.decode(json.loads(key))
        recorded = precomputed.decode(document["calls"][name][key])
        computed = getattr(engine, name).compute(*args, **kwargs)
        assert_same(recorded, computed, f"{scenario}.{name}{tuple(args)}")


def test_the_codec_gives_back_what_it_was_given():
    frame = pd.DataFrame({"step": np.arange(3), "series": pd.Categorical(["b", "a", "b"], categories=["b", "a"]),
                          "name": ["x", "y", "z"], "loss": np.array([0.1, np.nan, np.inf], dtype=np.float32)})
    value = {"frame": frame, 2.5: (np.float32(0.1), np.int64(7), None, True, [1, -math.inf])}
    back = precomputed.decode(json.loads(json.dumps(precomputed.encode(value))))
    pd.testing.assert_frame_equal(back["frame"], frame, check_exact=True)
    assert back[2.5][0] == np.float32(0.1) and back[2.5][0].dtype == np.float32
    assert back[2.5][1:] == (np.int64(7), None, True, [1, -math.inf])


def test_a_file_cannot_build_anything_but_a_scenarios_dataclass():
    with pytest.raises(ValueError, match="not a scenarios dataclass"):
        precomputed.decode({"$": "dataclass", "class": "subprocess:Popen", "fields": {"args": "true"}})


def test_pages_at_recorded_settings_draw_without_tensorflow():
    """What a fresh server does before its engine is warm: every recorded setting, no TensorFlow import."""
    pages = [(q.id, query) for q in BANK.questions for _, query in configurations(q)]
    script = textwrap.dedent(f"""
        import json, os, sys
        os.environ["OPTIMIZER_EXPLORER_WARMUP"] = "0"
        from scenarios import precomputed
        precomputed.replay(True)
        from harness.apptest import charts, errors, run_app
        report = []
        for page, query in {pages!r}:
            at = run_app(page, query)
            report.append([page, query, errors(at), len(charts(at)),
                           any("recorded ahead of time" in c.value for c in at.caption),
                           "tensorflow" in sys.modules])
        print("REPORT " + json.dumps(report))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=300,
                          check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("REPORT ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    for page, query, errors, charts, says_recorded, tensorflow in json.loads(lines[0][len("REPORT "):]):
        where = f"{page} {query or 'defaults'}"
        assert not errors and charts, f"{where}: {errors or 'no chart'}"
        assert says_recorded, f"{where}: the page does not say its results were recorded ahead of time"
        assert not tensorflow, f"{where} imported TensorFlow: a call the page makes is not recorded ({REGENERATE})"


def test_the_warm_up_compiles_while_pages_are_served_recorded_results():
    """The warm-up calls the engine at the defaults, which are recorded: it must still compute.

    A replayed result compiles nothing: the first live slider move on every page
    then traced and compiled its loops (up to seconds), after the server had
    announced that its engine was warm.
    """
    script = textwrap.dedent("""
        import json
        from scenarios import precomputed
        precomputed.replay(True)
        from content.questions import load_bank
        from ui.warmup import warm_all
        warm_all(load_bank())
        from scenarios.adam_high_learning_rate import engine as q1
        from scenarios.momentum_valley import engine as q4
        from scenarios.nan_loss import engine as q5
        from scenarios.rmsprop_first_step import engine as q2
        from scenarios.sparse_gradients import engine as q3
        print("TRACES " + json.dumps({
            "adam_high_learning_rate": q1._run_trainer().trace_count(),
            "rmsprop_first_step": q2._trainer().trace_count(),
            "sparse_gradients": q3._all_optimizers().trace_count(),
            "momentum_valley": q4._valley_trainer("run").trace_count(),  # as the engine calls it (cache key)
            "nan_loss": min(q5._trainer(optimizer, True).trace_count() for optimizer in q5.OPTIMIZERS),
        }))
    """)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=600,
                          check=False)
    lines = [line for line in done.stdout.splitlines() if line.startswith("TRACES ")]
    assert done.returncode == 0 and lines, done.stderr[-3000:]
    traces = json.loads(lines[0][len("TRACES "):])
    assert traces.keys() == set(SCENARIOS)
    assert all(count >= 1 for count in traces.values()), f"loops the warm-up left uncompiled: {traces}"


def test_rounding_is_forgiven_a_stale_record_is_not():
    computed = np.linspace(1.0, 2.0, 50)
    chaotic = computed.copy()
    chaotic[[38, 39]] *= [1.003, 1.14]  # two runs on the edge of diverging, on another CPU
    assert_close_values(chaotic, computed, "rounding")
    for stale in (computed * 1.01, np.where(computed > 1.5, np.nan, computed)):
        with pytest.raises(AssertionError):
            assert_close_values(stale, computed, "stale")
    with pytest.raises(AssertionError):  # a short array: no value may differ
        assert_close_values(np.array([1.0, 2.0, 3.1]), np.array([1.0, 2.0, 3.0]), "summary")

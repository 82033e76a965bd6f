"""Results computed ahead of time, for a first visit before TensorFlow is ready.

A fresh server needs ~5 s to import TensorFlow and seconds more to compile
and run a question's sweeps, so the first student to open a question would
wait 7-15 s for its first chart. The results of each question's default and
preset configurations are pure functions of their parameters, so they are
computed ahead of time (`python -m harness.precompute`, which opens every
such page in the real app and records what the engine returned) into
`precomputed/<scenario>.json`, and `tests/test_precomputed.py` recomputes
every recorded result with the engine and compares.

The engine's expensive entry points are wrapped with `@entry`. While the
app's engine is still warming up (`replay(True)`, switched off by the
warm-up thread when it is done) a call whose arguments were recorded returns
the recorded result without importing TensorFlow; any other call runs the
engine. The page says which it shows (`ui.experiments.show_source`).

The files are JSON (NaN and Infinity as Python writes them): numbers, lists,
and tagged objects for what JSON lacks (dataclasses of `scenarios`, numpy
arrays and scalars, pandas DataFrames, tuples, dicts with non-string keys).
Decoding builds only dataclasses defined under `scenarios.`; nothing in a
file is executed.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib
import json
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import pandas as pd

DIRECTORY = Path(__file__).resolve().parent.parent / "precomputed"
FORMAT = 1
_TAG = "$"

F = TypeVar("F", bound=Callable[..., Any])


# -- the codec ------------------------------------------------------------------------------

def encode(value: Any) -> Any:
    """`value` as JSON-ready data that `decode` turns back into an equal object."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value
    if isinstance(value, np.generic):
        return {_TAG: "scalar", "dtype": value.dtype.str, "value": value.item()}
    if isinstance(value, np.ndarray):
        return {_TAG: "array", "dtype": value.dtype.str, "shape": list(value.shape), "data": _numbers(value)}
    if isinstance(value, pd.DataFrame):
        if not value.index.equals(pd.RangeIndex(len(value))):
            raise TypeError("only DataFrames with a default index are recorded")
        return {_TAG: "frame", "columns": [encode(c) for c in value.columns],
                "dtypes": [_dtype(t) for t in value.dtypes],
                "data": [_column(value[c]) for c in value.columns]}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        cls = type(value)
        if not cls.__module__.startswith("scenarios."):
            raise TypeError(f"{cls.__module__}.{cls.__qualname__} is not a scenarios dataclass")
        return {_TAG: "dataclass", "class": f"{cls.__module__}:{cls.__qualname__}",
                "fields": {f.name: encode(getattr(value, f.name)) for f in dataclasses.fields(value)}}
    if isinstance(value, tuple):
        return {_TAG: "tuple", "items": [encode(v) for v in value]}
    if isinstance(value, list):
        return [encode(v) for v in value]
    if isinstance(value, dict):
        return {_TAG: "dict", "items": [[encode(k), encode(v)] for k, v in value.items()]}
    raise TypeError(f"cannot record a {type(value).__name__}")


def _dtype(dtype: Any) -> Any:
    if isinstance(dtype, pd.CategoricalDtype):  # the categories' order is the legend's order
        return {"categories": [encode(c) for c in dtype.categories], "ordered": bool(dtype.ordered)}
    return str(dtype)


def _column(column: pd.Series) -> list:
    if isinstance(column.dtype, np.dtype) and column.dtype.kind in "fiub":
        return _numbers(column.to_numpy())
    return [encode(v) for v in column.tolist()]


def _numbers(array: np.ndarray) -> list:
    if array.dtype == np.float32:
        # The shortest text that reads back as the same float32: half the digits of float64's.
        return [float(str(x)) for x in array.ravel()]
    return array.ravel().tolist()


def decode(data: Any) -> Any:
    if isinstance(data, list):
        return [decode(v) for v in data]
    if not isinstance(data, dict):
        return data
    tag = data[_TAG]
    if tag == "scalar":
        return np.dtype(data["dtype"]).type(data["value"])
    if tag == "array":
        return np.array(data["data"], dtype=np.dtype(data["dtype"])).reshape(data["shape"])
    if tag == "frame":
        columns = [decode(c) for c in data["columns"]]
        frame = pd.DataFrame({c: [decode(v) for v in values] for c, values in zip(columns, data["data"], strict=True)},
                             columns=columns)
        return frame.astype({c: pd.CategoricalDtype([decode(v) for v in t["categories"]], t["ordered"])
                             if isinstance(t, dict) else t for c, t in zip(columns, data["dtypes"], strict=True)})
    if tag == "dataclass":
        module, _, name = data["class"].partition(":")
        if not module.startswith("scenarios."):
            raise ValueError(f"{data['class']} is not a scenarios dataclass")
        cls = getattr(importlib.import_module(module), name)
        if not dataclasses.is_dataclass(cls):
            raise ValueError(f"{data['class']} is not a dataclass")
        return cls(**{k: decode(v) for k, v in data["fields"].items()})
    if tag == "tuple":
        return tuple(decode(v) for v in data["items"])
    if tag == "dict":
        return {_hashable(decode(k)): decode(v) for k, v in data["items"]}
    raise ValueError(f"unknown tag {tag!r}")


def _hashable(key: Any) -> Any:
    return tuple(key) if isinstance(key, list) else key


def call_key(args: tuple, kwargs: dict) -> str:
    """One string per call's arguments (keyword order does not matter)."""
    return json.dumps([encode(args), encode(dict(sorted(kwargs.items())))], sort_keys=True)


# -- recording and replaying ----------------------------------------------------------------

_lock = threading.Lock()
_replay = False
_loaded: dict[str, dict[str, Any]] = {}  # scenario -> its file: {"configs": …, "calls": {function: {key: result}}}
_recording: dict[str, dict[str, dict[str, Any]]] | None = None
_depth = threading.local()  # entry calls in progress on this thread: only the outermost is recorded
_computing = threading.local()  # this thread always runs the engine (the warm-up: see `computing`)


def scenario_of(function: Callable) -> str:
    """`scenarios.momentum_valley.engine` -> `momentum_valley`."""
    parts = function.__module__.split(".")
    if len(parts) < 2 or parts[0] != "scenarios":
        raise ValueError(f"{function.__module__} is not a scenario module")
    return parts[1]


def path_for(scenario: str) -> Path:
    return DIRECTORY / f"{scenario}.json"


def _document(scenario: str) -> dict[str, Any]:
    with _lock:
        if scenario not in _loaded:
            try:
                document = json.loads(path_for(scenario).read_text(encoding="utf-8"))
            except (OSError, ValueError):
                document = {}  # no file or a broken one: every call runs the engine
            _loaded[scenario] = document if document.get("format") == FORMAT else {}
        return _loaded[scenario]


def _recorded(scenario: str) -> dict[str, dict[str, Any]]:
    return _document(scenario).get("calls", {})


def entry(function: F) -> F:
    """Mark an engine entry point whose results may be recorded and replayed."""
    scenario, name = scenario_of(function), function.__name__

    @functools.wraps(function)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if _recording is not None:
            outermost = getattr(_depth, "calls", 0) == 0
            _depth.calls = getattr(_depth, "calls", 0) + 1
            try:
                result = function(*args, **kwargs)
            finally:
                _depth.calls -= 1
            if outermost:  # an inner call (a sweep's runs) is never asked for while its sweep is replayed
                with _lock:
                    _recording.setdefault(scenario, {}).setdefault(name, {})[call_key(args, kwargs)] = encode(result)
            return result
        if _replay and not getattr(_computing, "on", False):
            found = _recorded(scenario).get(name, {}).get(call_key(args, kwargs))
            if found is not None:
                return decode(found)
        return function(*args, **kwargs)

    wrapper.compute = function  # the engine itself, for the test that checks the records
    return wrapper  # type: ignore[return-value]


def replay(enabled: bool) -> None:
    """Serve recorded results (the engine is not warm yet) or always run the engine."""
    global _replay
    _replay = enabled
    if not enabled:
        with _lock:
            _loaded.clear()  # ~2.5 MB of JSON as Python objects, not needed once the engine is live


def replaying() -> bool:
    return _replay


@contextmanager
def computing() -> Iterator[None]:
    """Inside, this thread's calls run the engine even while others are served recorded results.

    For the warm-up: it calls the engine at the recorded default values to compile
    the loops, and a replayed result would have compiled nothing (the first live
    slider move on each page then traced and compiled, up to seconds).
    """
    _computing.on = True
    try:
        yield
    finally:
        _computing.on = False


@contextmanager
def recording() -> Iterator[dict[str, dict[str, dict[str, Any]]]]:
    """Record every `@entry` call made inside (all threads) into the yielded dict."""
    global _recording
    _recording = {}
    try:
        yield _recording
    finally:
        _recording = None


def write(scenario: str, calls: dict[str, dict[str, Any]], question_configs: dict[str, list[dict[str, Any]]]) -> Path:
    """Write one scenario's records: its calls, and the question configurations they serve."""
    DIRECTORY.mkdir(exist_ok=True)
    path = path_for(scenario)
    document = {"format": FORMAT, "configs": question_configs,
                "calls": {name: dict(sorted(calls[name].items())) for name in sorted(calls)}}
    path.write_text(json.dumps(document, indent=None, separators=(",", ":"), sort_keys=False) + "\n",
                    encoding="utf-8")
    with _lock:
        _loaded.pop(scenario, None)
    return path


def configs(scenario: str) -> dict[str, list[dict[str, Any]]]:
    """{question id: [the values of each recorded configuration]} (empty without a file)."""
    return _document(scenario).get("configs", {})

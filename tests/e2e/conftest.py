"""Browser-test fixtures: the real app served by `streamlit run`, driven in Debian's Chromium.

The drivers themselves (server, Chromium, page waits) live in `harness/`,
shared with the benchmarks; this file only makes pytest fixtures of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.browser import CHROMIUM, launch_options
from harness.server import ROOT, start_server, stop_server

SCREENSHOTS = ROOT / "screenshots"


def pytest_collection_modifyitems(config, items):
    e2e = [item for item in items if "tests/e2e" in str(item.fspath).replace(os.sep, "/")]
    for item in e2e:
        item.add_marker(pytest.mark.e2e)
    if e2e and not CHROMIUM.exists():
        if os.environ.get("OPTIMIZER_EXPLORER_REQUIRE_BROWSER") == "1":
            raise pytest.UsageError(f"{CHROMIUM} is missing: apt-get install chromium")
        skip = pytest.mark.skip(reason=f"{CHROMIUM} not installed (apt-get install chromium)")
        for item in e2e:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    return {**browser_type_launch_args, **launch_options()}


@pytest.fixture(scope="session")
def app_url(tmp_path_factory) -> Iterator[str]:
    process, url = start_server(tmp_path_factory.mktemp("server") / "streamlit.log")
    try:
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS

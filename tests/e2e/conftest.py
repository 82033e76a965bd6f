"""Browser-test fixtures: the real app served by `streamlit run`, driven in Debian's Chromium.

The drivers themselves (server, Chromium, page waits) live in `harness/`,
shared with the benchmarks; this file only makes pytest fixtures of them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness.browser import CHROMIUM, launch_options, open_app
from harness.server import ROOT, start_server, stop_server, wait_until_warm

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
def app_url(tmp_path_factory, browser) -> Iterator[str]:
    """A warm server: its background warm-up (TensorFlow's import, every compile) is done.

    The warm-up starts a few seconds after the first page has run; a test that
    ran meanwhile would wait seconds for its clicks (the import holds the GIL).
    """
    log = tmp_path_factory.mktemp("server") / "streamlit.log"
    process, url = start_server(log)
    try:
        first = browser.new_page()
        open_app(first, url)
        first.close()
        wait_until_warm(log)
        yield url
    finally:
        stop_server(process)


@pytest.fixture(scope="session")
def screenshots_dir() -> Path:
    SCREENSHOTS.mkdir(exist_ok=True)
    return SCREENSHOTS

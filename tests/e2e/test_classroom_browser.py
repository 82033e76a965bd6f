"""Class mode in real Chromium: one projector and three phones, each its own browser context.

Each test starts its own `streamlit run` server(s) on a temporary class
database, so that no test sees another's rooms. The second test runs two
servers on one database (an SQLite file; and PostgreSQL when
``OPTIMIZER_EXPLORER_TEST_POSTGRES_URL`` is set): a student on server A
votes, the projector on server B shows it.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect

from classroom import config
from content.questions import load_bank
from harness.browser import exceptions, open_app, wait_settled
from harness.server import start_server, stop_server

BANK = load_bank()
FIRST = BANK.questions[0]
WRONG = next(i for i in range(len(FIRST.choices)) if i != FIRST.correct_choice)
PROJECTOR = {"width": 1024, "height": 768}
PHONE = {"width": 390, "height": 844}
# The pages poll every 2 s; the reveal's evidence may need TensorFlow's first import on a cold server.
LIVE_MS = 20_000
FIRST_REVEAL_MS = 180_000
POSTGRES_URL_ENV = "OPTIMIZER_EXPLORER_TEST_POSTGRES_URL"


@contextmanager
def servers(tmp_path: Path, count: int, env: dict[str, str]) -> Iterator[list[str]]:
    """`count` servers of the app, started with these extra environment variables."""
    started = []
    with pytest.MonkeyPatch.context() as patch:
        for key, value in env.items():
            patch.setenv(key, value)
        try:
            for i in range(count):
                started.append(start_server(tmp_path / f"streamlit-{i}.log"))
            yield [url for _, url in started]
        finally:
            for process, _ in started:
                stop_server(process)


def _new_page(browser: Browser, viewport: dict[str, int]) -> tuple[BrowserContext, Page]:
    context = browser.new_context(viewport=viewport)
    return context, context.new_page()


def start_class(page: Page, url: str) -> str:
    """Home page -> "Start a class" -> the projector; returns the room code."""
    open_app(page, url)
    page.get_by_role("button", name="Start a class").click()
    page.wait_for_function("() => location.pathname.endsWith('/class') && location.search.includes('room=')",
                           timeout=LIVE_MS)
    wait_settled(page)
    assert "teacher=" not in page.url
    code = parse_qs(urlsplit(page.url).query)["room"][0]
    expect(page.get_by_test_id("class-code")).to_have_text(code)
    return code


def join(page: Page, url: str, code: str, name: str = "") -> None:
    open_app(page, f"{url}/class?room={code}")
    if name:
        page.get_by_role("textbox", name="Your name (optional)").fill(name)
    page.get_by_role("button", name="Join").click()
    expect(page.get_by_text("Your prediction", exact=True)).to_be_visible(timeout=LIVE_MS)


def vote(page: Page, choice: int) -> None:
    page.get_by_text(FIRST.choices[choice].text, exact=True).click()
    wait_settled(page)
    page.get_by_role("button", name=re.compile("Submit prediction|Change my prediction")).click()
    expect(page.get_by_text("Your prediction is in")).to_be_visible(timeout=LIVE_MS)


def _projector_says(page: Page, text: str, timeout: float = LIVE_MS) -> None:
    expect(page.get_by_text(text, exact=False).first).to_be_visible(timeout=timeout)


@pytest.fixture()
def class_db_env(tmp_path) -> dict[str, str]:
    return {config.DB_PATH_ENV: str(tmp_path / "classroom.sqlite")}


def test_projector_and_three_phones(browser: Browser, tmp_path, class_db_env, screenshots_dir):
    with servers(tmp_path, 1, class_db_env) as (url,):
        teacher_context, projector = _new_page(browser, PROJECTOR)
        code = start_class(projector, url)
        phones = [_new_page(browser, PHONE) for _ in range(3)]
        try:
            for (_, phone), name in zip(phones, ("Noor", "", "Kai"), strict=True):
                join(phone, url, code, name)
            _projector_says(projector, "3 joined")
            for (_, phone), choice in zip(phones, (FIRST.correct_choice, FIRST.correct_choice, WRONG), strict=True):
                vote(phone, choice)
            _projector_says(projector, "Round 1 · 3 voted")
            expect(projector.locator(".js-plotly-plot").first).to_be_visible()
            assert exceptions(projector) == []
            projector.screenshot(path=screenshots_dir / "class-projector-voting.png")
            projector.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
            projector.screenshot(path=screenshots_dir / "class-projector-tally.png")
            phones[0][1].screenshot(path=screenshots_dir / "class-phone-voted.png", full_page=True)

            # The reveal, by its keyboard shortcut, reaches every phone.
            # Focus away from the buttons first: Enter on a focused button would click it anyway.
            projector.get_by_test_id("class-code").click()
            projector.keyboard.press("Control+Enter")
            for _, phone in phones:
                expect(phone.get_by_text("Best supported answer")).to_be_visible(timeout=FIRST_REVEAL_MS)
            expect(phones[2][1].get_by_text(re.compile("^Your prediction: "))).to_be_visible()
            _projector_says(projector, "Best supported answer", FIRST_REVEAL_MS)
            wait_settled(projector, FIRST_REVEAL_MS)
            phones[0][1].screenshot(path=screenshots_dir / "class-phone-revealed.png", full_page=True)
            projector.get_by_role("heading", name="Answer", exact=True).scroll_into_view_if_needed()
            projector.screenshot(path=screenshots_dir / "class-projector-revealed.png")

            # Round 2 beside round 1.
            projector.get_by_test_id("class-code").click()
            projector.keyboard.press("Alt+V")
            for _, phone in phones:
                expect(phone.get_by_text("Round 2: vote again.")).to_be_visible(timeout=LIVE_MS)
            vote(phones[2][1], FIRST.correct_choice)
            _projector_says(projector, "Round 2 · 1 voted")
            _projector_says(projector, "Round 1 · 3 voted")
            wait_settled(projector)
            projector.locator(".js-plotly-plot").first.scroll_into_view_if_needed()
            projector.screenshot(path=screenshots_dir / "class-projector-round2.png")
            for page in [projector] + [phone for _, phone in phones]:
                assert exceptions(page) == []
        finally:
            for context, _ in phones:
                context.close()
            teacher_context.close()


def _postgres_url_or_skip() -> str:
    url = os.environ.get(POSTGRES_URL_ENV, "").strip()
    if url:
        return url
    if os.environ.get("CI") == "true":
        pytest.fail(f"CI=true but {POSTGRES_URL_ENV} is not set: .ci/run should have started PostgreSQL.")
    pytest.skip(f"PostgreSQL run skipped: set {POSTGRES_URL_ENV}=postgresql+psycopg://USER:PASS@HOST:PORT/DB "
                "(.ci/run does) to run two servers on one PostgreSQL database.")


@pytest.fixture(params=["sqlite", "postgresql"])
def shared_db_env(request, tmp_path) -> dict[str, str]:
    """What two servers need to share one class database."""
    if request.param == "sqlite":
        return {config.DB_PATH_ENV: str(tmp_path / "shared.sqlite")}
    url = _postgres_url_or_skip()
    secrets = tmp_path / "secrets.toml"
    # A secrets file of its own (never the repository's): `secrets.files` read from the environment.
    secrets.write_text(f'[connections.classroom]\nurl = "{url}"\ncreate_engine_kwargs = {{ pool_pre_ping = true }}\n')
    return {"STREAMLIT_SECRETS_FILES": str(secrets),
            # Were the secrets file ignored, both servers would share this SQLite file and the test
            # would pass for the wrong reason: the test checks below that it never came to be.
            config.DB_PATH_ENV: str(tmp_path / "must-not-be-used.sqlite")}


def test_two_servers_one_class(browser: Browser, tmp_path, shared_db_env):
    with servers(tmp_path, 2, shared_db_env) as (server_a, server_b):
        teacher_context, projector = _new_page(browser, PROJECTOR)
        student_context, phone = _new_page(browser, PHONE)
        try:
            code = start_class(projector, server_b)
            join(phone, server_a, code)
            vote(phone, WRONG)
            _projector_says(projector, "Round 1 · 1 voted")
            _projector_says(projector, "1 joined")
            assert exceptions(projector) == [] and exceptions(phone) == []
        finally:
            student_context.close()
            teacher_context.close()
    if "STREAMLIT_SECRETS_FILES" in shared_db_env:
        assert not (tmp_path / "must-not-be-used.sqlite").exists(), "the servers used SQLite, not PostgreSQL"

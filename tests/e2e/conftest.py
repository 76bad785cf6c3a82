"""Fixtures for the end-to-end tests: one JupyterLab server and one headless Chromium per session.

``lab`` starts JupyterLab (see :mod:`tests.e2e.lab`) and, at the end of the session, shuts it down
and fails if a server, kernel or browser process outlived it.  ``page`` is a fresh browser context
per test; when the test fails, a screenshot goes to ``e2e-artifacts/`` (gitignored) and the tail
of the server's log and the browser's console errors go into the report.  ``showcase(name)``
saves a screenshot into ``$BRAID_E2E_SCREENSHOTS`` when that is set (``python3 dev.py
screenshots``), one per scenario, for people to look at.

The page may only talk to the local server: any request elsewhere (a CDN for a widget, a news
feed) fails the test, so the suite proves JupyterLab works offline with this kernel.
"""

from __future__ import annotations

import importlib.util
import os
import re
import time
from collections.abc import Callable, Generator, Iterator
from pathlib import Path

import psutil
import pytest

from tests.e2e.browser import CHROMIUM, CLOSED_NETWORK_FLAGS, VIEWPORT_SIZE, missing_browser
from tests.e2e.lab import JupyterLab, start_lab

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "e2e-artifacts"
PHASES = pytest.StashKey[dict[str, pytest.TestReport]]()

if importlib.util.find_spec("playwright") is None:  # installed by the e2e extra, part of dev
    collect_ignore_glob = ["test_*.py"]

if not missing_browser():
    from playwright.sync_api import Browser, Page, ViewportSize, expect, sync_playwright

    expect.set_options(timeout=60_000)


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, None, object]:
    report = yield
    assert isinstance(report, pytest.TestReport)
    item.stash.setdefault(PHASES, {})[report.when] = report
    return report


@pytest.fixture(scope="session")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[JupyterLab]:
    if reason := missing_browser():
        pytest.skip(reason)
    server = start_lab(tmp_path_factory.mktemp("jupyterlab"))
    try:
        yield server
    finally:
        survivors = server.stop()
        if survivors:
            pytest.fail(f"processes survived the JupyterLab server: {[p.pid for p in survivors]}")


def _chromium_processes() -> list[psutil.Process]:
    """Chromium processes below this test process (Playwright's driver starts them)."""
    found = []
    for child in psutil.Process().children(recursive=True):
        try:
            if "chromium" in " ".join(child.cmdline()):
                found.append(child)
        except (psutil.NoSuchProcess, psutil.AccessDenied):
            continue
    return found


@pytest.fixture(scope="session")
def browser(lab: JupyterLab) -> Iterator[Browser]:
    # Every host name but the loopback fails to resolve: nothing can leave the machine.
    no_dns = "--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE 127.0.0.1"
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(
            executable_path=str(CHROMIUM),
            headless=True,
            args=[*CLOSED_NETWORK_FLAGS, no_dns],
            timeout=120_000,
        )
        launched = _chromium_processes()
        try:
            yield chromium
        finally:
            chromium.close()
    _, alive = psutil.wait_procs(launched, timeout=15)
    for proc in alive:
        proc.kill()
    if alive:
        pytest.fail(f"chromium processes survived the browser: {[p.pid for p in alive]}")


@pytest.fixture
def page(browser: Browser, lab: JupyterLab, request: pytest.FixtureRequest) -> Iterator[Page]:
    width, height = VIEWPORT_SIZE
    context = browser.new_context(viewport=ViewportSize(width=width, height=height))
    context.set_default_timeout(60_000)
    page = context.new_page()
    errors: list[str] = []
    external: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(f"page error: {exc}"))
    local = re.compile(rf"^(data:|blob:|about:|(http|ws)://127\.0\.0\.1:{lab.port}/)")
    page.on("request", lambda req: None if local.match(req.url) else external.append(req.url))
    try:
        yield page
        assert not external, f"the page reached outside the local server: {external}"
    finally:
        phases = request.node.stash.get(PHASES, {})
        if any(report.failed for report in phases.values()):
            _save_failure(page, request.node.name, lab, errors)
        context.close()
        lab.shutdown_kernels()


def _save_failure(page: Page, test_name: str, lab: JupyterLab, errors: list[str]) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    stem = re.sub(r"[^\w.-]", "_", test_name)
    path = ARTIFACTS / f"{stem}-{time.strftime('%H%M%S')}.png"
    try:
        page.screenshot(path=str(path), full_page=True)
        print(f"screenshot of the failure: {path}")
    except Exception as exc:  # the page may be gone; the report must still be written
        print(f"no screenshot ({exc})")
    print("---- browser console errors ----\n" + "\n".join(errors[-30:]))
    print(f"---- jupyter lab log (tail) ----\n{lab.log_tail()}")


@pytest.fixture
def showcase(page: Page) -> Callable[[str], None]:
    """``showcase(name)``: save the page as ``$BRAID_E2E_SCREENSHOTS/name.png`` when that is set."""
    folder = os.environ.get("BRAID_E2E_SCREENSHOTS")

    def save(name: str) -> None:
        if folder:
            Path(folder).mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(Path(folder) / f"{name}.png"))

    return save

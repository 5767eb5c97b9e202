"""Browser tests drive Debian's Chromium through dash.testing (selenium + chromedriver)."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.conftest import REPO, need
from tests.localserve import CHROMIUM_FLAGS, chromium_path

CHROMIUM = chromium_path()
SCREENSHOTS = REPO / "test-artifacts" / "screenshots"
os.environ.setdefault("DASH_TEST_CHROMEPATH", CHROMIUM)


def _own_ports() -> None:
    """dash.testing numbers its servers' ports from 58050 in every process: under pytest-xdist
    each worker starts from its own thousand, so two workers never pick the same port."""
    from dash.testing.application_runners import BaseDashRunner

    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    BaseDashRunner._next_port = 58050 + 1000 * int(worker.removeprefix("gw") or 0)


_own_ports()


def pytest_setup_options():
    """Chromium options for dash.testing: headless, offline, root-safe."""
    from selenium.webdriver.chrome.options import Options

    options = Options()
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.binary_location = CHROMIUM
    return options


@pytest.fixture(autouse=True)
def _need_chromium():
    need(Path(CHROMIUM).exists() and bool(shutil.which("chromedriver")),
         "Chromium and chromedriver are needed (apt-get install chromium chromium-driver)")


@pytest.fixture(scope="session")
def screenshots() -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    print(f"\nscreenshots: {SCREENSHOTS}")
    return SCREENSHOTS


def pytest_terminal_summary(terminalreporter):
    if SCREENSHOTS.is_dir() and any(SCREENSHOTS.glob("*.png")):
        terminalreporter.write_line(f"browser screenshots: {SCREENSHOTS}")

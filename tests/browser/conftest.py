"""A real headless Chromium (Debian's, never `playwright install`) on the app served with the tiny models."""

import shutil
from pathlib import Path

import pytest

CHROMIUM = "/usr/bin/chromium"
LAUNCH_ARGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "assets" / "screenshots"


@pytest.fixture(scope="session")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="playwright (requirements-dev.txt) is not installed")
    if not Path(CHROMIUM).exists() and not shutil.which("chromium"):
        pytest.skip("Debian's chromium (.ci/apt-test.txt) is not installed")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS)
        try:
            yield browser
        finally:
            browser.close()


@pytest.fixture(scope="session")
def app_url(client) -> str:
    """The same in-process app the API tests use (tests/conftest.py), seen through its URL."""
    return client.src.rstrip("/")


@pytest.fixture
def page(browser, app_url):
    context = browser.new_context(viewport={"width": 1280, "height": 1000})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=app_url)
    page = context.new_page()
    page.set_default_timeout(60_000)  # a tiny model's first load on a busy 2-core machine
    try:
        yield page
    finally:
        context.close()


@pytest.fixture
def screenshot():
    """Saves a full-page screenshot of one tab per modality for the README (committed, kept current)."""

    def save(page, modality: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{modality.lower()}.png"
        page.screenshot(path=str(path), full_page=True)
        return path

    return save

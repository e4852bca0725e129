"""The real-browser tests' shared parts: Chromium, `streamlit run app.py` on a free port, the
module-scoped fixtures (a studio database, its server, the browser, a page on it) that conftest.py
registers, waiting for a script run to settle, screenshots, and an annotator who counts actions."""
from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = os.environ.get("NER_STUDIO_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
# The README's screenshots are taken with the real model (NER_STUDIO_BROWSER_MODEL=models/default);
# an ordinary run keeps its tiny-model screenshots out of the repository.
SCREENSHOTS = (ROOT / "docs" / "screenshots" if os.environ.get("NER_STUDIO_BROWSER_MODEL")
               else Path(tempfile.gettempdir()) / "ner-studio-screenshots")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def studio_db(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("browser") / "studio.db"


@contextlib.contextmanager
def serve(studio_db: Path, model: str):
    """`streamlit run app.py` on studio_db and model, on a free port of this machine: its URL."""
    folder = studio_db.parent
    port = free_port()
    env = {**os.environ, "NER_STUDIO_DB": str(studio_db), "NER_STUDIO_MODEL": model}
    log = open(folder / "streamlit.log", "w")
    process = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
         "--server.port", str(port), "--server.address", "127.0.0.1", "--browser.gatherUsageStats", "false",
         "--server.fileWatcherType", "none", "--client.toolbarMode", "minimal"],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.time() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read() == b"ok":
                        break
            except OSError:
                if process.poll() is not None or time.time() > deadline:
                    log.flush()
                    raise RuntimeError(f"streamlit did not start:\n{(folder / 'streamlit.log').read_text()}")
                time.sleep(0.3)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
        log.close()


@pytest.fixture(scope="module")
def server(studio_db, tiny_model):
    # NER_STUDIO_BROWSER_MODEL=models/default takes the README's screenshots with the real model.
    with serve(studio_db, os.environ.get("NER_STUDIO_BROWSER_MODEL") or str(tiny_model)) as url:
        yield url


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="module")
def page(server, browser):
    tab = browser.new_page(viewport={"width": 1280, "height": 900})
    tab.set_default_timeout(60_000)
    tab.goto(f"{server}/correct")  # a page's own URL first: app.py must still route it
    yield tab
    tab.close()


def settle(page) -> None:
    """Wait until the script run has ended and no spinner is left."""
    page.wait_for_timeout(300)
    page.wait_for_function("""() => {
        const app = document.querySelector('[data-testid="stApp"]');
        return app && app.dataset.testScriptState === "notRunning"
            && !document.querySelector('[data-testid="stSpinner"]');
    }""", timeout=120_000)
    page.wait_for_timeout(500)


def shoot(page, name: str) -> None:
    """The whole page: Streamlit scrolls inside its main block, so grow the window to fit it first."""
    height = page.evaluate("() => document.querySelector('[data-testid=\"stMain\"]')?.scrollHeight || 900")
    page.set_viewport_size({"width": 1280, "height": max(900, min(int(height), 3000))})
    page.wait_for_timeout(500)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"))
    page.set_viewport_size({"width": 1280, "height": 900})


def open_screen(page, title: str) -> None:
    page.locator('[data-testid="stSidebarNav"] a').filter(has=page.get_by_text(title, exact=True)).click()
    page.get_by_role("heading", name=title).first.wait_for()
    settle(page)


class Annotator:
    """Drives the span editor as a person would, counting every click, drag and key press."""

    def __init__(self, page):
        self.page, self.actions = page, []

    def char(self, i: int):
        return self.page.locator(f'.ner-editor .c[data-i="{i}"]')

    def click_entity(self, start: int) -> None:
        self.page.locator(f'.ner-editor mark[data-start="{start}"]').click()
        self.actions.append(f"click the entity at {start}")

    def drag(self, first: int, last: int) -> None:
        a, b = self.char(first).bounding_box(), self.char(last).bounding_box()
        self.page.mouse.move(a["x"] + a["width"] / 2, a["y"] + a["height"] / 2)
        self.page.mouse.down()
        self.page.mouse.move(b["x"] + b["width"] / 2, b["y"] + b["height"] / 2, steps=4)
        self.page.mouse.up()
        self.actions.append(f"drag {first}-{last}")

    def press(self, key: str, then: str) -> None:
        """Press key, then wait until the selector `then` matches (the edit came back drawn)."""
        self.page.keyboard.press(key)
        self.actions.append(f"press {key}")
        self.page.locator(then).first.wait_for()
        settle(self.page)


def spans_shown(page) -> list[list]:
    return page.locator(".ner-editor mark").evaluate_all(
        "marks => marks.map(m => [Number(m.dataset.start), Number(m.dataset.end), m.dataset.label])")

"""End to end in a real headless Chromium: `streamlit run app.py` on a tiny model and a temporary
database; tag a sentence, see its entities highlighted, send it to the queue, open it in Correct;
a screenshot of each of the five screens goes to docs/screenshots/<page>.png for the README.

Needs Debian's chromium (apt-get install chromium fonts-noto-cjk) and playwright from PyPI
(requirements-dev.txt); skipped, saying so, where chromium is missing.
"""
from __future__ import annotations

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
# Sentences the tiny model was trained on, so the screenshot shows every type.
TEXT = "我爱北京天安门。张三在上海工作。\n新华社记者李四报道：一九九八年元旦北京很冷。"

pytestmark = pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                reason=f"no Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk")


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory, tiny_model):
    folder = tmp_path_factory.mktemp("browser")
    port = free_port()
    # NER_STUDIO_BROWSER_MODEL=models/default takes the README's screenshots with the real model.
    model = os.environ.get("NER_STUDIO_BROWSER_MODEL") or str(tiny_model)
    env = {**os.environ, "NER_STUDIO_DB": str(folder / "studio.db"), "NER_STUDIO_MODEL": model}
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
def page(server):
    sync_api = pytest.importorskip("playwright.sync_api", reason="pip install -r requirements-dev.txt")
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        tab = browser.new_page(viewport={"width": 1280, "height": 900})
        tab.set_default_timeout(60_000)
        tab.goto(f"{server}/correct")  # a page's own URL first: app.py must still route it
        yield tab
        browser.close()


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


def test_a_first_visit_to_a_page_url_still_runs_the_router_and_sidebar(page):
    page.get_by_role("heading", name="Correct").first.wait_for()
    settle(page)
    sidebar = page.locator('[data-testid="stSidebar"]')
    assert "Model in use" in sidebar.inner_text()
    links = page.locator('[data-testid="stSidebarNav"] a').all_inner_texts()
    assert [link.split()[-1] for link in links] == ["Tag", "Correct", "Train", "Model", "Data"]


def test_tag_highlights_entities_then_correct_opens_the_queued_text(page):
    open_screen(page, "Tag")
    page.locator("textarea").first.wait_for()
    page.locator("textarea").first.fill(TEXT)
    page.get_by_role("button", name="Tag", exact=True).click()
    entity = page.locator("mark.ner-ent").first
    entity.wait_for()
    settle(page)
    labels = page.locator("mark.ner-ent").evaluate_all("marks => marks.map(m => m.dataset.label)")
    assert labels and set(labels) <= {"PER", "LOC", "ORG", "T"}
    assert page.locator("mark.ner-ent", has_text="北京").count() >= 1
    assert "Model in use" in page.locator('[data-testid="stSidebar"]').inner_text()
    shoot(page, "tag")

    page.get_by_role("button", name="Send to correction queue").click()
    page.get_by_text("Queued as document #1").wait_for()

    open_screen(page, "Correct")
    page.get_by_label("Your name").fill("ada")
    page.get_by_role("button", name="Start", exact=True).click()
    page.get_by_text("Annotating as").wait_for()
    settle(page)
    assert page.locator("mark.ner-ent", has_text="北京").count() >= 1  # the model's spans, pre-filled
    shoot(page, "correct")


@pytest.mark.parametrize("title, name", [("Train", "train"), ("Model", "model"), ("Data", "data")])
def test_other_screens_open_without_an_error(page, title, name):
    open_screen(page, title)
    shoot(page, name)
    page.get_by_role("heading", name=title).first.wait_for(timeout=5_000)
    assert page.locator('[data-testid="stException"]').count() == 0

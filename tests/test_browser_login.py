"""A login in a real headless Chromium (`streamlit run app.py` with accounts): kept across a reload
until the user logs out, and out of reach of pages that other programs serve on the same machine.

Needs Debian's chromium and playwright, as tests/test_browser.py; skipped, saying so, without them.
"""
from __future__ import annotations

import contextlib
import re
from pathlib import Path

import pytest

from helpers.browser import CHROMIUM, free_port, serve, settle

pytestmark = [pytest.mark.slow,  # a real browser on a real server: scripts/test.sh --fast leaves it out
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason=f"no Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk")]


def test_a_login_survives_a_reload_until_the_user_logs_out(browser, tiny_model, tmp_path):
    from storage import accounts
    from storage.db import connect

    db = connect(tmp_path / "team.db")
    accounts.add_account(db, "ann", "correct horse battery", "annotator")
    db.close()
    with serve(tmp_path / "team.db", str(tiny_model)) as url:
        tab = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()  # no cookies yet
        tab.set_default_timeout(60_000)
        tab.goto(url)
        tab.get_by_label("Name", exact=True).fill("ann")
        tab.get_by_label("Password", exact=True).fill("correct horse battery")  # not "Show password text"
        tab.get_by_role("button", name="Log in").click()
        tab.get_by_text("Logged in as").wait_for()
        settle(tab)
        tab.reload()
        tab.get_by_text("Logged in as").wait_for()  # not the login form again
        # The token reaches the server from this origin's storage after the first draw, so the
        # form of that first draw may still be leaving the page: wait for it, then check it stays gone.
        tab.get_by_label("Password", exact=True).wait_for(state="detached", timeout=15_000)
        settle(tab)
        assert tab.get_by_label("Password", exact=True).count() == 0
        tab.get_by_role("button", name="Log out").click()
        tab.get_by_role("button", name="Log in").wait_for()
        settle(tab)
        tab.reload()
        tab.get_by_role("button", name="Log in").wait_for()
        settle(tab)
        assert tab.get_by_text("Logged in as").count() == 0
        tab.context.close()


@contextlib.contextmanager
def another_program_on_this_machine():
    """A page served by some other program on 127.0.0.1, another port: what can it learn of our login?
    Its script writes down every cookie and stored value it can read; the server notes the Cookie
    headers browsers send it (ports do not separate cookies, so an HttpOnly cookie would come too)."""
    import http.server
    import threading

    headers = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 (the standard library's name)
            headers.append(self.headers.get("Cookie") or "")
            body = b"""<html><body><pre id="seen"></pre><script>
                document.getElementById("seen").textContent = JSON.stringify(
                    {cookie: document.cookie, local: {...localStorage}, session: {...sessionStorage}});
                </script></body></html>"""
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", headers
    finally:
        server.shutdown()
        server.server_close()


def test_another_program_on_this_machine_cannot_take_the_login(browser, tiny_model, tmp_path):
    # Issue 22: the session cookie was readable by a page another program served on 127.0.0.1, and a
    # fresh browser holding it was logged in.
    import json

    from storage import accounts, login_sessions
    from storage.db import connect

    db = connect(tmp_path / "team.db")
    accounts.add_account(db, "ann", "correct horse battery", "annotator")
    with serve(tmp_path / "team.db", str(tiny_model)) as url, another_program_on_this_machine() as (other, headers):
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        context.add_cookies([{"name": "ner_studio_session", "value": "kept-by-an-older-version", "url": url}])
        tab = context.new_page()
        tab.set_default_timeout(60_000)
        tab.goto(url)
        tab.get_by_label("Name", exact=True).fill("ann")
        tab.get_by_label("Password", exact=True).fill("correct horse battery")
        tab.get_by_role("button", name="Log in").click()
        tab.get_by_text("Logged in as").wait_for()
        settle(tab)
        assert "ner_studio_session" not in [cookie["name"] for cookie in context.cookies()]  # the old one is cleared

        snoop = tab.context.new_page()  # the same browser, another program's page
        snoop.goto(other)
        seen = json.loads(snoop.locator("#seen").text_content())
        values = [value for part in [seen["cookie"], *headers] for value in re.findall(r"=([^;]*)", part)]
        values += [*seen["local"].values(), *seen["session"].values()]
        assert not [value for value in values if login_sessions.is_open(db, value.strip())]

        # A fresh browser given every cookie the first one holds is not logged in.
        thief = browser.new_context(viewport={"width": 1280, "height": 900})
        thief.add_cookies(tab.context.cookies())
        stolen = thief.new_page()
        stolen.set_default_timeout(60_000)
        stolen.goto(url)
        stolen.get_by_role("button", name="Log in").wait_for()
        settle(stolen)
        assert stolen.get_by_text("Logged in as").count() == 0
        thief.close()

        tab.reload()  # while the browser that logged in stays logged in across a reload
        tab.get_by_text("Logged in as").wait_for()
        tab.context.close()
    db.close()

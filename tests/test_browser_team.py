"""A two-annotator document end to end in a real headless Chromium (issue 24): with an overlap of 2,
ada and bo each open it on Correct, see the model's spans (never each other's), fix it differently
and save with Enter; it does not train and the Train screen says 0 documents; the reviewer (an
admin) sees both versions side by side on Team with the differences outlined, accepts ada's, and
the Train screen counts it; Improve (a real job on the tiny model, half a minute) trains a new
version whose snapshot holds ada's spans, not bo's.

Needs Debian's chromium and playwright, as tests/test_browser.py; skipped, saying so, without them.
"""
from __future__ import annotations

import json
import os

import pytest

from pathlib import Path

from conftest import write_corpus
from helpers.app import wait_for_end
from helpers.browser import CHROMIUM, Annotator, open_screen, serve, settle, spans_shown

PASSWORD = "correct horse battery"
TEXT = "张三在上海工作"
PREDICTED = [[0, 2, "PER"]]
pytestmark = [pytest.mark.slow,  # a real browser on a real server
              pytest.mark.skipif(not Path(CHROMIUM).exists(),
                                 reason=f"no Chromium at {CHROMIUM}: apt-get install chromium fonts-noto-cjk")]


def log_in(browser, url, name):  # noqa: F811
    tab = browser.new_context(viewport={"width": 1280, "height": 1000}).new_page()
    tab.set_default_timeout(60_000)
    tab.goto(url)
    tab.get_by_label("Name", exact=True).fill(name)
    tab.get_by_label("Password", exact=True).fill(PASSWORD)
    tab.get_by_role("button", name="Log in").click()
    tab.get_by_text("Logged in as").wait_for()
    settle(tab)
    return tab


def annotate(browser, url, name, label_key, label):  # noqa: F811
    """Log in, open Correct (the team document is first in this annotator's queue), label 上海 and save."""
    tab = log_in(browser, url, name)
    open_screen(tab, "Correct")  # through the sidebar: a fresh load of /correct would log in afresh on Tag
    tab.locator('.ner-editor mark[data-start="0"]').wait_for()
    settle(tab)
    seen = spans_shown(tab)
    tab.get_by_text("Needs 2 annotators' versions").first.wait_for()
    you = Annotator(tab)
    you.drag(3, 4)
    you.press(label_key, then=f'.ner-editor mark[data-start="3"][data-label="{label}"]')
    tab.keyboard.press("Enter")
    tab.get_by_text("Saved your version of document").first.wait_for()
    settle(tab)
    tab.context.close()
    return seen


def train_count(tab) -> str:
    open_screen(tab, "Train")
    tab.get_by_text("reviewed documents to learn from").first.wait_for()
    settle(tab)
    return tab.get_by_text("reviewed documents to learn from").first.inner_text()


def test_two_annotators_disagree_a_reviewer_settles_it_and_it_trains(browser, studio):  # noqa: F811
    from launcher.jobs import job_dir
    from storage import accounts, documents, team, team_versions
    from storage.db import connect
    from storage.jobs import list_jobs
    from storage.versions import list_versions

    for corpus in ("msra", "pd"):  # what the improve recipe replays
        write_corpus(studio["data"] / "corpora" / corpus)
    db = connect(studio["db"])
    for name, role in (("root", "admin"), ("ada", "annotator"), ("bo", "annotator")):
        accounts.add_account(db, name, PASSWORD, role)
    doc_id = documents.add_document(db, TEXT, "browser test", PREDICTED, "default", confidence=0.1)
    team.set_overlap(db, "root", 2)
    with serve(studio["db"], os.environ["NER_STUDIO_MODEL"]) as url:  # the studio fixture's env, data folder included
        assert annotate(browser, url, "ada", "2", "LOC") == PREDICTED
        assert annotate(browser, url, "bo", "3", "ORG") == PREDICTED  # the model's spans, not ada's
        assert team_versions.state_of(db, doc_id) == "disputed"
        assert documents.reviewed_documents(db) == []

        lead = log_in(browser, url, "root")
        assert train_count(lead).startswith("0 reviewed documents")
        open_screen(lead, "Team")
        lead.get_by_role("tab", name="Review").click()
        lead.locator('mark[data-differs="1"]').first.wait_for()
        settle(lead)
        assert lead.locator('mark[data-differs="1"]').count() == 2  # 上海 as LOC (ada) and as ORG (bo)
        assert lead.locator('mark[data-differs="0"]').count() == 2  # 张三, the same in both
        lead.get_by_role("button", name="Accept ada's version").click()
        lead.get_by_text(f"Reviewed document #{doc_id} (accepted)").wait_for()
        settle(lead)
        assert train_count(lead).startswith("1 reviewed documents")
        lead.get_by_label("Time budget, minutes (training, evaluation and saving)").first.fill("0.5")
        lead.get_by_label("Version name (blank: v<job>-<date>-<time>)").first.fill("team")  # Improve, above Advanced
        lead.get_by_role("button", name="Improve the active model").click()
        settle(lead)
        [job] = list_jobs(db)
        job = wait_for_end(studio["db"], job["id"])
        assert job["state"] == "finished", job["log_tail"]
        lead.context.close()

    assert job["params"]["corrections_count"] == 1
    snapshot = job_dir(studio["data"].parent, job["id"]) / "corrections.jsonl"
    record = json.loads(snapshot.read_text(encoding="utf-8"))
    assert record == {"text": TEXT, "spans": [[0, 2, "PER"], [3, 5, "LOC"]]}  # ada's 上海, not bo's
    assert "team" in [version["name"] for version in list_versions(db)]

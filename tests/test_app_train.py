"""The Train page: a real training job (tiny BERT, tiny corpus folder) from the form to a promoted version."""
import json
import shutil
import time
from pathlib import Path

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from helpers.app import TRAIN_PAGE, fill_form, wait_for_end
from helpers.fixtures import perfect_scores
from ui.train.form import FOLDER_CHOICE


@pytest.mark.slow
def test_a_job_started_on_the_page_trains_becomes_a_version_and_is_promoted_after_confirmation(studio):
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    fill_form(at, studio["corpus"], studio["encoder"], "quick").run()
    assert not at.warning, [w.value for w in at.warning]
    at.button(key="train_start").click().run()
    assert not at.exception, at.exception
    assert not at.error, [e.value for e in at.error]
    job_id = at.session_state["train_job"]

    job = wait_for_end(studio["db"], job_id)
    assert job["state"] == "finished", job["log_tail"]
    assert (studio["data"] / "models" / "quick" / "scores.json").exists()

    at.run()  # the page re-reads the job and the versions from SQLite
    assert not at.exception, at.exception
    assert any("Finished" in s.value for s in at.success)
    live = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [trace["name"] for trace in live["data"]] == ["training loss (per step)", "dev loss", "dev F1"]
    assert len(live["data"][2]["x"]) == 1  # one epoch, one dev F1 point
    versions = at.dataframe[0].value
    assert set(versions["name"]) == {"default", "quick"}

    # The new version scores worse than the default's (claimed perfect) scores: promotion asks first.
    assert at.selectbox(key="train_promote_pick").value is not None
    at.button(key="train_promote").click().run()
    assert "may be worse" in at.warning[0].value and "lower" in at.warning[0].value
    from storage.db import connect
    from storage.versions import active_version

    assert active_version(connect(studio["db"]))["name"] == "default"
    from storage.documents import add_document

    add_document(connect(studio["db"]), "张三在上海工作", "test", [], "default", 0.5)  # waiting for review
    at.button(key="train_confirm_yes").click().run()
    assert not at.exception, at.exception
    assert active_version(connect(studio["db"]))["name"] == "quick"
    [promoted] = [s.value for s in at.success if "quick is now the active model" in s.value]
    assert "1 suggestion(s) in the review queue came from earlier versions" in promoted


def test_a_running_job_can_be_cancelled(studio):
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    fill_form(at, studio["corpus"], studio["encoder"], "long", epochs=100).run()
    at.button(key="train_start").click().run()
    job_id = at.session_state["train_job"]
    at.button(key=f"train_cancel_{job_id}").click().run()
    assert not at.exception, at.exception
    job = wait_for_end(studio["db"], job_id, timeout=30)
    assert job["state"] == "cancelled"
    deadline = time.time() + 30
    while not process_gone(job["pid"]) and time.time() < deadline:
        time.sleep(0.2)
    assert process_gone(job["pid"])
    assert not (studio["data"] / "models" / "long").exists()


def process_gone(pid: int) -> bool:
    """Ended: no /proc entry, or a zombie waiting for its parent (this test process) to reap it."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except (OSError, IndexError):
        return True


def test_a_better_version_is_promoted_without_asking(studio):
    from storage.db import connect
    from storage.versions import active_version, ensure_default_version, register_version

    db = connect(studio["db"])
    default = ensure_default_version(db, str(studio["data"].parent / "default-model"))
    better = perfect_scores("tiny")
    better["msra"] = better.pop("tiny")
    register_version(db, "better", default["path"], scores={**perfect_scores("tiny"), **better})
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    at.button(key="train_promote").click().run()
    assert not at.exception, at.exception
    assert not [w for w in at.warning if "may be worse" in w.value]
    assert active_version(db)["name"] == "better"


def test_a_model_folder_beside_the_default_is_listed_as_a_version(studio, tiny_model):
    """models/fast, built by the README's command next to models/default, shows up ready to promote."""
    shutil.copytree(tiny_model, studio["data"].parent / "fast-model")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()  # the router registers versions
    at.switch_page("screens/train.py").run()
    assert not at.exception, at.exception
    tables = [frame.value for frame in at.dataframe if "folder" in frame.value.columns]
    assert len(tables) == 1 and set(tables[0]["name"]) == {"default", "fast-model"}


def test_missing_corpus_folder_blocks_the_start(studio):
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    at.selectbox(key="train_corpus").set_value(FOLDER_CHOICE).run()
    at.text_input(key="train_corpus_folder").set_value(str(studio["data"] / "nowhere")).run()
    assert any("is not a folder" in w.value for w in at.warning)
    assert at.button(key="train_start").disabled


def test_corrections_are_repeated_to_about_a_tenth_of_the_data_within_bounds():
    from ui.train.form import suggested_repeat

    assert suggested_repeat(300, 90_000) == 30
    assert suggested_repeat(5, 90_000) == 50  # capped: a handful would be memorised
    assert suggested_repeat(1000, 100) == 1
    assert suggested_repeat(0, 100) == 1


def test_compare_scores_uses_only_the_corpora_both_versions_have():
    from ui.train.versions import compare_scores

    def scores(sentences=4620, **f1s):
        return {corpus: {"entities": {"micro": {"f1": f1}}, "sentences": sentences} for corpus, f1 in f1s.items()}

    worse, why = compare_scores(scores(msra=0.80, pd=0.90), scores(msra=0.85, pd=0.90, tiny=0.1))
    assert worse is True and "2.5 F1 points lower" in why
    assert compare_scores(scores(msra=0.9), scores(msra=0.85))[0] is False
    assert compare_scores(scores(tiny=0.9), scores(msra=0.85))[0] is None
    assert compare_scores({}, scores(msra=0.85))[0] is None


def test_the_versions_table_has_a_column_per_set_and_size(studio):
    from storage.db import connect
    from storage.versions import ensure_default_version, register_version

    db = connect(studio["db"])
    default = ensure_default_version(db, str(studio["data"].parent / "default-model"))
    micro = {"entities": {"micro": {"f1": 0.8}}}
    confusion = {"tags": ["O"], "counts": [[172601]]}
    register_version(db, "older", default["path"], scores={"msra": {**micro, "confusion": confusion}})
    register_version(db, "whole", default["path"], scores={"msra": {**micro, "sentences": 4620, "characters": 172601}})
    register_version(db, "sampled", default["path"], scores={"msra": {**micro, "sentences": 300, "sample_of": 4620}})
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    table = at.dataframe[0].value.set_index("name")
    assert table.loc["older", "MSRA test (4,620 sentences) F1 %"] == table.loc["whole", "MSRA test (4,620 sentences) F1 %"]
    assert table.loc["sampled", "MSRA test (300-sentence sample) F1 %"] == 80.0
    assert pd.isna(table.loc["sampled", "MSRA test (4,620 sentences) F1 %"])


def test_a_sample_is_never_compared_with_the_whole_test_set():
    """Issue 22: a 300-sentence sample's 92.4% beside the whole set's 86.3% read as +6 points."""
    from ui.train.versions import compare_scores, version_label

    sample = {"msra": {"entities": {"micro": {"f1": 0.924}}, "sentences": 300, "sample_of": 4620},
              "heldout": {"entities": {"micro": {"f1": 0.80}}, "sentences": 25}}
    whole = {"msra": {"entities": {"micro": {"f1": 0.863}}, "sentences": 4620}}
    worse, why = compare_scores(sample, whole)
    assert worse is None  # promotion asks first: nothing shows it is as good
    assert "MSRA test (300-sentence sample) vs MSRA test (4,620 sentences)" in why and "+6" not in why
    whole["pd"] = sample["pd"] = {"entities": {"micro": {"f1": 0.9}}, "sentences": 4683}
    worse, why = compare_scores(sample, whole)
    assert worse is False and "People's Daily test (4,683 sentences) F1 90.0% vs 90.0%" in why
    assert "not compared, measured on different sets: MSRA test (300-sentence sample) vs" in why
    label = version_label({"name": "v3", "is_active": 1, "scores": sample})
    assert label == ("v3 (active) — F1 held-out corrections (25 documents) 80.0% · MSRA test (300-sentence sample) "
                     "92.4% · People's Daily test (4,683 sentences) 90.0%")


def test_job_progress_gives_the_eta_from_the_latest_step():
    from ui.train.versions import duration, job_progress

    job = {"progress": {"epoch": 2, "step": 50, "total_steps": 200, "seconds": 100.0, "loss": 0.5}, "epochs": []}
    progress = job_progress(job)
    assert progress["fraction"] == 0.25 and progress["eta_s"] == 300.0
    assert duration(300.0) == "5m 00s" and duration(None) == "—"
    assert job_progress({"progress": None, "epochs": []})["eta_s"] is None

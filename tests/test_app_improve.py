"""Improving the active model with corrections, from the Train screen: a real job on the tiny model,
the held-out share, the lineage, the candidate scored against its parent before promotion."""
import pytest
from streamlit.testing.v1 import AppTest

from conftest import SENTENCES, write_corpus
from helpers.app import TRAIN_PAGE, wait_for_end

TEXTS = [(f"{prefix}{text}", [[s + len(prefix), e + len(prefix), label] for s, e, label in spans])
         for prefix in ("", "据说", "听说", "今天", "昨天") for text, spans in SENTENCES]


def corrected_studio(studio):  # noqa: F811
    """The bundled corpora's names (as the improve recipe replays them) and 30 reviewed documents."""
    from storage.db import connect
    from storage.documents import add_document, save_correction

    for corpus in ("msra", "pd"):
        write_corpus(studio["data"] / "corpora" / corpus)
    db = connect(studio["db"])
    for text, spans in TEXTS:
        save_correction(db, add_document(db, text, "test"), spans, "ada", base_revision=None)
    return db


@pytest.mark.slow
def test_improving_trains_on_the_corrections_holds_some_out_and_records_the_lineage(studio):  # noqa: F811
    from core.model.model import TRAINING_FILE, read_json
    from storage.db import connect
    from storage.versions import list_versions

    corrected_studio(studio)
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    assert not at.exception, at.exception
    assert "24 reviewed documents to learn from; 6 held out" in " ".join(
        c.value for c in at.caption)
    at.number_input(key="train_improve_budget").set_value(0.5)
    at.text_input(key="train_improve_name").set_value("improved")
    at.button(key="train_improve").click().run()
    assert not at.exception, at.exception
    job = wait_for_end(studio["db"], at.session_state["train_job"])
    assert job["state"] == "finished", job["log_tail"]
    params = job["params"]
    assert params["parent"] == "default" and params["replay"] > 0 and params["init_from"]
    assert params["corrections_count"] == 24 and params["heldout_count"] == 6  # every 5th document by id
    assert {doc_id for doc_id, _ in params["corrections_seen"]}.isdisjoint(params["heldout_ids"])
    assert "evaluating heldout" in job["log_tail"]

    [version] = [v for v in list_versions(connect(studio["db"])) if v["name"] == "improved"]
    assert "heldout" in version["scores"]  # the user's held-out documents, scored after training
    training = read_json(version["path"], TRAINING_FILE)
    assert "heldout" in training["before"]  # ... and the parent on the same documents, before it

    at.run()
    table = at.dataframe[0].value
    row = table[table["name"] == "improved"].iloc[0]
    assert row["parent"] == "default" and row["corrections"] == 24 and row["held out"] == 6
    at.selectbox(key="train_promote_pick").set_value(version["id"]).run()
    captions = " ".join(c.value for c in at.caption)
    assert "Fine-tuned from default on 24 reviewed document(s), 6 held out; F1 on the held-out corrections " \
           "(6 documents)" in captions
    assert "against default on the same sets" in captions

    # A second round improves on the promoted version, but starts from its base again: the
    # corrections are learned once, all together (core.training.improve.improvement_base).
    from pathlib import Path

    from storage.versions import set_active

    db = connect(studio["db"])
    [default] = [v for v in list_versions(db) if v["name"] == "default"]
    set_active(db, version["id"])
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    at.number_input(key="train_improve_budget").set_value(0.5)
    at.text_input(key="train_improve_name").set_value("improved-again")
    at.button(key="train_improve").click().run()
    job = wait_for_end(studio["db"], at.session_state["train_job"])
    assert job["state"] == "finished", job["log_tail"]
    assert job["params"]["parent"] == "improved"
    assert Path(job["params"]["init_from"]).resolve() == Path(default["path"]).resolve()
    assert Path(job["params"]["improves"]).resolve() == Path(version["path"]).resolve()
    [again] = [v for v in list_versions(db) if v["name"] == "improved-again"]
    # "before" scored the active model (not the base): the same figures its own run ended with.
    assert read_json(again["path"], TRAINING_FILE)["before"]["heldout"] == version["scores"]["heldout"]
    at.run()
    at.selectbox(key="train_promote_pick").set_value(again["id"]).run()
    captions = " ".join(c.value for c in at.caption)
    assert f"Improves on improved: its base {Path(default['path']).name} fine-tuned afresh on 24" in captions
    assert "against improved on the same sets" in captions  # the candidate is judged against the active model


def test_too_few_held_out_documents_are_said_and_the_fixed_set_judges(studio):  # noqa: F811
    from storage.db import connect
    from storage.documents import add_document, save_correction

    for corpus in ("msra", "pd"):
        write_corpus(studio["data"] / "corpora" / corpus)
    db = connect(studio["db"])
    for text, spans in SENTENCES[:4]:  # ids 1-4: none is a 5th
        save_correction(db, add_document(db, text, "test"), spans, "ada", base_revision=None)
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    assert any("too few to score" in i.value for i in at.info)


def test_with_no_reviewed_corrections_the_improve_button_waits(studio):  # noqa: F811
    at = AppTest.from_file(TRAIN_PAGE, default_timeout=60).run()
    assert at.button(key="train_improve").disabled
    assert any("No reviewed corrections yet" in i.value for i in at.info)

"""Assignment and progress on a real SQLite file: a batch goes round the annotators k to a
document, each annotator's queue holds what is theirs, and the counts, speed and agreement per
annotator are what was done (speed worked out by hand)."""
import pytest

import storage.db
from storage import accounts, assignments, documents, reviews, team, team_queue, team_versions

TEXTS = ["张三在上海工作", "李四去了北京", "王五去了广州", "联合国总部在纽约"]


@pytest.fixture
def studio(tmp_path):
    db = storage.db.connect(tmp_path / "studio.db")
    for name, role in (("root", "admin"), ("ada", "annotator"), ("bo", "annotator"), ("cy", "annotator")):
        accounts.add_account(db, name, "a long password", role)
    ids = documents.add_documents(db, [{"text": t, "source": "import:batch.jsonl", "confidence": 0.1 * i}
                                       for i, t in enumerate(TEXTS)])
    documents.add_document(db, "今天下雨", "tag page")
    return db, ids


def test_a_batch_goes_round_the_annotators_k_to_a_document(studio):
    db, ids = studio
    assert assignments.batch_ids(db, source="import:batch.jsonl") == ids
    assert assignments.sources(db) == {"import:batch.jsonl": 4, "tag page": 1}
    given = assignments.assign(db, "root", ids[:3], ["ada", "bo", "cy"], "import:batch.jsonl", overlap=2)
    # document 1: ada, bo; document 2: cy, ada; document 3: bo, cy.
    assert given == {"ada": 2, "bo": 2, "cy": 2}
    assert assignments.assigned_to(db, "ada") == [ids[0], ids[1]]
    assert [team.overlap_of(db, i) for i in ids] == [2, 2, 2, 1]
    # ada's queue: her two, then what nobody was given (document 4 and the tagged text).
    assert [row["id"] for row in team_queue.queue_for(db, "ada", order="oldest")] == [ids[0], ids[1], ids[3], ids[3] + 1]
    assert ids[2] not in [row["id"] for row in team_queue.queue_for(db, "ada")]


def test_only_admins_assign_and_only_to_accounts(studio):
    db, ids = studio
    with pytest.raises(team.Forbidden):
        assignments.assign(db, "ada", ids, ["ada"], "mine")
    with pytest.raises(ValueError, match="no account named 'zed'"):
        assignments.assign(db, "root", ids, ["ada", "zed"], "x", overlap=1)
    with pytest.raises(ValueError, match="overlap 3 needs at least 3 annotators"):
        assignments.assign(db, "root", ids, ["ada", "bo"], "x", overlap=3)


def test_skipped_documents_go_to_the_end_of_that_annotators_queue(studio):
    db, ids = studio
    first = team_queue.queue_for(db, "ada")[0]["id"]
    team_queue.record_skip(db, first, "ada")
    queue = team_queue.queue_for(db, "ada")
    assert queue[-1]["id"] == first and queue[-1]["skipped"]
    assert team_queue.queue_for(db, "bo")[0]["id"] == first


def test_speed_counts_pauses_up_to_ten_minutes():
    # Saves at 0 s, 60 s, 180 s and 3,000 s: the 2,820 s pause counts as 600, so 780 s of work
    # for 3 documents after the first: 3 / (780 / 3600) = 13.85 an hour.
    stamps = [f"2026-01-01T10:{m:02d}:{s:02d}+00:00" for m, s in ((0, 0), (1, 0), (3, 0), (50, 0))]
    assert assignments.speed(stamps) == pytest.approx(3 * 3600 / 780)
    assert assignments.speed(stamps[:1]) is None


def test_progress_counts_each_annotator(studio):
    db, ids = studio
    assignments.assign(db, "root", ids[:2], ["ada", "bo"], "gold", overlap=2)
    team_versions.save_version(db, ids[0], [[0, 2, "PER"], [3, 5, "LOC"]], "ada")
    team_versions.save_version(db, ids[0], [[0, 2, "PER"], [3, 5, "ORG"]], "bo")
    team_versions.save_version(db, ids[1], [[0, 2, "PER"], [4, 6, "LOC"]], "ada")
    team_queue.record_skip(db, ids[1], "bo")
    reviews.flag(db, ids[1], "bo", "北京?")
    documents.save_correction(db, ids[3], [], "cy")
    rows = {row["annotator"]: row for row in assignments.progress(db)}
    assert {name: (r["done"], r["waiting"], r["assigned"], r["skipped"], r["flagged"]) for name, r in rows.items()} == {
        "ada": (2, 2, 2, 0, 0),  # waiting: document 3 and the tagged text, which nobody was given
        "bo": (1, 3, 2, 1, 1),  # and document 2 (skipped, still theirs)
        "cy": (1, 2, 0, 0, 0)}
    # ada and bo shared document 1: 1 of 2 + 2 spans the same, F1 = 2/4; kappa 12/19 (tests/test_agreement.py).
    assert rows["ada"]["agreement_f1"] == pytest.approx(0.5) and rows["bo"]["kappa"] == pytest.approx(12 / 19)
    assert rows["cy"]["agreement_f1"] is None

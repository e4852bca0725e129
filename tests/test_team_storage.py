"""Annotating as a team, in storage on a real SQLite file: per-annotator versions under overlap,
what trains (agreed or reviewed only), the review queue and decisions, flags, bad text, comments,
and every rule enforced by role whatever a page drew."""
import pytest

from storage import accounts, apply_all, documents, reviews, snapshots, team, team_queue, team_versions
import storage.db
from storage.documents import ConflictError

TEXT = "张三在上海工作"
ADA = [[0, 2, "PER"], [3, 5, "LOC"]]
BO = [[0, 2, "PER"], [3, 5, "ORG"]]


@pytest.fixture
def studio(tmp_path):
    db = storage.db.connect(tmp_path / "studio.db")
    for name, role in (("root", "admin"), ("rev", "reviewer"), ("ada", "annotator"), ("bo", "annotator")):
        accounts.add_account(db, name, "a long password", role)
    return db


def gold_document(db, overlap=2) -> int:
    doc_id = documents.add_document(db, TEXT, "test", predicted_spans=[[0, 2, "PER"]], predicted_by="v1",
                                    confidence=0.4)
    team.set_overlap(db, "root", overlap)
    return doc_id


def trained(db) -> dict[int, list]:
    return {doc["id"]: [list(s) for s in doc["spans"]] for doc in documents.reviewed_documents(db)}


def test_one_annotator_by_default_as_before(studio):
    assert team.overlap(studio) == 1
    doc_id = documents.add_document(studio, TEXT, "test")
    assert not team.is_team_document(studio, doc_id)
    with pytest.raises(ValueError, match="needs one annotator"):
        team_versions.save_version(studio, doc_id, ADA, "ada")


def test_only_admins_set_the_overlap(studio):
    for who in ("ada", "rev", "nobody"):
        with pytest.raises(team.Forbidden, match="only admins"):
            team.set_overlap(studio, who, 2)
    team.set_overlap(studio, "root", 3)
    assert team.overlap(studio) == 3
    with pytest.raises(ValueError, match="1 to 5"):
        team.set_overlap(studio, "root", 0)


def test_a_first_version_does_not_train_and_the_second_annotator_cannot_see_it(studio):
    doc_id = gold_document(studio)
    team_versions.save_version(studio, doc_id, ADA, "ada")
    assert documents.get_document(studio, doc_id)["status"] == "new"
    assert trained(studio) == {}
    assert team_versions.versions(studio, doc_id, "bo") == {}
    opened = team_versions.document_for(studio, doc_id, "bo")
    assert opened["spans"] == [[0, 2, "PER"]] and opened["revision"] is None  # the model's, not ada's
    assert [row["id"] for row in team_queue.queue_for(studio, "bo")] == [doc_id]
    assert team_queue.queue_for(studio, "ada") == []
    assert set(team_versions.versions(studio, doc_id, "rev")) == {"ada"}  # reviewers see every version


def test_apply_to_all_leaves_team_documents_as_every_annotator_starts_them(studio):
    doc_id = gold_document(studio)  # overlap 2: a team document
    solo = documents.add_document(studio, "上海很大", "test")
    team.set_document_overlap(studio, [solo], 1, "root")  # a batch of one annotator's documents
    assert [item["document"]["id"] for item in apply_all.apply_plan(studio, "上海", "LOC")] == [solo]
    assert apply_all.apply_to_all(studio, "上海", "LOC", "ada") == {"changed": 1, "added": 1, "skipped": 0}
    assert apply_all.team_left_out(studio, "上海") == 1
    assert documents.get_document(studio, solo)["spans"] == [[0, 2, "LOC"]]
    assert documents.get_document(studio, doc_id)["revision"] is None
    assert team_versions.document_for(studio, doc_id, "bo")["spans"] == [[0, 2, "PER"]]  # not ada's bulk label


def test_agreeing_versions_settle_and_train(studio):
    doc_id = gold_document(studio)
    team_versions.save_version(studio, doc_id, ADA, "ada")
    team_versions.save_version(studio, doc_id, list(reversed(ADA)), "bo")  # the same spans, another order
    assert trained(studio) == {doc_id: ADA}
    assert team_versions.state_of(studio, doc_id) == "agreed"
    assert [r["decision"] for r in reviews.reviews_of(studio, doc_id)] == ["agreed"]
    assert team_queue.queue_for(studio, "bo") == []
    with pytest.raises(ValueError, match="settled already"):
        team_versions.save_version(studio, doc_id, BO, "bo", base_version=latest(studio, doc_id, "bo"))


def test_disagreeing_versions_wait_for_a_reviewer_and_then_train_the_review(studio):
    doc_id = gold_document(studio)
    team_versions.save_version(studio, doc_id, ADA, "ada")
    team_versions.save_version(studio, doc_id, BO, "bo")
    assert team_versions.state_of(studio, doc_id) == "disputed"
    assert trained(studio) == {}
    assert snapshots.counts(studio) == {"train": 0, "heldout": 0}
    with pytest.raises(team.Forbidden, match="only reviewers or admins"):
        reviews.review_queue(studio, "ada")
    with pytest.raises(team.Forbidden):
        reviews.resolve(studio, doc_id, "ada", ADA, "accepted", accepted="ada")
    queue = reviews.review_queue(studio, "rev")
    assert [(row["id"], row["reason"], row["unmatched_spans"]) for row in queue] == [(doc_id, "disputed", 2)]
    seen = {name: v["id"] for name, v in team_versions.versions(studio, doc_id, "rev").items()}
    merged = [[0, 2, "PER"], [3, 5, "LOC"]]
    reviews.resolve(studio, doc_id, "rev", merged, "merged", seen_versions=seen)
    assert trained(studio) == {doc_id: merged}
    assert team_versions.state_of(studio, doc_id) == "reviewed"
    assert set(team_versions.versions(studio, doc_id, "bo")) == {"ada", "bo"}  # settled: no secret any more
    assert reviews.review_queue(studio, "rev") == []


def test_a_review_refuses_versions_saved_after_it_was_opened(studio):
    doc_id = gold_document(studio, overlap=3)
    team_versions.save_version(studio, doc_id, ADA, "ada")
    team_versions.save_version(studio, doc_id, BO, "bo")
    seen = {name: v["id"] for name, v in team_versions.versions(studio, doc_id, "rev").items()}
    team_versions.save_version(studio, doc_id, ADA, "root")
    with pytest.raises(ConflictError):
        reviews.resolve(studio, doc_id, "rev", ADA, "accepted", accepted="ada", seen_versions=seen)
    with pytest.raises(ValueError, match="no version .* with these spans"):
        reviews.resolve(studio, doc_id, "rev", BO, "accepted", accepted="ada")
    assert trained(studio) == {}


def test_an_annotators_second_tab_cannot_overwrite_the_first(studio):
    doc_id = gold_document(studio, overlap=3)
    first = team_versions.save_version(studio, doc_id, ADA, "ada")
    with pytest.raises(ConflictError):
        team_versions.save_version(studio, doc_id, BO, "ada", base_version=None)
    second = team_versions.save_version(studio, doc_id, BO, "ada", base_version=first)
    assert [v["id"] for v in team_versions.own_history(studio, doc_id, "ada")] == [first, second]
    assert team_versions.document_for(studio, doc_id, "ada")["revision_number"] == 2


def test_bad_text_leaves_every_queue_never_trains_and_a_reviewer_can_undo_it(studio):
    doc_id = documents.add_document(studio, "乱码乱码", "test")
    done = documents.add_document(studio, TEXT, "test")
    documents.save_correction(studio, done, ADA, "ada")
    reviews.mark_bad_text(studio, doc_id, "bo", "garbled")
    reviews.mark_bad_text(studio, done, "bo", "a duplicate")
    assert team_queue.queue_for(studio, "ada") == [] and trained(studio) == {}
    team.set_overlap(studio, "root", 2)
    with pytest.raises(ValueError, match="bad text"):
        team_versions.save_version(studio, doc_id, ADA, "ada")
    flags = reviews.open_flags(studio, "rev")
    assert [(f["document_id"], f["kind"]) for f in flags] == [(doc_id, "bad text"), (done, "bad text")]
    with pytest.raises(team.Forbidden):
        reviews.answer_flag(studio, flags[1]["id"], "ada", "no", undo_bad_text=True)
    reviews.answer_flag(studio, flags[1]["id"], "rev", "not a duplicate", undo_bad_text=True)
    assert trained(studio) == {done: ADA}
    assert documents.get_document(studio, doc_id)["status"] == "rejected"


def test_flags_come_first_in_the_review_queue(studio):
    disputed = gold_document(studio)
    team_versions.save_version(studio, disputed, ADA, "ada")
    team_versions.save_version(studio, disputed, BO, "bo")
    flagged = documents.add_document(studio, "李四去了北京", "test")
    with pytest.raises(ValueError, match="needs a comment"):
        reviews.flag(studio, flagged, "ada", "  ")
    reviews.flag(studio, flagged, "ada", "北京: LOC or ORG here?")
    queue = reviews.review_queue(studio, "root")
    assert [(row["id"], row["reason"]) for row in queue] == [(flagged, "flag"), (disputed, "disputed")]
    reviews.resolve(studio, flagged, "root", [[0, 2, "PER"], [4, 6, "LOC"]], "edited")
    assert reviews.open_flags(studio, "root") == []


def test_comments_stay_private_until_the_document_is_settled(studio):
    doc_id = gold_document(studio)
    reviews.add_comment(studio, doc_id, "ada", "上海 could be part of an ORG", span=[3, 5])
    with pytest.raises(ValueError, match="outside the text"):
        reviews.add_comment(studio, doc_id, "ada", "too far", span=[5, 9])
    assert reviews.comments_of(studio, doc_id, "bo") == []
    assert [c["body"] for c in reviews.comments_of(studio, doc_id, "rev")] == ["上海 could be part of an ORG"]
    team_versions.save_version(studio, doc_id, ADA, "ada")
    team_versions.save_version(studio, doc_id, ADA, "bo")
    assert len(reviews.comments_of(studio, doc_id, "bo")) == 1


def test_a_name_without_an_account_does_nothing(studio):
    doc_id = gold_document(studio)
    with pytest.raises(team.Forbidden, match="no account"):
        team_versions.save_version(studio, doc_id, ADA, "mallory")
    with pytest.raises(team.Forbidden):
        reviews.flag(studio, doc_id, "mallory", "hello")


def test_guidelines_default_to_the_bundled_one_and_only_admins_write_their_own(studio):
    bundled = team.guidelines(studio)
    assert not bundled["own"] and "华莱士" in bundled["text"]  # a hard case of docs/ANNOTATION.md
    with pytest.raises(team.Forbidden):
        team.set_guidelines(studio, "rev", "mine")
    team.set_guidelines(studio, "root", "# Our rules\nProducts are PROD.")
    assert team.guidelines(studio)["text"].startswith("# Our rules") and team.guidelines(studio)["updated_by"] == "root"
    team.set_guidelines(studio, "root", "")
    assert not team.guidelines(studio)["own"]


def agreed_document(db) -> int:
    doc_id = gold_document(db)
    team_versions.save_version(db, doc_id, ADA, "ada")
    team_versions.save_version(db, doc_id, ADA, "bo")
    assert team_versions.state_of(db, doc_id) == "agreed" and trained(db) == {doc_id: ADA}
    return doc_id


def test_a_reviewer_reopens_a_settled_document_and_it_stops_training_and_waits_for_the_annotators(studio):
    doc_id = agreed_document(studio)
    reviews.reopen(studio, doc_id, "rev", "LOC or ORG? ask again")
    assert trained(studio) == {} and documents.get_document(studio, doc_id)["status"] == "new"
    assert documents.reviewed_documents(studio) == []
    for name in ("ada", "bo"):
        assert [row["id"] for row in team_queue.queue_for(studio, name)] == [doc_id]
        assert len(team_versions.own_history(studio, doc_id, name)) == 1  # their version stays
    opened = team_versions.document_for(studio, doc_id, "ada")
    assert opened["team"] and opened["spans"] == ADA  # ada starts from her own version
    assert team_versions.state_of(studio, doc_id) == "waiting" and reviews.review_queue(studio, "rev") == []
    [*_, reopened] = reviews.history_of(studio, doc_id)
    assert (reopened["decision"], reopened["by"], reopened["note"]) == ("reopened", "rev", "LOC or ORG? ask again")
    assert reopened["at"] and [e["decision"] for e in reviews.history_of(studio, doc_id)] == ["agreed", "reopened"]
    assert reviews.open_flags(studio, "rev") == []  # a reopen is no open flag


def latest(db, doc_id, name) -> int:
    return team_versions.own_version(db, doc_id, name)["id"]


def test_a_reopened_document_settles_again_only_on_versions_saved_since(studio):
    doc_id = agreed_document(studio)
    reviews.reopen(studio, doc_id, "root")
    team_versions.save_version(studio, doc_id, BO, "bo", base_version=latest(studio, doc_id, "bo"))
    assert trained(studio) == {}  # ada's older version does not count: still waiting for her
    assert [row["id"] for row in team_queue.queue_for(studio, "ada")] == [doc_id]
    assert team_queue.queue_for(studio, "bo") == []
    team_versions.save_version(studio, doc_id, ADA, "ada", base_version=latest(studio, doc_id, "ada"))
    assert team_versions.state_of(studio, doc_id) == "disputed"
    assert [row["id"] for row in reviews.review_queue(studio, "rev")] == [doc_id]
    reviews.resolve(studio, doc_id, "rev", BO, "accepted", accepted="bo")
    assert trained(studio) == {doc_id: BO}
    assert len(team_versions.own_history(studio, doc_id, "ada")) == 2


def test_an_annotator_may_not_reopen_and_only_settled_team_documents_reopen(studio):
    doc_id = agreed_document(studio)
    with pytest.raises(team.Forbidden, match="only reviewers or admins may reopen"):
        reviews.reopen(studio, doc_id, "ada")
    assert trained(studio) == {doc_id: ADA}
    assert [row["id"] for row in reviews.settled_documents(studio, "rev")] == [doc_id]
    reviews.reopen(studio, doc_id, "rev")
    assert reviews.settled_documents(studio, "rev") == []
    with pytest.raises(ValueError, match="not a settled team document"):
        reviews.reopen(studio, doc_id, "rev")  # open already
    with pytest.raises(team.Forbidden):
        reviews.settled_documents(studio, "bo")

"""The Team screen through the app (app.py, AppTest, a real SQLite file): an admin sets the overlap,
a reviewer sees two annotators' versions side by side with their differences marked and settles
them (accept or merge), and an annotator gets neither the review nor the admin's controls."""
import pytest

from storage import accounts, documents, reviews, team, team_versions
from helpers.app import PASSWORD, log_in
from helpers.fixtures import team as accounts_team  # noqa: F401 (a fixture, named apart from storage's team module)

TEXT = "张三在上海工作"
ADA = [[0, 2, "PER"], [3, 5, "LOC"]]
BO = [[0, 2, "PER"], [3, 5, "ORG"]]


@pytest.fixture
def crew(accounts_team):  # noqa: F811
    db = accounts_team["connection"]
    accounts.add_account(db, "rev", PASSWORD, "reviewer")
    accounts.add_account(db, "bo", PASSWORD, "annotator")
    return db


def disputed(db) -> int:
    doc_id = documents.add_document(db, TEXT, "test", predicted_spans=[[0, 2, "PER"]], confidence=0.5)
    team.set_overlap(db, "root", 2)
    team_versions.save_version(db, doc_id, ADA, "ann")
    team_versions.save_version(db, doc_id, BO, "bo")
    return doc_id


def team_page(name):
    at = log_in(name)
    at.switch_page("screens/team.py").run()
    assert not at.exception, at.exception
    return at


def trained(db):
    return {d["id"]: [list(s) for s in d["spans"]] for d in documents.reviewed_documents(db)}


def test_an_admin_sets_the_overlap(crew):
    at = team_page("root")
    at.number_input(key="team_overlap").set_value(2)
    at.button(key="FormSubmitter:team_overlap_form-Set overlap").click().run()
    assert not at.exception, at.exception
    assert team.overlap(crew) == 2


def test_an_annotator_gets_no_review_and_no_admin_controls(crew):
    disputed(crew)
    at = team_page("ann")
    assert "Reviewing is for reviewers and admins." in [i.value for i in at.info]
    assert not [b for b in at.button if b.key and b.key.startswith("team_accept_")]
    assert "team_overlap" not in [n.key for n in at.number_input]
    assert not at.text_area  # no guideline editor


def test_a_reviewer_sees_the_difference_and_accepts_one_version(crew):
    doc_id = disputed(crew)
    at = team_page("rev")
    html = " ".join(h.proto.body for h in at.get("html"))
    assert 'data-differs="1"' in html and "上海" in html  # LOC and ORG on 上海 are marked as differing
    assert html.count('data-differs="1"') == 2 and html.count('data-differs="0"') == 2  # 张三 agrees
    assert trained(crew) == {}
    at.button(key=f"team_accept_{doc_id}_bo").click().run()
    assert not at.exception, at.exception
    assert trained(crew) == {doc_id: BO}
    assert "Nothing to review" in " ".join(s.value for s in at.success)


def test_a_reviewer_merges_span_by_span(crew):
    doc_id = disputed(crew)
    at = team_page("rev")
    boxes = {c.key: c for c in at.checkbox}
    assert boxes[f"team_merge_{doc_id}_0_2_PER"].value  # both marked it: ticked to start with
    assert not boxes[f"team_merge_{doc_id}_3_5_LOC"].value
    boxes[f"team_merge_{doc_id}_3_5_LOC"].check().run()
    at.checkbox(key=f"team_merge_{doc_id}_3_5_ORG").check().run()
    assert "overlap: keep one" in " ".join(w.value for w in at.warning)
    at.checkbox(key=f"team_merge_{doc_id}_3_5_ORG").uncheck().run()
    at.button(key=f"team_merge_save_{doc_id}").click().run()
    assert not at.exception, at.exception
    assert trained(crew) == {doc_id: ADA}


def test_on_correct_each_annotator_saves_their_own_version_and_sees_only_it(crew):
    doc_id = documents.add_document(crew, TEXT, "test", predicted_spans=[[0, 2, "PER"]], confidence=0.5)
    team.set_overlap(crew, "root", 2)
    at = log_in("ann")
    at.switch_page("screens/correct.py").run()
    assert not at.exception, at.exception
    assert any("Needs 2 annotators' versions" in c.value for c in at.caption)
    at.button(key=f"correct_save_{doc_id}").click().run()  # the model's spans, saved as ann's version
    assert not at.exception, at.exception
    assert "waits for the others" in " ".join(s.value for s in at.success)
    assert documents.history(crew, doc_id) == [] and trained(crew) == {}
    assert team_versions.own_version(crew, doc_id, "ann")["spans"] == [[0, 2, "PER"]]

    other = log_in("bo")
    other.switch_page("screens/correct.py").run()
    assert other.selectbox(key="correct_doc").value == doc_id  # still waiting for bo
    with pytest.raises(ValueError, match="needs 2 annotators' own versions"):
        documents.save_correction(crew, doc_id, BO, "bo")  # no way round it in storage either
    other.button(key=f"correct_save_{doc_id}").click().run()
    assert "agree: it trains" in " ".join(s.value for s in other.success)
    assert trained(crew) == {doc_id: [[0, 2, "PER"]]}


def test_an_annotator_marks_bad_text_and_it_leaves_the_queue(crew):
    doc_id = documents.add_document(crew, "乱码乱码乱码", "test", confidence=0.1)
    at = log_in("ann")
    at.switch_page("screens/correct.py").run()
    at.text_input(key=f"team_flag_comment_{doc_id}").set_value("garbled")
    at.button(key=f"FormSubmitter:team_flag_form_{doc_id}-Bad text: never train it").click().run()
    assert not at.exception, at.exception
    assert documents.get_document(crew, doc_id)["status"] == "rejected"
    assert "Nothing here yet" in " ".join(i.value for i in at.info)
    assert [f["kind"] for f in reviews.open_flags(crew, "rev")] == ["bad text"]


def test_the_guideline_is_one_click_away_on_correct_and_an_admin_writes_the_studios_own(crew):
    documents.add_document(crew, TEXT, "test", confidence=0.5)
    at = log_in("ann")
    at.switch_page("screens/correct.py").run()
    at.toggle(key="correct_guideline").set_value(True).run()
    assert "华莱士" in " ".join(m.value for m in at.markdown)  # a hard case of the bundled guideline
    team.set_guidelines(crew, "root", "# Our rules\nProducts are PROD.")
    at.run()
    assert "Products are PROD." in " ".join(m.value for m in at.markdown)


def test_apply_to_all_leaves_team_documents_out_and_says_how_many(crew):
    shared = documents.add_document(crew, TEXT, "test", predicted_spans=[[0, 2, "PER"]], confidence=0.9)
    team.set_overlap(crew, "root", 2)
    solo = documents.add_document(crew, "上海很大", "test", [], confidence=0.1)
    team.set_document_overlap(crew, [solo], 1, "root")
    at = log_in("ann")
    at.switch_page("screens/correct.py").run()
    assert at.selectbox(key="correct_doc").value == solo
    at.text_input(key="correct_all_text").set_value("上海")
    at.selectbox(key="correct_all_type").set_value("LOC")
    at.button(key="correct_apply_all").click().run()
    assert not at.exception, at.exception
    assert any("1 team document(s) left out" in c.value for c in at.caption)
    at.button(key="correct_apply_confirm").click().run()
    assert "1 team document(s) left out" in at.success[0].value
    assert team_versions.document_for(crew, shared, "bo")["spans"] == [[0, 2, "PER"]]  # not ann's bulk label


def test_a_reviewer_reopens_a_settled_document_for_its_annotators(crew):
    doc_id = disputed(crew)
    reviews.resolve(crew, doc_id, "rev", BO, "accepted", accepted="bo")
    at = team_page("rev")
    assert at.selectbox(key="team_reopen_doc").value == doc_id
    at.text_input(key="team_reopen_reason").set_value("上海: ask again")
    at.button(key=f"team_reopen_{doc_id}").click().run()
    assert not at.exception, at.exception
    assert "back in its annotators' queues" in " ".join(s.value for s in at.success)
    assert trained(crew) == {} and reviews.history_of(crew, doc_id)[-1]["note"] == "上海: ask again"
    assert "team_reopen_doc" not in [s.key for s in at.selectbox]  # nothing settled now
    assert team_versions.document_for(crew, doc_id, "ann")["spans"] == ADA  # ann's own version to start from

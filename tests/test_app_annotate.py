"""The Correct screen as an annotator works through a queue, on a tiny model and a real SQLite
file: the name survives a reload, Save moves on and clears the note, Skip keeps a draft, unsaved
edits come back after a reload, the progress counter, search, revision numbers, true statuses.
(The span editor's mouse and keys are driven in the real browser: tests/test_browser.py.)"""
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from storage import documents, drafts
from helpers.app import add_span, open_correct, run, save


def reload_correct(name: str = "ada") -> AppTest:
    """The browser reloads the Correct page's address, which carries the name: a new session."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["annotator"] = name
    at.run()
    at.switch_page("screens/correct.py")
    return run(at)


def test_the_name_is_kept_in_the_address_and_a_reload_does_not_ask_again(app_db):
    at = open_correct("ada")
    assert at.query_params["annotator"] == "ada"
    at = reload_correct("ada")
    assert "correct_annotator_name" not in [t.key for t in at.text_input]  # not asked again
    assert "Annotating as **ada**" in at.caption[0].value
    at.button(key="correct_change_name").click()
    run(at)
    assert "annotator" not in at.query_params
    assert "correct_annotator_name" in [t.key for t in at.text_input]


def test_save_opens_the_next_document_clears_the_note_and_counts_revisions_per_document(app_db):
    first = documents.add_document(app_db, "张三在上海工作", "test", [[0, 2, "PER"]], "default", 0.1)
    second = documents.add_document(app_db, "王五去了广州", "test", [], "default", 0.2)
    documents.save_correction(app_db, documents.add_document(app_db, "李四", "test"), [], "bob")  # takes correction id 1
    at = open_correct()
    assert "**1** done of **3** in the queue · 2 to review" in at.get("progress")[0].proto.text
    at.text_input(key=f"correct_note_{first}").input("checked the names")
    save(at, first)
    assert at.selectbox(key="correct_doc").value == second  # moved on
    assert "Saved document #%d as revision 1. Here is the next one." % first in at.success[0].value
    assert documents.history(app_db, first)[0]["note"] == "checked the names"
    assert "**2** done of **3**" in at.get("progress")[0].proto.text
    at.selectbox(key="correct_status").set_value("all")  # every document, to open the first again
    run(at)
    at.selectbox(key="correct_doc").set_value(first)
    run(at)
    assert at.text_input(key=f"correct_note_{first}").value == ""  # the note went with its save
    assert any(f"Document #{first} · corrected" in c.value and "revision 1 ·" in c.value for c in at.caption)


def test_an_exact_edit_over_a_span_says_what_it_replaced(app_db):
    doc_id = documents.add_document(app_db, "张三在上海工作", "test", [[3, 5, "LOC"]], "default", 0.1)
    at = open_correct()
    add_span(at, doc_id, "在上海", "ORG")
    shown = [c.value.replace("\\", "") for c in at.caption]  # escaped: the document's text is not Markdown
    assert any("Added ORG 在上海 (2-5), replacing LOC 上海 (3-5). Z undoes it." in c for c in shown)
    assert at.session_state[f"correct_work_{doc_id}"].spans == [(2, 5, "ORG")]


def test_unsaved_edits_are_kept_as_a_draft_and_offered_back_after_a_reload(app_db):
    doc_id = documents.add_document(app_db, "张三在上海工作", "test", [[0, 2, "PER"]], "default", 0.1)
    at = open_correct()
    add_span(at, doc_id, "上海", "LOC")
    assert drafts.get_draft(app_db, doc_id, "ada")["spans"] == [[0, 2, "PER"], [3, 5, "LOC"]]

    at = reload_correct()  # the tab is reloaded: a new session
    assert at.session_state[f"correct_work_{doc_id}"].spans == [(0, 2, "PER")]
    assert any("You left unsaved edits here" in m.value for m in at.markdown)
    at.button(key=f"correct_draft_restore_{doc_id}").click()
    run(at)
    assert at.session_state[f"correct_work_{doc_id}"].spans == [(0, 2, "PER"), (3, 5, "LOC")]
    save(at, doc_id)
    assert documents.get_document(app_db, doc_id)["spans"] == [[0, 2, "PER"], [3, 5, "LOC"]]
    assert drafts.get_draft(app_db, doc_id, "ada") is None  # saved: nothing left to offer


def test_a_discarded_draft_is_not_offered_again(app_db):
    doc_id = documents.add_document(app_db, "张三在上海工作", "test", [], "default", 0.1)
    drafts.save_draft(app_db, doc_id, "ada", [[0, 2, "PER"]])
    at = reload_correct()
    at.button(key=f"correct_draft_discard_{doc_id}").click()
    run(at)
    assert drafts.get_draft(app_db, doc_id, "ada") is None
    assert not any("You left unsaved edits here" in m.value for m in at.markdown)


def test_skip_opens_the_next_document_and_keeps_the_edits_as_a_draft(app_db):
    first = documents.add_document(app_db, "张三在上海工作", "test", [], "default", 0.1)
    second = documents.add_document(app_db, "王五去了广州", "test", [], "default", 0.2)
    at = open_correct()
    add_span(at, first, "张三", "PER")
    at.button(key=f"correct_skip_{first}").click()
    run(at)
    assert at.selectbox(key="correct_doc").value == second
    assert "Skipped document #%d. Your unsaved edits are kept as a draft." % first in at.info[0].value
    assert documents.history(app_db, first) == [] and drafts.get_draft(app_db, first, "ada")["spans"] == [[0, 2, "PER"]]


def test_search_lists_only_the_documents_with_that_text(app_db):
    documents.add_document(app_db, "张三在上海工作", "test", [], "default", 0.1)
    beijing = documents.add_document(app_db, "北京很冷", "test", [], "default", 0.2)
    at = open_correct()
    at.text_input(key="correct_search").input("北京")
    run(at)
    assert at.selectbox(key="correct_doc").options == [at.selectbox(key="correct_doc").format_func(beijing)]
    at.text_input(key="correct_search").input("广州")
    run(at)
    assert "No document in this list contains that text." in at.info[0].value


def test_imported_documents_are_listed_as_imported_not_as_corrected(app_db):
    at = open_correct()
    at.radio(key="correct_import_kind").set_value("JSON lines")
    run(at)
    at.file_uploader(key="correct_import_jsonl").set_value(
        ("spans.jsonl", '{"text": "张三在上海", "spans": [[0, 2, "PER"]]}\n'.encode(), "application/jsonl"))
    at.button(key="correct_import_jsonl_go").click()
    run(at)
    # The file's annotations are suggestions: the document waits in the queue for review.
    assert "1 to review (1 imported from files" in at.get("progress")[0].proto.text
    at.selectbox(key="correct_status").set_value("imported")
    run(at)
    assert "· imported ·" in at.selectbox(key="correct_doc").format_func(at.selectbox(key="correct_doc").value)


def test_a_document_without_edits_follows_a_save_made_elsewhere(app_db):
    doc_id = documents.add_document(app_db, "张三在上海工作", "test", [], "default", 0.1)
    other = documents.add_document(app_db, "上海很大", "test", [], "default", 0.2)
    at = open_correct()
    at.selectbox(key="correct_doc").set_value(other)
    run(at)
    documents.save_correction(app_db, doc_id, [[3, 5, "LOC"]], "bob")  # another tab, meanwhile
    at.selectbox(key="correct_doc").set_value(doc_id)
    run(at)
    assert at.session_state[f"correct_work_{doc_id}"].spans == [(3, 5, "LOC")]  # not the stale, empty spans
    add_span(at, doc_id, "张三", "PER")
    save(at, doc_id)
    assert [h["annotator"] for h in documents.history(app_db, doc_id)] == ["bob", "ada"]  # no conflict: nothing stale


def test_a_reload_reopens_the_document_that_was_open_and_offers_its_draft_at_once(app_db):
    """Issue 22: a reload mid-edit opened the least confident document instead, and the draft was
    offered only once the annotator found the right one again. The address keeps the open document."""
    first = documents.add_document(app_db, "张三在上海工作", "test", [], "default", 0.1)
    second = documents.add_document(app_db, "王五去了广州", "test", [], "default", 0.2)
    at = open_correct()
    at.selectbox(key="correct_doc").set_value(second)
    run(at)
    assert at.query_params["doc"] == str(second)
    add_span(at, second, "广州", "LOC")

    reloaded = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    for key, value in at.query_params.items():  # the same address, a new session
        reloaded.query_params[key] = value
    reloaded.run()
    reloaded.switch_page("screens/correct.py")
    run(reloaded)
    assert reloaded.selectbox(key="correct_doc").value == second
    assert any("You left unsaved edits here" in m.value for m in reloaded.markdown)
    assert first != second


def test_an_address_naming_a_document_that_is_gone_opens_the_queue_as_usual(app_db):
    first = documents.add_document(app_db, "张三在上海工作", "test", [], "default", 0.1)
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60)
    at.query_params["annotator"], at.query_params["doc"] = "ada", "999"
    at.run()
    at.switch_page("screens/correct.py")
    run(at)
    assert at.selectbox(key="correct_doc").value == first
    assert at.query_params["doc"] == str(first)


def test_after_a_save_the_picker_is_sent_the_documents_new_label(app_db):
    """Issue 22: the browser keeps the label it was sent with a selectbox's value, so after a save the
    Document picker still read '#1 · new'. The page sends the value again when its label changed."""
    doc_id = documents.add_document(app_db, "张三在上海工作", "test", [], "default", 0.1)
    at = open_correct()
    save(at, doc_id)  # the last document of the list: it stays open
    picker = at.selectbox(key="correct_doc")
    assert picker.value == doc_id
    assert picker.proto.set_value and picker.proto.raw_value.startswith(f"#{doc_id} · corrected")
    run(at)  # nothing changed since: nothing sent again
    assert not at.selectbox(key="correct_doc").proto.set_value

"""The Correct page through the whole app on a tiny model and a temporary database: editing and
saving spans, history and restore, imports with refusals and repairs, conflicts, apply to all."""
import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, SENTENCES
from core.data.corpora import Sentence, write_pair
from core.labels import spans_to_tags
from helpers.app import NAME, add_span, open_correct, run, save
from storage import documents


def test_the_name_is_asked_once_and_an_empty_queue_says_how_to_fill_it(app_db):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("screens/correct.py").run()
    assert at.text_input(key="correct_annotator_name")  # asked before anything else
    at = open_correct()
    assert "Annotating as **ada**" in at.caption[0].value
    assert any("Nothing here yet" in i.value for i in at.info)


def test_queue_is_least_confident_first_or_with_every_fifth_a_spot_check(app_db):
    sure = documents.add_document(app_db, "张三在上海工作", "test", [[0, 2, "PER"]], "default", 0.99)
    unsure = [documents.add_document(app_db, f"王五去了广州{i}", "test", [], "default", 0.2 + i / 100) for i in range(5)]
    at = open_correct()
    picker = at.selectbox(key="correct_doc")
    assert picker.value == unsure[0]
    assert picker.options == [picker.format_func(i) for i in [*unsure, sure]]
    assert "spot check" not in picker.format_func(sure)
    at.selectbox(key="correct_order").set_value("spot-check")
    picker = run(at).selectbox(key="correct_doc")
    assert picker.options == [picker.format_func(i) for i in [*unsure[:4], sure, unsure[4]]]
    assert "spot check" in picker.format_func(sure) and "spot check" not in picker.format_func(unsure[0])


def test_add_delete_save_and_restore_are_kept_as_revisions(app_db):
    doc_id = documents.add_document(app_db, "张三在上海工作", "test", [[0, 2, "PER"]], "default", 0.5)
    at = open_correct()
    add_span(at, doc_id, "上海", "LOC")
    assert at.session_state[f"correct_work_{doc_id}"].spans == [(0, 2, "PER"), (3, 5, "LOC")]
    save(at, doc_id)
    assert any("revision" in s.value for s in at.success)
    first = documents.history(app_db, doc_id)
    assert [(h["spans"], h["annotator"], h["model_version"]) for h in first] == [
        ([[0, 2, "PER"], [3, 5, "LOC"]], NAME, "default")]

    at.selectbox(key=f"correct_pick_{doc_id}").set_value(0)  # the PER span
    run(at)
    at.button(key=f"correct_delete_{doc_id}").click()
    run(at)
    save(at, doc_id)
    assert [h["spans"] for h in documents.history(app_db, doc_id)] == [[[0, 2, "PER"], [3, 5, "LOC"]], [[3, 5, "LOC"]]]

    # change a span's type and boundaries
    at.selectbox(key=f"correct_pick_{doc_id}").set_value(0)
    run(at)
    at.number_input(key=f"correct_edit_end_{doc_id}_3_5_LOC").set_value(7)
    at.selectbox(key=f"correct_edit_type_{doc_id}_3_5_LOC").set_value("ORG")
    at.button(key=f"correct_update_{doc_id}").click()
    run(at)
    save(at, doc_id)
    assert documents.get_document(app_db, doc_id)["spans"] == [[3, 7, "ORG"]]

    # undo: restore the first version; it becomes the newest revision
    at.selectbox(key=f"correct_history_pick_{doc_id}").set_value(first[0]["id"])
    run(at)
    at.button(key=f"correct_restore_{doc_id}").click()
    run(at)
    saved = documents.history(app_db, doc_id)
    assert len(saved) == 4 and saved[-1]["spans"] == [[0, 2, "PER"], [3, 5, "LOC"]]
    assert at.session_state[f"correct_work_{doc_id}"].spans == [(0, 2, "PER"), (3, 5, "LOC")]


def test_accept_all_saves_the_model_spans(app_db):
    doc_id = documents.add_document(app_db, "王五去了广州", "test", [[0, 2, "PER"], [4, 6, "LOC"]], "default", 0.5)
    at = open_correct()
    at.button(key=f"correct_accept_{doc_id}").click()
    run(at)
    assert documents.get_document(app_db, doc_id)["spans"] == [[0, 2, "PER"], [4, 6, "LOC"]]
    assert documents.get_document(app_db, doc_id)["status"] == "corrected"


def test_a_second_tab_saving_the_same_document_gets_a_conflict_and_loses_nothing(app_db):
    doc_id = documents.add_document(app_db, "张三在上海工作", "test", [], "default", 0.5)
    tab_a, tab_b = open_correct("ada"), open_correct("bob")
    add_span(tab_a, doc_id, "张三", "PER")
    save(tab_a, doc_id)
    add_span(tab_b, doc_id, "上海", "LOC")
    save(tab_b, doc_id)
    assert "ada saved this document" in tab_b.error[0].value
    assert len(documents.history(app_db, doc_id)) == 1  # bob's save did not overwrite ada's
    assert tab_b.session_state[f"correct_work_{doc_id}"].spans == [(3, 5, "LOC")]  # nothing lost
    html = "\n".join(e.proto.body for e in tab_b.get("html"))
    assert 'data-start="0" data-end="2"' in html  # their version is shown

    tab_b.button(key="correct_conflict_mine").click()
    run(tab_b)
    saved = documents.history(app_db, doc_id)
    assert [(h["annotator"], h["spans"]) for h in saved] == [("ada", [[0, 2, "PER"]]), ("bob", [[3, 5, "LOC"]])]


def test_importing_a_pair_refuses_bad_lines_by_number_and_repairs_orphan_i_tags(app_db):
    at = open_correct()
    chars = "张 三 在 上 海\n王 五\n北 京\n"
    tags = "B_PER I_PER O B_LOC I_LOC\nB_PER\nI_LOC I_LOC\n"  # line 2 misaligned, line 3 has no B_
    at.file_uploader(key="correct_import_chars").set_value(("train.txt", chars.encode(), "text/plain"))
    at.file_uploader(key="correct_import_tags").set_value(("train_TAG.txt", tags.encode(), "text/plain"))
    at.button(key="correct_import_pair").click()
    run(at)
    assert "Imported 2 document(s)" in at.success[0].value
    assert "line 2: 2 characters, 1 tags" in at.warning[0].value
    assert "line 3" in at.info[0].value and r"read as B\_" in at.info[0].value  # quoted lines: text, not Markdown
    texts = {d["text"]: d["spans"] for d in documents.corrected_documents(app_db)}
    assert texts == {"张三在上海": [[0, 2, "PER"], [3, 5, "LOC"]], "北京": [[0, 2, "LOC"]]}


def test_importing_json_lines_shows_refused_lines(app_db):
    at = open_correct()
    at.radio(key="correct_import_kind").set_value("JSON lines")
    run(at)
    lines = '{"text": "张三在上海", "spans": [[0, 2, "PER"]]}\nnot json\n{"text": "北京", "spans": [[0, 9, "LOC"]]}\n'
    at.file_uploader(key="correct_import_jsonl").set_value(("spans.jsonl", lines.encode(), "application/jsonl"))
    at.button(key="correct_import_jsonl_go").click()
    run(at)
    assert "Imported 1 document(s)" in at.success[0].value
    assert "line 2" in at.warning[0].value and "line 3" in at.warning[0].value


def test_drawing_sentences_from_a_corpus_tags_and_queues_them(app_db, tmp_path):
    folder = tmp_path / "data" / "corpora" / "msra"
    folder.mkdir(parents=True)
    sentences = [Sentence(list(text), spans_to_tags(spans, len(text))) for text, spans in SENTENCES]
    write_pair(sentences, folder / "test.txt", folder / "test_TAG.txt")
    at = open_correct()
    at.number_input(key="correct_draw_n").set_value(3)
    at.button(key="correct_draw_go").click()
    run(at)
    assert "Added 3 sentences from MSRA test" in at.success[0].value
    queued = documents.queue(app_db)
    assert len(queued) == 3 and {d["source"] for d in queued} == {"corpus:msra/test"}
    assert {d["text"] for d in queued} <= {text for text, _ in SENTENCES}
    assert all(d["predicted_by"] == "default" and 0 <= d["confidence"] <= 1 for d in queued)


def test_a_missing_corpus_says_how_to_prepare_it(app_db):
    at = open_correct()
    at.button(key="correct_draw_go").click()
    run(at)
    assert "is not prepared" in at.error[0].value


def test_apply_to_all_lists_every_place_first_then_labels_them_here_and_in_queued_documents(app_db):
    first = documents.add_document(app_db, "上海人在上海", "test", [], "default", 0.1)
    other = documents.add_document(app_db, "上海很大，上海很美", "test", [], "default", 0.9)
    done = documents.add_document(app_db, "上海", "test", [], "default", 0.5)
    documents.save_correction(app_db, done, [], "bob")
    at = open_correct()
    assert at.selectbox(key="correct_doc").value == first
    add_span(at, first, "上海", "LOC")
    assert at.text_input(key="correct_all_text").value == "上海"  # prefilled with the last span's text
    at.selectbox(key="correct_all_type").set_value("LOC")
    at.button(key="correct_apply_all").click()
    run(at)
    places = next(d.value for d in at.dataframe if "what happens" in d.value.columns)
    assert list(places["document"]) == [f"#{first} (open, unsaved)"] * 2 + [f"#{other}"] * 2  # the open one too
    assert list(places["what happens"]) == ["already labelled", "add", "add", "add"]
    assert any("4 place(s): 3 to label, 1 already labelled, 0 left alone" in c.value
               and "1 more in corrected or imported documents" in c.value for c in at.caption)
    assert documents.get_document(app_db, other)["spans"] == []  # shown, not yet changed

    at.button(key="correct_apply_confirm").click()
    run(at)
    assert ("3 span(s) added, 1 in this document (unsaved) and 2 in 1 other document(s); 1 already labelled; "
            "0 left alone") in at.success[0].value
    assert documents.get_document(app_db, other)["spans"] == [[0, 2, "LOC"], [5, 7, "LOC"]]
    assert at.session_state[f"correct_work_{first}"].spans == [(0, 2, "LOC"), (4, 6, "LOC")]
    assert documents.history(app_db, first) == []  # this document is saved by its own Save
    assert documents.get_document(app_db, done)["spans"] == []


def test_bad_span_bounds_show_an_error_and_change_nothing(app_db):
    doc_id = documents.add_document(app_db, "张三在上海工作", "test", [], "default", 0.5)
    at = open_correct()
    at.number_input(key=f"correct_add_start_{doc_id}").set_value(4)
    at.number_input(key=f"correct_add_end_{doc_id}").set_value(2)
    at.button(key=f"correct_add_{doc_id}").click()
    run(at)
    assert "Not added" in at.error[0].value
    assert at.session_state[f"correct_work_{doc_id}"].spans == []


def test_suggestions_of_an_earlier_version_are_refreshed_with_the_active_one(app_db, tiny_model):
    from core.tagging.predict import Tagger

    old = documents.add_document(app_db, "张三在上海工作", "test", [[0, 7, "ORG"]], "v0", 0.1)
    other = documents.add_document(app_db, "王五去了广州", "test", [], "v0", 0.2)
    current = documents.add_document(app_db, "联合国总部在纽约", "test", [[0, 3, "ORG"]], "default", 0.3)
    at = open_correct()
    assert at.session_state[f"correct_work_{old}"].spans == [(0, 7, "ORG")]  # opened, not edited
    assert any("**2** suggestion(s) waiting for review were made by another version" in m.value for m in at.markdown)
    at.button(key="correct_refresh").click()
    run(at)
    assert any("Refreshed 2 suggestion(s) with default" in s.value for s in at.success)
    assert "correct_refresh" not in [b.key for b in at.button]  # nothing stale is left to offer
    expected = {r.text: [list(span) for span in r.spans]
                for r in Tagger.from_folder(tiny_model).tag_texts(["张三在上海工作", "王五去了广州"])}
    for doc_id in (old, other):
        doc = documents.get_document(app_db, doc_id)
        assert doc["predicted_by"] == "default" and doc["predicted_spans"] == expected[doc["text"]]
    assert documents.get_document(app_db, current)["predicted_spans"] == [[0, 3, "ORG"]]
    # The open editor shows the refreshed suggestion, not the stale one it had loaded.
    open_id = at.selectbox(key="correct_doc").value
    assert [list(s) for s in at.session_state[f"correct_work_{open_id}"].spans] == \
        documents.get_document(app_db, open_id)["predicted_spans"]
    assert expected["张三在上海工作"] != [[0, 7, "ORG"]]


def test_with_the_active_version_damaged_the_refresh_uses_the_default_and_then_ends(app_db, tiny_model, tmp_path):
    import shutil

    from storage.versions import ensure_default_version, register_version, set_active
    from conftest import damage

    ensure_default_version(app_db, tiny_model)
    broken = shutil.copytree(tiny_model, tmp_path / "v2")
    set_active(app_db, register_version(app_db, "v2", broken))
    damage(broken, "4 KB of weights flipped")
    doc_id = documents.add_document(app_db, "张三在上海工作", "test", [[0, 7, "ORG"]], "v1", 0.1)
    at = open_correct()
    assert any("the version in use is **default**" in m.value for m in at.markdown)
    at.button(key="correct_refresh").click()
    run(at)
    assert any("Refreshed 1 suggestion(s) with default" in s.value for s in at.success)
    assert documents.get_document(app_db, doc_id)["predicted_by"] == "default"
    assert "correct_refresh" not in [b.key for b in at.button]  # not offered again for the damaged v2


def test_raw_text_imports_get_the_active_models_suggestions(app_db, tiny_model):
    """Issue 22: a JSON line without spans was queued untagged (no spans, no confidence), and the
    page then called it a suggestion 'made by another version'. The active version tags it on import."""
    from core.tagging.predict import Tagger

    at = open_correct()
    at.radio(key="correct_import_kind").set_value("JSON lines")
    run(at)
    lines = '{"text": "张三在上海工作"}\n{"text": "北京", "spans": [[0, 2, "LOC"]]}\n'
    at.file_uploader(key="correct_import_jsonl").set_value(("raw.jsonl", lines.encode(), "application/jsonl"))
    at.button(key="correct_import_jsonl_go").click()
    run(at)
    assert "Imported 2 document(s)" in at.success[0].value
    assert "1 without annotations tagged by default" in at.success[0].value
    [raw] = [d for d in documents.queue(app_db) if d["text"] == "张三在上海工作"]
    [expected] = Tagger.from_folder(tiny_model).tag_texts(["张三在上海工作"])
    assert raw["predicted_by"] == "default" and raw["status"] == "new"
    assert raw["predicted_spans"] == [list(span) for span in expected.spans]
    assert raw["confidence"] == pytest.approx(expected.lowest_confidence)
    [annotated] = [d for d in documents.queue(app_db) if d["text"] == "北京"]
    assert annotated["predicted_by"] == "import:raw.jsonl"  # a file's own annotations stay the file's
    run(at)
    assert "correct_refresh" not in [b.key for b in at.button]  # not "made by another version"
    documents.add_document(app_db, "王五去了广州", "an import before imports were tagged")
    run(at)
    assert any(m.value.startswith("**1** document(s) waiting for review have no suggestions yet; the version in use")
               for m in at.markdown)

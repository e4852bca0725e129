"""Refreshing the queue's suggestions after a new version is promoted, on a real SQLite file with
the tiny model: only unsaved model suggestions change; imports and corrections never do."""
from __future__ import annotations

import pytest

from core.tagging.predict import Tagger
from storage import suggestions
from storage.documents import add_document, get_document, queue, save_correction
from storage.files import import_jsonl


def test_only_unsaved_model_suggestions_of_another_version_are_refreshed(db, tmp_path, tiny_model):
    tagger = Tagger.from_folder(tiny_model)
    wrong = add_document(db, "张三在北京工作", "test", [[0, 7, "ORG"]], "v1", confidence=0.01)
    unscored = add_document(db, "李四去了上海", "test")
    current = add_document(db, "王五住在广州", "test", [[0, 2, "LOC"]], "v2", confidence=0.5)
    saved = add_document(db, "赵六在深圳", "test", [[0, 2, "LOC"]], "v1", confidence=0.2)
    save_correction(db, saved, [[0, 2, "PER"]], "ada", "v1")
    path = tmp_path / "in.jsonl"
    path.write_text('{"text": "孙七到杭州", "spans": [[0, 2, "ORG"]]}\n', encoding="utf-8")
    [imported] = import_jsonl(db, path, source="import:in.jsonl")["document_ids"]

    assert [row["id"] for row in suggestions.stale(db, "v2")] == [wrong, unscored]
    assert suggestions.stale_count(db, "v2") == 2
    seen = []
    refreshed = suggestions.refresh(db, tagger.tag_texts, "v2", progress=lambda done, total: seen.append((done, total)))

    assert refreshed == [wrong, unscored] and seen == [(2, 2)]
    assert suggestions.stale_count(db, "v2") == 0
    for doc_id in refreshed:
        doc = get_document(db, doc_id)
        [expected] = tagger.tag_texts([doc["text"]])
        assert doc["predicted_by"] == "v2"
        assert doc["predicted_spans"] == [list(span) for span in expected.spans]
        assert doc["confidence"] == pytest.approx(expected.lowest_confidence)
    assert get_document(db, wrong)["predicted_spans"] != [[0, 7, "ORG"]]  # v1's suggestion is gone
    untouched = {current: ([[0, 2, "LOC"]], "v2", 0.5), saved: ([[0, 2, "LOC"]], "v1", 0.2)}
    for doc_id, (spans, by, confidence) in untouched.items():
        doc = get_document(db, doc_id)
        assert (doc["predicted_spans"], doc["predicted_by"], doc["confidence"]) == (spans, by, confidence)
    assert get_document(db, saved)["spans"] == [[0, 2, "PER"]]
    assert get_document(db, imported)["spans"] == [[0, 2, "ORG"]]
    # The queue is ordered by the new version's confidence.
    order = [row["id"] for row in queue(db, status="new")]
    assert order == sorted(order, key=lambda i: (get_document(db, i)["confidence"], i))


def test_a_document_saved_while_its_batch_is_tagged_keeps_the_save(db, tiny_model):
    tagger = Tagger.from_folder(tiny_model)
    first = add_document(db, "张三在北京工作", "test", [], "v1", confidence=0.3)
    second = add_document(db, "李四去了上海", "test", [], "v1", confidence=0.3)

    def tag_while_someone_saves(texts):
        save_correction(db, first, [[0, 2, "PER"]], "ada", "v1")
        return tagger.tag_texts(texts)

    assert suggestions.refresh(db, tag_while_someone_saves, "v2") == [second]
    doc = get_document(db, first)
    assert doc["predicted_by"] == "v1" and doc["spans"] == [[0, 2, "PER"]] and doc["status"] == "corrected"


def test_a_refresh_cut_short_keeps_the_batches_it_finished(db, tiny_model, monkeypatch):
    monkeypatch.setattr(suggestions, "BATCH", 2)
    tagger = Tagger.from_folder(tiny_model)
    ids = [add_document(db, text, "test", [], "v1", confidence=0.3) for text in ["张三在北京", "李四去上海", "王五住广州"]]
    calls = []

    def tag_then_fail(texts):
        calls.append(texts)
        if len(calls) == 2:
            raise KeyboardInterrupt  # the page was left, or the process stopped
        return tagger.tag_texts(texts)

    with pytest.raises(KeyboardInterrupt):
        suggestions.refresh(db, tag_then_fail, "v2")
    assert [get_document(db, i)["predicted_by"] for i in ids] == ["v2", "v2", "v1"]
    assert [row["id"] for row in suggestions.stale(db, "v2")] == [ids[2]]
    assert suggestions.refresh(db, tagger.tag_texts, "v2") == [ids[2]]

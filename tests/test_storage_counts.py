"""The count that trains: an imported suggestion is annotated (exports carry it) but not reviewed."""
import json

from storage.db import connect
from storage.documents import add_document, corrected_documents, reviewed_documents, save_correction
from storage.files import import_jsonl
from storage.snapshots import counts


def test_unreviewed_imports_are_exported_but_not_counted_as_training(tmp_path):
    db = connect(tmp_path / "studio.db")
    doc = add_document(db, "张三在北京。", source="typed")
    save_correction(db, doc, [(0, 2, "PER"), (3, 5, "LOC")], annotator="ann")
    upload = tmp_path / "suggestions.jsonl"
    upload.write_text(json.dumps({"text": "李四去上海。", "spans": [[0, 2, "PER"]]}, ensure_ascii=False) + "\n",
                      encoding="utf-8")
    import_jsonl(db, upload, source="import:suggestions.jsonl")
    assert sorted(d["text"] for d in corrected_documents(db)) == ["张三在北京。", "李四去上海。"]
    assert [d["text"] for d in reviewed_documents(db)] == ["张三在北京。"]
    assert counts(db) == {"train": len(reviewed_documents(db)), "heldout": 0}

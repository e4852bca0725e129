"""The Correct page's other tools' formats through the whole app (a tiny model, a temporary
database): a Label Studio file with a bad task, a reviewed doccano import, plain text the model
suggests, and the exports' downloads."""
import json

from helpers.app import open_correct, run

from storage import documents


def upload(at, kind: str, name: str, data: bytes, reviewed: bool = False):
    at.radio(key="correct_import_kind").set_value(kind)
    run(at)
    at.checkbox(key="correct_import_reviewed").set_value(reviewed)
    key = {"Label Studio JSON": "label-studio", "doccano JSONL": "doccano", "Plain text": "text"}[kind]
    at.file_uploader(key=f"correct_import_{key}").set_value((name, data, "application/octet-stream"))
    at.button(key=f"correct_import_{key}_go").click()
    return run(at)


def test_a_label_studio_file_comes_in_as_suggestions_and_a_bad_task_is_named(app_db):
    tasks = [{"data": {"text": "张三在上海😀"}, "annotations": [{"result": [{"type": "labels", "value": {
        "start": 0, "end": 2, "text": "张三", "labels": ["Person"]}}]}]},
             {"data": {"text": "坏"}, "annotations": [{"result": [{"type": "labels", "value": {
                 "start": 0, "end": 1, "text": "坏", "labels": ["Product"]}}]}]}]
    at = upload(open_correct(), "Label Studio JSON", "tasks.json", json.dumps(tasks, ensure_ascii=False, indent=1).encode())
    assert "Imported 1 document(s)" in at.success[0].value
    assert "line 24" in at.warning[0].value  # where the second task begins in the indented file and "Product" in at.warning[0].value
    [doc] = documents.documents_in(app_db, ("imported",))
    assert doc["spans"] == [[0, 2, "PER"]] and documents.reviewed_documents(app_db) == []


def test_a_reviewed_doccano_import_is_corrected_under_the_importers_name(app_db):
    line = json.dumps({"text": "王五去了广州", "label": [[0, 2, "PER"], [4, 6, "LOC"]]}, ensure_ascii=False)
    upload(open_correct(), "doccano JSONL", "d.jsonl", line.encode(), reviewed=True)
    [doc] = documents.reviewed_documents(app_db)
    assert documents.history(app_db, doc["id"])[0]["annotator"] == "ada"


def test_plain_text_gets_the_active_models_suggestions_and_exports_offer_the_formats(app_db):
    at = upload(open_correct(), "Plain text", "a.txt", "张三在上海工作\n王五去了广州\n".encode())
    assert "2 without annotations tagged by" in at.success[0].value
    assert len(documents.queue(app_db, status="to review")) == 2
    documents.save_correction(app_db, documents.queue(app_db)[0]["id"], [[0, 2, "PER"]], "ada")
    run(at)
    labels = {button.proto.label for button in at.get("download_button")}
    assert {"Label Studio JSON", "doccano JSONL", "CoNLL with # lines", "CoNLL"} <= labels

"""Label Studio's ML-backend protocol (service/label_studio.py), driven by the requests a real Label
Studio 1.23.2 sent to the service (recorded by bench/label_studio.py into label_studio_recorded.json),
over a real uvicorn, a tiny model and a real SQLite studio."""
import copy
import json
from pathlib import Path

import pytest
from serving import call, serving

from service.access import Studio
from service.app import build_app
from service.source import ModelSource
from storage import documents

RECORDED = json.loads((Path(__file__).parent / "label_studio_recorded.json").read_text(encoding="utf-8"))
NAMES = {"PER": "Person", "LOC": "Location", "ORG": "Organization", "T": "时间"}  # the recorded project's labels


@pytest.fixture
def studio(tmp_path):
    return Studio(tmp_path / "studio.db")


@pytest.fixture
def url(tiny_model, studio):
    with serving(build_app(ModelSource(folder=tiny_model, studio=studio), studio)) as base:
        yield base


def test_health_and_setup_answer_as_label_studio_expects(url, tiny_model):
    assert call(f"{url}/health") == (200, {"status": "UP", "model_class": "NERStudio", "model_version": tiny_model.name})
    assert call(f"{url}/setup", RECORDED["setup"]) == (200, {"model_version": tiny_model.name})


def test_predict_answers_each_task_in_the_projects_label_names(url, tiny_model):
    from core.tagging.predict import Tagger

    request = copy.deepcopy(RECORDED["predict"])
    request["tasks"] += [{"id": 9, "data": {"text": "张三在上海工作"}}, {"id": 10, "data": {}}]
    status, answer = call(f"{url}/predict", request)
    assert status == 200 and len(answer["results"]) == len(request["tasks"])
    texts = [task["data"].get("text") for task in request["tasks"]]
    tagged = Tagger.from_folder(tiny_model).tag_texts([t for t in texts if t])
    for prediction, text, expected in zip(answer["results"], texts, tagged):
        assert prediction["model_version"] == tiny_model.name
        assert prediction["score"] == pytest.approx(expected.lowest_confidence)
        assert [(r["from_name"], r["to_name"], r["type"]) for r in prediction["result"]] == \
            [("label", "text", "labels")] * len(expected.entities)
        assert [(r["value"]["start"], r["value"]["end"], r["value"]["text"], r["value"]["labels"]) for r in prediction["result"]] == \
            [(e.start, e.end, text[e.start:e.end], [NAMES[e.label]]) for e in expected.entities]
    assert answer["results"][-1] == {"result": [], "score": 0.0, "model_version": tiny_model.name}  # no text
    assert any(p["result"] for p in answer["results"])


def test_predict_refuses_a_config_without_labels_over_text(url):
    request = {**RECORDED["predict"], "label_config": '<View><Image name="i" value="$image"/></View>'}
    status, answer = call(f"{url}/predict", request)
    assert status == 422 and "not a NER project" in answer["detail"]


def test_a_submitted_annotation_becomes_a_correction_with_history(url, studio):
    status, answer = call(f"{url}/webhook", RECORDED["webhook_annotation_created"])
    assert status == 201 and answer["status"] == "ok" and answer["revision"] == 1
    doc = documents.get_document(studio.db, answer["document_id"])
    assert doc["text"] == "1998年元旦，李四去了上海浦东。😀"
    assert (doc["status"], doc["spans"]) == ("corrected", [[8, 10, "PER"], [12, 14, "LOC"]])
    first = documents.history(studio.db, doc["id"])[0]
    assert first["annotator"] == "label-studio:user 1"
    assert first["note"] == "Label Studio project 1, task 1, annotation 1 (created; sent as local)"

    assert call(f"{url}/webhook", RECORDED["webhook_annotation_created"])[1]["revision"] == 1  # sent twice, saved once
    updated = copy.deepcopy(RECORDED["webhook_annotation_created"])
    updated["action"] = "ANNOTATION_UPDATED"
    updated["annotation"]["result"].append({"from_name": "label", "to_name": "text", "type": "labels",
                                            "value": {"start": 0, "end": 7, "text": "1998年元旦", "labels": ["时间"]}})
    status, answer = call(f"{url}/webhook", updated)
    assert (status, answer["revision"]) == (201, 2)
    assert documents.get_document(studio.db, doc["id"])["spans"] == [[0, 7, "T"], [8, 10, "PER"], [12, 14, "LOC"]]


def test_an_annotation_for_a_queued_document_corrects_that_document(url, studio):
    text = RECORDED["webhook_annotation_created"]["task"]["data"]["text"]
    queued = documents.add_document(studio.db, text, "corpus:x", [[8, 10, "PER"]], "fast", 0.4)
    assert call(f"{url}/webhook", RECORDED["webhook_annotation_created"])[1]["document_id"] == queued
    assert documents.get_document(studio.db, queued)["status"] == "corrected"


def test_other_events_and_skipped_tasks_are_ignored(url, studio):
    assert call(f"{url}/webhook", RECORDED["webhook_tasks_created"])[0] == 200
    skipped = copy.deepcopy(RECORDED["webhook_annotation_created"])
    skipped["annotation"]["was_cancelled"] = True
    assert call(f"{url}/webhook", skipped) == (200, {"status": "ignored", "reason": "the annotator skipped the task"})
    assert documents.status_counts(studio.db)["corrected"] == 0


def test_a_bad_annotation_is_422_and_names_it(url):
    bad = copy.deepcopy(RECORDED["webhook_annotation_created"])
    bad["annotation"]["result"][0]["value"]["labels"] = ["Product"]
    status, answer = call(f"{url}/webhook", bad)
    assert status == 422 and "annotation 1" in answer["detail"] and "'Product'" in answer["detail"]


def test_the_older_train_call_saves_every_annotated_task(url, studio):
    event = RECORDED["webhook_annotation_created"]
    task = {**event["task"], "annotations": [event["annotation"]]}
    request = {"annotations": [task, {"id": 2, "data": {"text": "没有标注"}, "annotations": []}],
               "project": "1.1796556384", "label_config": RECORDED["predict"]["label_config"]}
    assert call(f"{url}/train", request) == (200, {"status": "ok", "saved": 1, "problems": []})
    assert call(f"{url}/train", request)[1]["saved"] == 0  # nothing new


def test_without_a_studio_the_webhook_says_how_to_start_one(tiny_model):
    with serving(build_app(ModelSource(folder=tiny_model))) as base:
        status, answer = call(f"{base}/webhook", RECORDED["webhook_annotation_created"])
    assert status == 409 and "--studio" in answer["detail"]

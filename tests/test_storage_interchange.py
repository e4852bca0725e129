"""Label Studio, doccano, CoNLL, plain text and CSV files in and out of a real studio database
(storage/interchange.py): suggestions unless reviewed, bad lines named, exports with provenance."""
import json

import pytest

from storage import documents, interchange, suggestions
from storage.db import connect

TEXT = "😀今天　Tim Cook在北京访问了清华大学。🎉"
LABELS = [[4, 12, "PER"], [13, 15, "LOC"], [18, 22, "ORG"]]


def doccano_file(tmp_path, lines):
    path = tmp_path / "d.jsonl"
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" if isinstance(line, dict) else line + "\n"
                            for line in lines), encoding="utf-8")
    return path


def test_imported_annotations_stay_suggestions_unless_marked_reviewed(db, tmp_path):
    path = doccano_file(tmp_path, [{"text": TEXT, "label": LABELS, "annotator": "ada"}])
    result = interchange.import_file(db, path, "doccano", source="import:d.jsonl")
    doc = documents.get_document(db, result["document_ids"][0])
    assert (doc["status"], doc["spans"], doc["predicted_by"], doc["revision"]) == ("imported", LABELS, "import:d.jsonl", None)
    assert documents.reviewed_documents(db) == []

    result = interchange.import_file(db, path, "doccano", source="import:d.jsonl", reviewed=True, importer="bo")
    doc = documents.get_document(db, result["document_ids"][0])
    history = documents.history(db, doc["id"])
    assert doc["status"] == "corrected" and doc["spans"] == LABELS
    assert history[0]["annotator"] == "bo" and history[0]["note"] == "imported from d.jsonl, line 1; annotated by ada"


def test_a_label_studio_prediction_stays_a_suggestion_even_when_reviewed(db, tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"data": {"text": "张三在上海"}, "predictions": [{"model_version": "bert-v2", "score": 0.4,
                    "result": [{"type": "labels", "value": {"start": 0, "end": 2, "text": "张三", "labels": ["PER"]}}]}]}],
                    ensure_ascii=False), encoding="utf-8")
    result = interchange.import_file(db, path, "label-studio", source="import:tasks.json", reviewed=True, importer="bo")
    doc = documents.get_document(db, result["document_ids"][0])
    assert (doc["status"], doc["predicted_by"], doc["confidence"]) == ("imported", "import:tasks.json (bert-v2)", 0.4)


def test_a_bad_line_is_named_and_the_good_lines_come_in(db, tmp_path):
    path = doccano_file(tmp_path, [{"text": "张三", "label": [[0, 2, "PER"]]}, '{"text": "坏", "label": [[0, 1,',
                                   {"text": "王五", "label": [[0, 2, "PRODUCT"]]}, {"text": "李四", "label": [[0, 2, "人名"]]}])
    result = interchange.import_file(db, path, "doccano", source="import:d.jsonl")
    assert result["imported"] == 2 and len(result["refused"]) == 2
    assert result["refused"][0].startswith("line 2: not JSON") and result["refused"][1].startswith("line 3: label 'PRODUCT'")
    assert [documents.get_document(db, i)["spans"] for i in result["document_ids"]] == [[[0, 2, "PER"]], [[0, 2, "PER"]]]


@pytest.mark.parametrize("kind", interchange.EXPORTS)
def test_export_then_import_is_exact_for_every_format(db, tmp_path, kind):
    path = doccano_file(tmp_path, [{"text": TEXT, "label": LABELS}, {"text": "上海　🚀 Shanghai", "label": [[0, 2, "LOC"], [5, 13, "LOC"]]},
                                   {"text": "没有实体 at all", "label": []}])
    interchange.import_file(db, path, "doccano", source="import:d.jsonl", reviewed=True, importer="ada")
    exported = tmp_path / f"out.{kind}"
    exported.write_text(interchange.export_string(db, kind), encoding="utf-8")
    other = connect(tmp_path / "other.db")
    result = interchange.import_file(other, exported, kind, source="x")
    assert result["refused"] == []
    assert [(d["text"], d["spans"]) for d in documents.documents_in(other, ("imported",))] == \
        [(d["text"], d["spans"]) for d in documents.documents_in(db, ("corrected",))]


def test_exports_say_who_annotated_when_and_with_which_models_suggestions(db):
    doc_id = documents.add_document(db, "张三在上海", "corpus:msra/test", [[0, 2, "PER"]], "fast-v1", 0.3)
    documents.save_correction(db, doc_id, [[0, 2, "PER"], [3, 5, "LOC"]], "ada", "fast-v1")
    line = json.loads(interchange.export_string(db, "doccano"))
    assert line["annotator"] == "ada" and line["suggested_by"] == "fast-v1" and line["annotated_at"][:2] == "20"
    task = json.loads(interchange.export_string(db, "label-studio"))[0]
    assert task["meta"]["ner_studio"]["annotator"] == "ada"
    assert [r["value"]["labels"] for r in task["annotations"][0]["result"]] == [["PER"], ["LOC"]]
    assert task["predictions"][0]["model_version"] == "fast-v1" and len(task["predictions"][0]["result"]) == 1
    conll = interchange.export_string(db, "conll").splitlines()
    assert conll[:4] == [f"# document_id = {doc_id}", "# annotator = ada", conll[2], "# suggested_by = fast-v1"]
    assert "张\tB-PER" in conll and "海\tI-LOC" in conll
    assert "ada" not in interchange.export_string(db, "conll", provenance=False)


def test_plain_text_and_csv_come_in_for_the_model_to_suggest(db, tmp_path, tiny_model):
    from core.tagging.predict import Tagger

    (tmp_path / "a.txt").write_text("张三在上海工作\n\n王五去了广州\n", encoding="utf-8")
    (tmp_path / "b.csv").write_text('id,text\n1,联合国总部在纽约\n2,"新华社记者李四\n报道"\n3,\n', encoding="utf-8")
    text = interchange.import_file(db, tmp_path / "a.txt", "text", source="import:a.txt")
    table = interchange.import_file(db, tmp_path / "b.csv", "csv", source="import:b.csv")
    assert text["refused"] == [] and len(text["untagged_ids"]) == 2
    assert table["refused"] == ["line 5: the text is missing or blank: ''"] and len(table["untagged_ids"]) == 2
    assert documents.get_document(db, table["untagged_ids"][1])["text"] == "新华社记者李四\n报道"
    ids = text["untagged_ids"] + table["untagged_ids"]
    tagged = suggestions.suggest(db, ids, Tagger.from_folder(tiny_model).tag_texts, "tiny")
    assert tagged == ids and {documents.get_document(db, i)["predicted_by"] for i in ids} == {"tiny"}


def test_label_studio_export_can_carry_each_annotators_version_and_reads_back_as_the_settled_one(tmp_path):
    from storage import accounts, reviews, team, team_versions
    from storage.interchange_cli import main

    studio = connect(tmp_path / "studio.db")
    for name, role in (("root", "admin"), ("ada", "annotator"), ("bo", "annotator")):
        accounts.add_account(studio, name, "a long password", role)
    team.set_overlap(studio, "root", 2)
    doc_id = documents.add_document(studio, "张三在上海工作", "test", predicted_spans=[[0, 2, "PER"]])
    waiting = documents.add_document(studio, "李四去北京", "test")
    team_versions.save_version(studio, doc_id, [[0, 2, "PER"], [3, 5, "LOC"]], "ada")
    team_versions.save_version(studio, doc_id, [[0, 2, "PER"], [3, 5, "ORG"]], "bo")
    team_versions.save_version(studio, waiting, [[0, 2, "PER"]], "ada")  # not settled: stays private
    reviews.resolve(studio, doc_id, "root", [[0, 2, "PER"]], "edited")  # neither version
    [plain] = json.loads(interchange.export_string(studio, "label-studio"))
    assert len(plain["annotations"]) == 1  # off by default
    assert main(["export", "-o", str(tmp_path / "out.json"), "--format", "label-studio", "--versions",
                 "--db", str(tmp_path / "studio.db")]) == 0
    [task] = json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    saved = {v["annotator"]: v["created_at"] for v in team_versions.versions(studio, doc_id, "root").values()}
    *own, settled = task["annotations"]
    assert [(a["completed_by"], a["created_at"], [r["value"]["labels"][0] for r in a["result"]]) for a in own] == [
        ("ada", saved["ada"], ["PER", "LOC"]), ("bo", saved["bo"], ["PER", "ORG"])]
    assert [r["value"]["labels"][0] for r in settled["result"]] == ["PER"] and "completed_by" not in settled

    back = connect(tmp_path / "back.db")
    result = interchange.import_file(back, tmp_path / "out.json", "label-studio", "import:out.json",
                                     reviewed=True, importer="root")
    assert documents.get_document(back, result["document_ids"][0])["spans"] == [[0, 2, "PER"]]
    with pytest.raises(ValueError, match="Label Studio JSON only"):
        interchange.export_string(studio, "doccano", versions=True)

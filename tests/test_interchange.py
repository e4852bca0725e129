"""Other tools' formats (core/data/interchange.py, core/data/label_studio.py): exact round trips for
Chinese with emoji, full-width spaces and Latin words; bad records named by line, the rest read."""
import json

import pytest

from core.data import interchange, label_studio
from core.data.interchange import Record
from core.labels import ENTITY_TYPES, Span

# An emoji before the entities (an astral code point: one character to us, two UTF-16 units to
# JavaScript), a full-width space (U+3000) and a Latin name with an inner space.
TEXT = "😀今天　Tim Cook在北京访问了清华大学。🎉"
SPANS = [Span(4, 12, "PER"), Span(13, 15, "LOC"), Span(18, 22, "ORG")]
LABELS = ENTITY_TYPES


def test_the_fixture_spans_are_what_they_say():
    assert [TEXT[s:e] for s, e, _ in SPANS] == ["Tim Cook", "北京", "清华大学"]
    assert TEXT[3] == "\u3000"


def records():
    return [Record(TEXT, SPANS, annotated=True, annotator="ada", annotated_at="2026-01-02T03:04:05.000+00:00",
                   suggested_by="default", extra={"document_id": 7}),
            Record("没有实体的句子 with Latin", [], annotated=True, annotator="bo"),
            Record("上海　🚀 Shanghai", [Span(0, 2, "LOC"), Span(5, 13, "LOC")], annotated=False,
                   suggested_by="import:a.jsonl", confidence=0.5)]


def test_doccano_round_trip_is_exact(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_text("\n".join(interchange.doccano_line(r) for r in records()) + "\n", encoding="utf-8")
    back = [r for _, r, _ in interchange.read_doccano(path, LABELS)]
    assert [(r.text, r.spans) for r in back] == [(r.text, list(r.spans)) for r in records()]
    assert back[0].annotator == "ada" and back[0].annotated_at.startswith("2026") and back[0].suggested_by == "default"
    assert json.loads(path.read_text(encoding="utf-8").splitlines()[0])["label"] == [[4, 12, "PER"], [13, 15, "LOC"],
                                                                                     [18, 22, "ORG"]]


def test_conll_round_trip_is_exact_and_uses_dashes(tmp_path):
    path = tmp_path / "d.conll"
    path.write_text("\n".join(line for r in records() for line in interchange.conll_lines(r)) + "\n", encoding="utf-8")
    lines = path.read_text(encoding="utf-8").splitlines()
    assert "T\tB-PER" in lines and "i\tI-PER" in lines and "<U+0020>\tI-PER" in lines and "<U+3000>\tO" in lines
    assert "# annotator = ada" in lines and "# document_id = 7" in lines
    back = [r for _, r, _ in interchange.read_conll_bio(path, LABELS)]
    assert [(r.text, r.spans) for r in back] == [(r.text, list(r.spans)) for r in records()]
    assert back[0].annotator == "ada" and back[0].extra == {"document_id": "7"}


def test_label_studio_round_trip_is_exact(tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([label_studio.record_task(r, suggested=[SPANS[0]]) for r in records()],
                               ensure_ascii=False, indent=2), encoding="utf-8")
    back = [r for _, r, _ in label_studio.read_label_studio(path, LABELS)]
    assert [(r.text, r.spans) for r in back] == [(r.text, list(r.spans)) for r in records()]
    assert [r.annotated for r in back] == [True, True, False]  # a prediction stays a suggestion
    assert back[0].annotator == "ada" and back[0].suggested_by == "default" and back[0].extra == {"document_id": 7}
    assert back[2].suggested_by == "import:a.jsonl" and back[2].confidence == 0.5


def test_a_bad_label_studio_task_names_its_line_and_the_next_tasks_come_in(tmp_path):
    good = json.dumps({"data": {"text": "张三在上海"}, "annotations": [{"result": [
        {"type": "labels", "from_name": "label", "to_name": "text",
         "value": {"start": 0, "end": 2, "text": "张三", "labels": ["Person"]}}]}]}, ensure_ascii=False)
    broken = '{"data": {"text": "坏的" "annotations": []}'  # a missing comma
    unknown = json.dumps({"data": {"text": "苹果手机"}, "annotations": [{"result": [
        {"type": "labels", "value": {"start": 0, "end": 2, "text": "苹果", "labels": ["Product"]}}]}]})
    path = tmp_path / "tasks.json"
    path.write_text("[\n" + ",\n".join([good, broken, unknown, good]) + "\n]\n", encoding="utf-8")
    out = list(label_studio.read_label_studio(path, LABELS))
    assert [line for line, _, _ in out] == [2, 3, 4, 5]
    assert out[0][1].spans == [Span(0, 2, "PER")] and out[3][1].spans == [Span(0, 2, "PER")]
    assert out[1][1] is None and "not JSON" in out[1][2]
    assert out[2][1] is None and "'Product'" in out[2][2]


def test_utf16_offsets_from_an_older_label_studio_are_read_when_value_text_says_so(tmp_path):
    task = {"data": {"text": "💩这是北京"}, "annotations": [{"result": [
        {"type": "labels", "value": {"start": 4, "end": 6, "text": "北京", "labels": ["LOC"]}}]}]}
    record = label_studio.task_record(task, LABELS)
    assert record.spans == [Span(3, 5, "LOC")]
    task["annotations"][0]["result"][0]["value"]["text"] = "上海"
    with pytest.raises(ValueError, match="'上海' is not the text"):
        label_studio.task_record(task, LABELS)


def test_a_task_without_annotations_or_predictions_has_no_spans_and_skipped_ones_do_not_count():
    assert label_studio.task_record({"data": {"text": "你好"}}, LABELS).spans is None
    skipped = {"data": {"text": "你好"}, "annotations": [{"was_cancelled": True, "result": []}]}
    assert label_studio.task_record(skipped, LABELS).spans is None


def test_doccano_bad_lines_are_named_and_good_ones_come_in(tmp_path):
    path = tmp_path / "d.jsonl"
    path.write_bytes("\n".join([
        json.dumps({"text": "张三", "label": [[0, 2, "PER"]]}, ensure_ascii=False),
        '{"text": "李四", "label": [[0, 2, "PER"]]',  # cut short
        json.dumps({"text": "王五", "label": [[0, 5, "PER"]]}, ensure_ascii=False),
        json.dumps({"text": "只有文本"}, ensure_ascii=False),
    ]).encode("utf-8") + b"\n\xff\xfe bad bytes\n")
    out = list(interchange.read_doccano(path, LABELS))
    assert [(line, r is not None) for line, r, _ in out] == [(1, True), (2, False), (3, False), (4, True), (5, False)]
    assert "not JSON" in out[1][2] and "outside the text" in out[2][2] and "UTF-8" in out[4][2]
    assert out[3][1].spans is None and not out[3][1].annotated


def test_conll_reads_bioes_spaces_and_names_a_bad_row(tmp_path):
    path = tmp_path / "d.conll"
    path.write_text("-DOCSTART- O\n\n张 S-PER\n去 O\n北 B-LOC\n京 E-LOC\n\n坏\tB-FOO\n\n好\tO\n", encoding="utf-8")
    out = list(interchange.read_conll_bio(path, LABELS))
    assert out[0][1].text == "张去北京" and out[0][1].spans == [Span(0, 1, "PER"), Span(2, 4, "LOC")]
    assert out[1][0] == 8 and out[1][1] is None and "'B-FOO'" in out[1][2]
    assert out[2][1].text == "好"


def test_label_config_maps_labels_by_predicted_values_then_by_name():
    config = """<View><Text name="txt" value="$content"/>
      <Labels name="ner" toName="txt"><Label value="Person"/><Label value="地名"/>
        <Label value="Company" predicted_values="ORG"/><Label value="Misc"/></Labels></View>"""
    parsed = label_studio.parse_label_config(config, LABELS)
    assert (parsed.from_name, parsed.to_name, parsed.value) == ("ner", "txt", "content")
    assert parsed.label_map == {"PER": "Person", "LOC": "地名", "ORG": "Company"}
    with pytest.raises(ValueError, match="not a NER project"):
        label_studio.parse_label_config('<View><Image name="i" value="$image"/></View>', LABELS)

"""Label Studio's JSON: tasks with annotations and predictions <-> our records, and the labelling
config an ML backend is sent. Pure: no SQL, no HTTP (service/label_studio.py speaks the protocol).

A task is {"data": {"text": ...}, "annotations": [{"result": [...]}], "predictions": [...]}; a
result is {"from_name", "to_name", "type": "labels", "value": {"start", "end", "text", "labels"}}.
Offsets are code points, as Label Studio has stored them since its emoji fix (label-studio #1008);
files from older versions counted UTF-16 units after an emoji, so where value.text disagrees with
the offsets, the UTF-16 reading is tried before the task is refused.
"""
from __future__ import annotations

import json
import xml.etree.ElementTree as ElementTree
from dataclasses import dataclass

from core.data.corpora import readable_file
from core.data.interchange import Record, check_text, checked_spans, our_label
from core.labels import Span

FROM_NAME, TO_NAME = "label", "text"  # Label Studio's own NER template's names


# ---- reading a file: a JSON array of tasks, one task, or a task a line ----------------------
def read_label_studio(path, labels):
    """(line, Record | None, problem | None) per task. A task that does not parse (a syntax error
    inside it) is one problem; reading resumes at the next task."""
    data = readable_file(path).read_bytes()
    try:
        text = data.decode("utf-8").removeprefix("\ufeff")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise ValueError(f"{path}: line {line}: not UTF-8 text; save it as UTF-8") from None
    for line, task, problem in _tasks(text):
        if problem is not None:
            yield line, None, problem
            continue
        try:
            yield line, task_record(task, labels), None
        except ValueError as error:
            yield line, None, str(error)


def _tasks(text: str):
    start = _skip(text, 0)
    if start == len(text):
        return
    if text[start] == "[":
        yield from _array(text, start + 1)
        return
    try:
        yield text.count("\n", 0, start) + 1, json.loads(text), None  # one task
    except json.JSONDecodeError:  # a task a line (JSON lines)
        for number, line in enumerate(text.split("\n"), 1):
            if line.strip():
                try:
                    yield number, json.loads(line), None
                except json.JSONDecodeError as error:
                    yield number, None, f"not JSON at column {error.colno} ({error.msg})"


_DECODER = json.JSONDecoder()


def _array(text: str, pos: int):
    pos = _skip(text, pos)
    if text.startswith("]", pos):
        return
    while pos < len(text):
        line = text.count("\n", 0, pos) + 1
        try:
            task, end = _DECODER.raw_decode(text, pos)
        except json.JSONDecodeError as error:
            yield _line(text, error.pos), None, f"not JSON at column {_column(text, error.pos)} ({error.msg})"
            pos = _resync(text, error.pos)
            continue
        yield line, task, None
        pos = _skip(text, end)
        if text.startswith("]", pos):
            return
        if text.startswith(",", pos):
            pos = _skip(text, pos + 1)
            continue
        yield _line(text, pos), None, f"expected , or ] after a task at column {_column(text, pos)}"
        pos = _resync(text, pos)
    if pos >= len(text):
        yield _line(text, len(text)), None, "the file ends before the array's closing ]"


def _resync(text: str, pos: int) -> int:
    """The start of the next whole task after pos (an object with "data", followed by , or ]),
    or the end of the text."""
    pos = text.find("{", pos + 1)
    while pos != -1:
        try:
            value, end = _DECODER.raw_decode(text, pos)
            after = _skip(text, end)
            if isinstance(value, dict) and "data" in value and text.startswith((",", "]"), after):
                return pos
        except json.JSONDecodeError:
            pass
        pos = text.find("{", pos + 1)
    return len(text)


def _skip(text: str, pos: int) -> int:
    while pos < len(text) and text[pos] in " \t\r\n":
        pos += 1
    return pos


def _line(text: str, pos: int) -> int:
    return text.count("\n", 0, pos) + 1


def _column(text: str, pos: int) -> int:
    return pos - text.rfind("\n", 0, pos)


# ---- a task <-> a record ------------------------------------------------------------------
def task_record(task, labels) -> Record:
    """The task's latest annotation that was not skipped (a person's spans), else its best
    prediction (a suggestion), else no spans. Label Studio's JSON-MIN export (text and label at
    the top) is read as well."""
    if not isinstance(task, dict):
        raise ValueError("a task is a JSON object")
    data = task.get("data") if isinstance(task.get("data"), dict) else task
    text = check_text(task_text(data))
    meta = task.get("meta") if isinstance(task.get("meta"), dict) else {}
    meta = meta.get("ner_studio") if isinstance(meta.get("ner_studio"), dict) else {}
    extra = {"document_id": meta["document_id"]} if "document_id" in meta else {}
    if data is task and isinstance(task.get("label"), list):  # JSON-MIN
        results = [{"type": "labels", "value": value} for value in task["label"]]
        return Record(text, result_spans(results, text, labels), True, _who(task.get("annotator")),
                      task.get("updated_at") or task.get("created_at"), extra=extra)
    annotations = [a for a in task.get("annotations") or [] if isinstance(a, dict) and not a.get("was_cancelled")]
    if annotations:
        latest = max(enumerate(annotations), key=lambda p: (str(p[1].get("updated_at") or p[1].get("created_at")
                                                                 or ""), p[0]))[1]
        spans = result_spans(latest.get("result"), text, labels)
        return Record(text, spans, True, _who(latest.get("completed_by")) or meta.get("annotator"),
                      latest.get("updated_at") or latest.get("created_at") or meta.get("annotated_at"),
                      _prediction_version(task) or meta.get("suggested_by"), extra=extra)
    predictions = [p for p in task.get("predictions") or [] if isinstance(p, dict)]
    if predictions:
        best = max(enumerate(predictions), key=lambda p: (_score(p[1]) or 0.0, p[0]))[1]
        return Record(text, result_spans(best.get("result"), text, labels), False,
                      suggested_by=_string(best.get("model_version")) or meta.get("suggested_by") or "Label Studio",
                      confidence=_score(best), extra=extra)
    return Record(text, None, extra=extra)


def task_text(data: dict):
    """data["text"], else the task's only string field."""
    if "text" in data:
        return data["text"]
    strings = [value for value in data.values() if isinstance(value, str)]
    if len(strings) != 1:
        raise ValueError(f'no text: expected data.text (the task\'s fields: {", ".join(map(str, data))})')
    return strings[0]


def result_spans(results, text: str, labels, label_map=None) -> list[Span]:
    """Our spans from a result list: "labels" results only (choices, relations... are not ours);
    label_map (Label Studio's label -> ours) first, else our_label."""
    if results is None:
        return []
    if not isinstance(results, list):
        raise ValueError(f"result {results!r} is not a list")
    spans = []
    for number, result in enumerate(results, 1):
        value = result.get("value") if isinstance(result, dict) else None
        if not isinstance(value, dict) or "labels" not in value or result.get("type", "labels") != "labels":
            continue
        names = value["labels"]
        if not isinstance(names, list) or not names:
            raise ValueError(f"result {number}: labels {names!r} is not a list of one label")
        label = (label_map or {}).get(names[0]) or our_label(names[0], labels) or names[0]
        start, end = _offsets(text, value, number)
        spans.append([start, end, label])
    return checked_spans(spans, text, labels, "")


def _offsets(text: str, value: dict, number: int) -> tuple[int, int]:
    start, end, quoted = value.get("start"), value.get("end"), value.get("text")
    if not all(isinstance(o, int) and not isinstance(o, bool) for o in (start, end)):
        raise ValueError(f"result {number}: start {start!r} and end {end!r} must be integers")
    if not isinstance(quoted, str) or text[start:end] == quoted:
        return start, end
    units = [0]  # UTF-16 units before each code point
    for char in text:
        units.append(units[-1] + (2 if ord(char) > 0xFFFF else 1))
    if start in units and end in units and text[units.index(start):units.index(end)] == quoted:
        return units.index(start), units.index(end)
    raise ValueError(f"result {number}: value.text {quoted!r} is not the text at [{start}, {end}) "
                     f"({text[start:end]!r}), counted in code points or in UTF-16 units")


def results(spans, text: str, label_map=None, scores=None, from_name=FROM_NAME, to_name=TO_NAME) -> list[dict]:
    """Label Studio results for our spans; label_map (ours -> Label Studio's) renames labels and
    leaves out spans of types it lacks; scores, one per span, become each result's score."""
    out = []
    for i, (start, end, label) in enumerate(spans):
        name = label if label_map is None else label_map.get(label)
        if name is None:
            continue
        out.append({"id": f"ner{start}-{end}", "from_name": from_name, "to_name": to_name, "type": "labels",
                    "value": {"start": start, "end": end, "text": text[start:end], "labels": [name]},
                    **({} if scores is None else {"score": round(float(scores[i]), 6)})})
    return out


def record_task(record: Record, suggested=None, versions=None) -> dict:
    """A task for Label Studio's import: a person's spans as an annotation, the model's (suggested,
    or the record's own spans when nobody reviewed them) as a prediction; who, when and which model
    under meta.ner_studio, which Label Studio keeps and our reader reads back. versions: each
    annotator's own ({"annotator", "created_at", "spans"}), annotations before the record's (the
    latest, which task_record reads back)."""
    task = {"data": {"text": record.text}}
    meta = {k: v for k, v in (("document_id", record.extra.get("document_id")), ("annotator", record.annotator),
                              ("annotated_at", record.annotated_at), ("suggested_by", record.suggested_by))
            if v is not None}
    if meta:
        task["meta"] = {"ner_studio": meta}
    if record.annotated:
        task["annotations"] = [*({"result": results(v["spans"], record.text), "completed_by": v["annotator"],
                                  "created_at": v["created_at"], "ground_truth": False} for v in versions or ()),
                               {"result": results(record.spans or [], record.text), "ground_truth": False,
                                **({"created_at": record.annotated_at} if record.annotated_at else {})}]
    prediction = record.spans if not record.annotated else suggested
    if prediction is not None and (record.suggested_by or not record.annotated):
        task["predictions"] = [{"model_version": record.suggested_by or "unknown",
                                "result": results(prediction, record.text),
                                **({"score": record.confidence} if record.confidence is not None else {})}]
    return task


def _who(value) -> str | None:
    if isinstance(value, dict):
        value = value.get("email") or value.get("username") or value.get("id")
    if isinstance(value, int) and not isinstance(value, bool):
        return f"Label Studio user {value}"
    return _string(value)


def _string(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


def _score(prediction: dict) -> float | None:
    score = prediction.get("score")
    return float(score) if isinstance(score, (int, float)) and not isinstance(score, bool) else None


def _prediction_version(task: dict) -> str | None:
    versions = [_string(p.get("model_version")) for p in task.get("predictions") or [] if isinstance(p, dict)]
    return next((v for v in versions if v), None)


# ---- the labelling config an ML backend is sent ----------------------------------------------
@dataclass
class NerConfig:
    from_name: str  # the <Labels> tag's name
    to_name: str  # the <Text> tag's name
    value: str  # the task's data field the text is in ($text -> "text")
    label_map: dict  # our type -> Label Studio's label

    def ours(self) -> dict:
        """Label Studio's label -> our type."""
        return {theirs: ours for ours, theirs in self.label_map.items()}


def parse_label_config(config: str, labels) -> NerConfig:
    """The first <Labels> over a <Text> and how its labels map to our types: a Label's
    predicted_values (as label-studio-ml-backend's build_label_map reads them), else its value
    read by our_label (PER, per, Person, 人名 -> PER). ValueError when there is none."""
    try:
        root = ElementTree.fromstring(config)
    except ElementTree.ParseError as error:
        raise ValueError(f"the labelling config is not XML ({error})") from None
    texts = {node.get("name"): (node.get("value") or "").lstrip("$") for node in root.iter("Text")}
    for control in root.iter("Labels"):
        if control.get("toName") in texts:
            label_map = {}
            for node in control.iter("Label"):
                theirs = node.get("value")
                wanted = [v.strip() for v in (node.get("predicted_values") or "").split(",") if v.strip()]
                for ours in [our_label(v, labels) for v in wanted] or [our_label(theirs, labels)]:
                    if ours is not None and ours not in label_map:
                        label_map[ours] = theirs
            return NerConfig(control.get("name"), control.get("toName"), texts[control.get("toName")] or "text",
                             label_map)
    raise ValueError("the labelling config has no <Labels> over a <Text>: not a NER project")

"""Other tools' files in and out of the studio: Label Studio JSON, doccano JSONL, CoNLL with B-/I-
tags, plain text and CSV (core/data/ reads and writes them; this module knows the documents).

Imports follow storage/files.py's rules: a file's annotations are suggestions waiting for review
(status "imported", predicted_by "import:<file>"), unless the user ticks reviewed gold, which
records each annotated document as a correction by the importer with the file, line and the
file's own annotator in the note. A prediction in a Label Studio file stays a suggestion either
way (no person made it). Records without spans (plain text, CSV, a task with neither) are new
documents listed in "untagged_ids" for the active model to suggest (storage/suggestions.suggest).
Exports carry who annotated each document, when, and which model's suggestions it started from.
From the command line: `python -m storage.interchange import|export ...` (storage/interchange_cli.py).
"""
from __future__ import annotations

import json
from pathlib import Path

import sqlite_utils

from core.data import interchange, label_studio, plain_files
from core.data.interchange import Record
from storage.batches import in_short_transactions
from storage.documents import _append_correction, _insert_document, documents_in, ANNOTATED
from storage.entity_types import known_labels

FORMATS = {  # name: (reader, what the file holds)
    "label-studio": (label_studio.read_label_studio, "Label Studio JSON: tasks with annotations and predictions"),
    "doccano": (interchange.read_doccano, 'doccano JSONL: {"text": ..., "label": [[start, end, "PER"], ...]}'),
    "conll": (interchange.read_conll_bio, "CoNLL: a character and its B-/I- tag a line, a blank line between"),
    "text": (lambda path, labels: plain_files.read_plain(path), "plain text: a document a line"),
    "csv": (lambda path, labels: plain_files.read_csv(path), "CSV: the text column (or the first)"),
}
EXPORTS = ("label-studio", "doccano", "conll")


def import_file(db: sqlite_utils.Database, path, kind: str, source: str, reviewed: bool = False,
                importer: str | None = None) -> dict:
    """{"imported", "refused" (problems naming their line), "document_ids", "untagged_ids",
    "suggestions" (annotated documents left to review)}; committed in short batches, so a failure
    keeps the batches before it."""
    if kind not in FORMATS:
        raise ValueError(f"unknown format {kind!r}; one of {', '.join(FORMATS)}")
    if reviewed and (not isinstance(importer, str) or not importer.strip()):
        raise ValueError(f"a reviewed import needs the name of the user who imports it, got {importer!r}")
    name = Path(path).name
    result = {"imported": 0, "refused": [], "document_ids": [], "untagged_ids": [], "suggestions": 0}
    labels = known_labels(db)
    for line, record, problem in in_short_transactions(db, FORMATS[kind][0](path, labels)):
        if problem is not None:
            result["refused"].append(f"line {line}: {problem}")
            continue
        try:
            document_id = _add(db, record, source, name, line, reviewed, importer, result)
        except ValueError as error:  # the studio's own checks (core.labels.check_spans) after the reader's
            result["refused"].append(f"line {line}: {error}")
            continue
        result["document_ids"].append(document_id)
    result["imported"] = len(result["document_ids"])
    return result


def _add(db, record: Record, source: str, name: str, line: int, reviewed: bool, importer, result: dict) -> int:
    if record.spans is None:
        document_id = _insert_document(db, record.text, source)
        result["untagged_ids"].append(document_id)
        return document_id
    spans = [list(span) for span in record.spans]
    if reviewed and record.annotated:
        note = f"imported from {name}, line {line}" + (f"; annotated by {record.annotator}" if record.annotator else "") \
            + (f" at {record.annotated_at}" if record.annotated_at else "")
        document_id = _insert_document(db, record.text, source, predicted_by=record.suggested_by)
        _append_correction(db, document_id, spans, importer, record.suggested_by, note, None, status="corrected")
        return document_id
    by = f"import:{name}" + (f" ({record.suggested_by})" if record.suggested_by and not record.annotated else "")
    document_id = _insert_document(db, record.text, source, spans, by, record.confidence)
    db.execute("UPDATE documents SET status = 'imported' WHERE id = ?", [document_id])
    result["suggestions"] += 1
    return document_id


def _versions(db) -> dict[int, list[dict]]:
    """{document id: each annotator's latest version, by name}, of settled documents only: before
    that, a version is no one's to read but its annotator's and the reviewers' (storage/team_versions.py)."""
    out: dict[int, list[dict]] = {}
    for row in db.query("""SELECT v.document_id, v.annotator, v.created_at, v.spans_json FROM annotator_versions v
                           JOIN documents d ON d.id = v.document_id AND d.status = 'corrected'
                           WHERE v.id = (SELECT MAX(id) FROM annotator_versions
                                         WHERE document_id = v.document_id AND annotator = v.annotator)
                           ORDER BY v.document_id, v.annotator"""):
        out.setdefault(row["document_id"], []).append({"annotator": row["annotator"], "created_at": row["created_at"],
                                                       "spans": json.loads(row["spans_json"])})
    return out


def export_records(db: sqlite_utils.Database, statuses=ANNOTATED, versions: bool = False) -> list[Record]:
    """The documents (annotated ones by default: corrected, or imported and not yet reviewed), each
    with its latest spans, who saved them and when, and the suggestions it started from; versions:
    a settled team document's annotators' own versions too, under extra["versions"]."""
    latest = {row["document_id"]: row for row in db.query(
        "SELECT c.document_id, c.annotator, c.created_at, c.model_version FROM corrections c "
        "WHERE c.id = (SELECT MAX(id) FROM corrections WHERE document_id = c.document_id)")}
    records, own = [], _versions(db) if versions else {}
    for doc in documents_in(db, statuses):
        saved = latest.get(doc["id"])
        records.append(Record(
            doc["text"], [tuple(s) for s in doc["spans"]], annotated=doc["status"] == "corrected",
            annotator=saved["annotator"] if saved else None, annotated_at=saved["created_at"] if saved else None,
            suggested_by=(saved and saved["model_version"]) or doc["predicted_by"], confidence=doc["confidence"],
            extra={"document_id": doc["id"], "suggested": doc["predicted_spans"],
                   **({"versions": own[doc["id"]]} if doc["id"] in own else {})}))
    return records


def export_string(db: sqlite_utils.Database, kind: str, provenance: bool = True, statuses=ANNOTATED,
                  versions: bool = False) -> str:
    """The annotated documents in one of EXPORTS, as the file's text; provenance: who, when, which model.
    versions (Label Studio only, off by default): each settled team document also carries each
    annotator's own latest version as an annotation (completed_by their name, created_at when saved)."""
    if versions and (kind != "label-studio" or not provenance):
        raise ValueError("each annotator's version goes into Label Studio JSON only, with provenance")
    records = export_records(db, statuses, versions)
    if not provenance:
        records = [Record(r.text, r.spans, r.annotated, confidence=r.confidence) for r in records]
    if kind == "label-studio":
        tasks = [label_studio.record_task(r, r.extra.get("suggested"), r.extra.get("versions")) for r in records]
        return json.dumps(tasks, ensure_ascii=False, indent=1) + "\n"
    for r in records:
        r.extra.pop("suggested", None)
    if kind == "doccano":
        return "".join(interchange.doccano_line(r, provenance) + "\n" for r in records)
    if kind == "conll":
        return "".join(line + "\n" for r in records for line in interchange.conll_lines(r, provenance))
    raise ValueError(f"unknown export format {kind!r}; one of {', '.join(EXPORTS)}")


if __name__ == "__main__":  # python -m storage.interchange import FILE --as NAME ... (storage/interchange_cli.py)
    import sys

    from storage.interchange_cli import main

    sys.exit(main())

"""Each annotator's own version of a document that needs several (overlap > 1), with its own history.

Annotators' saves go to annotator_versions, never to corrections: the document's version, the one
that trains (storage.documents.REVIEWED), is written only when the versions it needs are all in and
agree exactly ("agreed"), or by a reviewer (storage/reviews.py). Until then the document keeps its
status ("new" or "imported") and does not train. Nobody sees another annotator's version before
the document is settled, except reviewers and admins: a second annotator must not be led by the first.
"""
from __future__ import annotations

import sqlite_utils

from core.labels import check_spans
from storage import team
from storage.db import decode, dumps, now, one, write_transaction
from storage.documents import ConflictError, _append_correction, get_document
from storage.entity_types import known_labels

SETTLED = ("corrected",)  # agreed or reviewed: the versions are no secret any more


# The newest version any settling decision saw ({document}: the document's id in SQL). Once a settled
# document is reopened (storage/reviews.py's reopen), only versions newer than that count towards
# settling it again; the older ones stay in each annotator's history (own_history).
SETTLED_UP_TO = """COALESCE((SELECT MAX(CAST(j.value AS INTEGER)) FROM reviews r, json_each(r.versions_json) j
                              WHERE r.document_id = {document}), 0)"""


def _latest(db, document_id: int) -> dict[str, dict]:
    """{annotator: their latest version (decoded, spans as lists)} of the document; of a reopened
    document, only those saved since it was reopened."""
    since = 0 if get_document(db, document_id)["status"] in SETTLED else \
        one(db, "SELECT " + SETTLED_UP_TO.format(document="?") + " AS up_to", [document_id])["up_to"]
    rows = db.query("""SELECT v.* FROM annotator_versions v WHERE v.document_id = ? AND v.id > ? AND v.id = (
                           SELECT MAX(id) FROM annotator_versions WHERE document_id = v.document_id
                           AND annotator = v.annotator) ORDER BY v.annotator""", [document_id, since])
    return {row["annotator"]: decode(row) for row in rows}


def own_version(db: sqlite_utils.Database, document_id: int, annotator: str) -> dict | None:
    """The annotator's latest version of the document, None before their first save."""
    return decode(one(db, "SELECT * FROM annotator_versions WHERE document_id = ? AND annotator = ? "
                          "ORDER BY id DESC LIMIT 1", [document_id, annotator]))


def own_history(db: sqlite_utils.Database, document_id: int, annotator: str) -> list[dict]:
    """The annotator's versions of the document, oldest first, numbered 1, 2, ... under "number"."""
    rows = db.query("SELECT * FROM annotator_versions WHERE document_id = ? AND annotator = ? ORDER BY id",
                    [document_id, annotator])
    return [{**decode(row), "number": number} for number, row in enumerate(rows, 1)]


def annotators_of(db: sqlite_utils.Database, document_id: int) -> list[str]:
    """Who saved a version of the document (names only: everyone may know that it was done)."""
    return [row["annotator"] for row in db.query(
        "SELECT DISTINCT annotator FROM annotator_versions WHERE document_id = ? ORDER BY annotator", [document_id])]


def versions(db: sqlite_utils.Database, document_id: int, viewer: str | None) -> dict[str, dict]:
    """{annotator: latest version} as the viewer may see them: every one for reviewers and admins
    and once the document is settled; before that an annotator sees their own only."""
    latest = _latest(db, document_id)
    if team.can_review(db, viewer) or get_document(db, document_id)["status"] in SETTLED:
        return latest
    return {name: version for name, version in latest.items() if name == viewer}


def document_for(db: sqlite_utils.Database, document_id: int, viewer: str) -> dict:
    """The document as the viewer's editor opens it. For a team document: their own latest version
    (its id as "revision", "team": True), else the suggestions everyone starts from; for any other
    document, storage.documents.get_document's."""
    doc = get_document(db, document_id)
    if not team.is_team_document(db, document_id) or doc["status"] in SETTLED:
        return {**doc, "team": False}
    mine = own_version(db, document_id, viewer)
    doc = {**doc, "team": True, "needs": team.overlap_of(db, document_id),
           "annotators": annotators_of(db, document_id)}
    if mine is None:  # the model's (or an imported file's) suggestions, as every annotator starts
        return {**doc, "revision": None, "revision_number": 0}
    number = one(db, "SELECT COUNT(*) AS n FROM annotator_versions WHERE document_id = ? AND annotator = ?",
                 [document_id, viewer])["n"]
    return {**doc, "spans": mine["spans"], "revision": mine["id"], "revision_number": number}


def save_version(db: sqlite_utils.Database, document_id: int, spans, annotator: str, base_version=None,
                 model_version=None, note=None) -> int:
    """Append the annotator's own version, made from base_version (the id document_for gave; None
    for none). ConflictError when their own newer version exists (another tab of theirs); ValueError
    when the document is settled, marked bad text, or not one that needs several versions.
    Settles the document when it has every version it needs and they agree (settle)."""
    with write_transaction(db):
        team.require_member(db, annotator, "annotate")
        doc = get_document(db, document_id)
        if doc["status"] == "rejected":
            raise ValueError(f"document {document_id} was marked bad text: it is out of the queue")
        if doc["status"] in SETTLED:
            raise ValueError(f"document {document_id} is settled already (agreed or reviewed): "
                             "only a reviewer can change it now")
        if not team.is_team_document(db, document_id):
            raise ValueError(f"document {document_id} needs one annotator: save it as a correction")
        spans = check_spans(spans, len(doc["text"]), known_labels(db))
        mine = own_version(db, document_id, annotator)
        current = None if mine is None else mine["id"]
        if base_version != current:
            raise ConflictError(document_id, base_version, current, None if mine is None else mine["spans"])
        version_id = db["annotator_versions"].insert({
            "document_id": document_id, "annotator": annotator, "spans_json": dumps([list(s) for s in spans]),
            "created_at": now(), "model_version": model_version, "note": note, "base_version_id": current}).last_pk
        settle(db, document_id, annotator)
        return version_id


def _same(spans_a, spans_b) -> bool:
    return sorted(map(tuple, spans_a)) == sorted(map(tuple, spans_b))


def state_of(db: sqlite_utils.Database, document_id: int) -> str:
    """Where a team document stands: "waiting" (fewer versions than it needs), "agreed", "reviewed",
    "disputed" (the versions it needs are in, or two or more, and they differ), "rejected"."""
    doc = get_document(db, document_id)
    if doc["status"] == "rejected":
        return "rejected"
    if doc["status"] in SETTLED:
        decided = one(db, "SELECT decision FROM reviews WHERE document_id = ? ORDER BY id DESC LIMIT 1", [document_id])
        return "agreed" if decided and decided["decision"] == "agreed" else "reviewed"
    latest = list(_latest(db, document_id).values())
    if len(latest) >= 2 and any(not _same(v["spans"], latest[0]["spans"]) for v in latest):
        return "disputed"
    return "waiting"


def settle(db: sqlite_utils.Database, document_id: int, by: str) -> bool:
    """Inside a write: when the document has all the versions it needs and they are identical,
    write them as its version (a correction by `by`, noted as agreed) and record the agreement.
    True when it settled."""
    latest = _latest(db, document_id)
    if len(latest) < team.overlap_of(db, document_id):
        return False
    first = next(iter(latest.values()))["spans"]
    if any(not _same(version["spans"], first) for version in latest.values()):
        return False
    names = ", ".join(latest)
    correction_id = _append_correction(db, document_id, first, by, None, f"agreed by {names}",
                                       get_document(db, document_id)["revision"])
    db["reviews"].insert({"document_id": document_id, "reviewer": None, "decision": "agreed",
                          "accepted_annotator": None, "correction_id": correction_id,
                          "versions_json": dumps({name: v["id"] for name, v in latest.items()}),
                          "created_at": now()})
    return True

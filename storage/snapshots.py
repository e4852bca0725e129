"""What a training job reads of the studio: a snapshot of the reviewed documents, split into the
part it trains on and a held-out part it only scores (so a version is judged on the user's own
text it never saw). Written as JSON lines {"text", "spans"}, atomically, from one SELECT, so
annotators may keep saving while the job runs.
"""
from __future__ import annotations

import json

import sqlite_utils

from core.atomic import write_text
from core.training.heldout import is_heldout
from storage.documents import REVIEWED, documents_in


def write_snapshot(db: sqlite_utils.Database, train_path, heldout_path=None, heldout_every: int = 0,
                   statuses=REVIEWED) -> dict:
    """Write the documents in `statuses` to train_path, or to heldout_path when held out.

    Returns {"train": n, "heldout": m, "seen": [[document id, revision], ...] (what the job trains
    on: the version's lineage), "heldout_ids": [...]}.
    """
    trained, held = _split(db, heldout_every if heldout_path is not None else 0, statuses)
    held_ids = {doc["id"] for doc in held}
    write_text(train_path, _jsonl(trained))
    if heldout_path is not None:
        write_text(heldout_path, _jsonl(held))
    return {"train": len(trained), "heldout": len(held), "seen": [[doc["id"], doc["revision"]] for doc in trained],
            "heldout_ids": sorted(held_ids)}


def counts(db: sqlite_utils.Database, heldout_every: int = 0, statuses=REVIEWED) -> dict:
    """{"train": n, "heldout": m}: what a snapshot would hold now (the Train screen says it first)."""
    trained, held = _split(db, heldout_every, statuses)
    return {"train": len(trained), "heldout": len(held)}


def _split(db, heldout_every: int, statuses) -> tuple[list[dict], list[dict]]:
    documents = documents_in(db, statuses)
    return ([doc for doc in documents if not is_heldout(doc["id"], heldout_every)],
            [doc for doc in documents if is_heldout(doc["id"], heldout_every)])


def _jsonl(documents) -> str:
    return "".join(json.dumps({"text": doc["text"], "spans": doc["spans"]}, ensure_ascii=False) + "\n"
                   for doc in documents)

"""Model versions: the folders the studio can tag with, their scores and curves, which one is active.

A version is registered only once its folder is complete (a training job registers it when it
finishes), and registering never activates: promoting is the user's decision.
"""
from __future__ import annotations

from pathlib import Path

import sqlite_utils

from core.model.integrity import is_complete
from core.model.model import CURVES_FILE, SCORES_FILE, is_model_folder, read_json
from storage.db import decode, dumps, now, one, write_transaction

DEFAULT_NAME = "default"


def register_version(db: sqlite_utils.Database, name: str, path, scores=None, curves=None, job_id=None) -> int:
    """Add a version (inactive); ValueError if the name is taken."""
    if not isinstance(name, str) or not name.strip():
        raise ValueError(f"a version needs a non-blank name, got {name!r}")
    with write_transaction(db):
        if one(db, "SELECT id FROM model_versions WHERE name = ?", [name]):
            raise ValueError(f"a model version named {name!r} already exists")
        return db["model_versions"].insert({
            "name": name, "path": str(path), "created_at": now(), "job_id": job_id,
            "scores_json": dumps(scores), "curves_json": dumps(curves), "is_active": 0}).last_pk


def list_versions(db: sqlite_utils.Database) -> list[dict]:
    """Every version, newest first; scores and curves decoded, is_active a bool."""
    return [_version(row) for row in db.query("SELECT * FROM model_versions ORDER BY id DESC")]


def get_version(db: sqlite_utils.Database, version_id: int) -> dict:
    row = one(db, "SELECT * FROM model_versions WHERE id = ?", [version_id])
    if row is None:
        raise KeyError(f"no model version with id {version_id}")
    return _version(row)


def find_version(db: sqlite_utils.Database, name: str) -> dict | None:
    return _version(one(db, "SELECT * FROM model_versions WHERE name = ?", [name]))


def active_version(db: sqlite_utils.Database) -> dict | None:
    return _version(one(db, "SELECT * FROM model_versions WHERE is_active = 1"))


def set_active(db: sqlite_utils.Database, version_id: int) -> None:
    """Make this version the one in use; the previous one is deactivated in the same transaction."""
    with write_transaction(db):
        get_version(db, version_id)  # KeyError before anything changes
        db.execute("UPDATE model_versions SET is_active = 0 WHERE is_active = 1 AND id != ?", [version_id])
        db.execute("UPDATE model_versions SET is_active = 1 WHERE id = ?", [version_id])


def ensure_default_version(db: sqlite_utils.Database, path) -> dict | None:
    """On a fresh database, register the bundled model folder as "default" and activate it.

    Reads scores.json and curves.json from the folder when present. Does nothing when any
    version exists already. Returns the active version.
    """
    path = Path(path)
    with write_transaction(db):
        if one(db, "SELECT id FROM model_versions LIMIT 1") is None:
            if not path.is_dir():
                raise ValueError(f"default model folder {path} does not exist")
            version_id = register_version(db, DEFAULT_NAME, path, scores=read_json(path, SCORES_FILE),
                                          curves=read_json(path, CURVES_FILE))
            set_active(db, version_id)
        return active_version(db)


def register_model_folders(db: sqlite_utils.Database, root) -> list[int]:
    """Register each model folder directly under root that no version points at yet (models/fast,
    built by the README's command), inactive, named after the folder. Returns the new ids.

    A folder counts once its seal says complete (core/model/integrity.py): a run's best-so-far save
    (a killed `train_job.py --out models/X`) is a whole folder but not a finished model.
    """
    root = Path(root)
    if not root.is_dir():
        return []
    folders = [f for f in sorted(root.iterdir()) if not f.name.startswith(".") and is_model_folder(f)
               and is_complete(f)]
    if not _unknown(db, folders):  # the usual case, on every page run: a read, no write lock
        return []
    added = []
    with write_transaction(db):
        names = {row["name"] for row in db.query("SELECT name FROM model_versions")}
        for folder in _unknown(db, folders):  # again under the lock: another tab may have added it
            name = folder.name if folder.name not in names else f"{folder.name} ({folder})"
            added.append(register_version(db, name, folder, scores=read_json(folder, SCORES_FILE),
                                          curves=read_json(folder, CURVES_FILE)))
            names.add(name)
    return added


def _unknown(db: sqlite_utils.Database, folders: list[Path]) -> list[Path]:
    known = {Path(row["path"]).resolve() for row in db.query("SELECT path FROM model_versions")}
    return [folder for folder in folders if folder.resolve() not in known]


def _version(row: dict | None) -> dict | None:
    version = decode(row)
    if version is not None:
        version["is_active"] = bool(version["is_active"])
    return version

"""Training jobs' rows: state, progress, per-epoch metrics, log tail, the registered model.

The job process (launched by launcher/) writes its events here through JobSink; the app only
reads and polls, so it may restart while a job runs.
"""
from __future__ import annotations

import sqlite3
import sys
import time
from pathlib import Path

import sqlite_utils

from core.model.model import CURVES_FILE, read_json
from storage.db import connect, decode, dumps, now, one, write_transaction
from storage.versions import register_version

STATES = ("queued", "running", "finished", "failed", "cancelled")
ACTIVE_STATES = ("queued", "running")
LOG_TAIL_LINES = 50
BUSY_RETRY_S = 3600.0  # how long a finished job keeps trying to register its model in a busy database


# ---- the jobs table ------------------------------------------------------------------------
def create_job(db: sqlite_utils.Database, params: dict) -> int:
    return db["jobs"].insert({"state": "queued", "params_json": dumps(dict(params)), "created_at": now(),
                              "epochs_json": "[]", "log_tail": ""}).last_pk


def get_job(db: sqlite_utils.Database, job_id: int) -> dict:
    """The job's row with params, progress and epochs decoded (progress None before the first step)."""
    row = one(db, "SELECT * FROM jobs WHERE id = ?", [job_id])
    if row is None:
        raise KeyError(f"no job with id {job_id}")
    return decode(row)


def list_jobs(db: sqlite_utils.Database, limit: int = 20) -> list[dict]:
    """Newest first."""
    return [decode(row) for row in db.query("SELECT * FROM jobs ORDER BY id DESC LIMIT ?", [int(limit)])]


_JSON_FIELDS = ("params", "progress", "epochs")


def update_job(db: sqlite_utils.Database, job_id: int, **fields) -> None:
    """Set columns; params/progress/epochs may be given decoded (they are stored as *_json)."""
    row = {}
    for key, value in fields.items():
        if key in _JSON_FIELDS:
            row[f"{key}_json"] = dumps(value)
        else:
            row[key] = value
    columns = set(db["jobs"].columns_dict)
    unknown = sorted(set(row) - columns)
    if unknown:
        raise ValueError(f"jobs has no column(s) {', '.join(unknown)}")
    if "state" in row and row["state"] not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}, got {row['state']!r}")
    with write_transaction(db):
        get_job(db, job_id)
        db["jobs"].update(job_id, row)


def running_jobs(db: sqlite_utils.Database) -> list[dict]:
    """Rows of jobs in the state running: what the launcher checks for a live process."""
    return list(db.query("SELECT id, pid FROM jobs WHERE state = 'running'"))


def active_jobs(db: sqlite_utils.Database) -> list[dict]:
    """{"id", "user"} of the queued and running jobs (user: who started it, from its params)."""
    return list(db.query("SELECT id, json_extract(params_json, '$.user') AS user FROM jobs "
                         "WHERE state IN ('queued', 'running') ORDER BY id"))


def resumed_by(db: sqlite_utils.Database, job_id: int) -> int | None:
    """The job that resumes job_id (its params' "resumes"), None if none does."""
    row = one(db, "SELECT id FROM jobs WHERE json_extract(params_json, '$.resumes') = ? ORDER BY id LIMIT 1",
              [int(job_id)])
    return row["id"] if row else None


def queued_since(db: sqlite_utils.Database, before: str) -> list[int]:
    """Ids of jobs queued before an ISO time and never given a process."""
    return [row["id"] for row in db.query("SELECT id FROM jobs WHERE state = 'queued' AND pid IS NULL AND created_at < ?",
                                          [before])]


def set_process(db: sqlite_utils.Database, job_id: int, pid: int) -> None:
    """Record the job's process; a queued job becomes running (never step back from an end state)."""
    with write_transaction(db):
        db.execute("UPDATE jobs SET pid = ? WHERE id = ?", [pid, job_id])
        db.execute("UPDATE jobs SET state = 'running', started_at = ? WHERE id = ? AND state = 'queued'",
                   [now(), job_id])


def fail_vanished(db: sqlite_utils.Database, job_id: int, error: str, log_lines: list[str]) -> bool:
    """Mark a running job whose process is gone as failed, with the last lines of its log.

    False when the job had already ended meanwhile (it finished just before its process did).
    """
    with write_transaction(db):
        current = get_job(db, job_id)
        if current["state"] != "running":
            return False
        db["jobs"].update(job_id, {"state": "failed", "finished_at": now(), "error": error,
                                   "log_tail": _tail(current["log_tail"], [f"failed: {error}"] + log_lines)})
    return True


def _tail(old: str, lines: list[str]) -> str:
    return "\n".join(((old.splitlines() if old else []) + lines)[-LOG_TAIL_LINES:])


def _summary(event: dict) -> list[str]:
    """Human lines for the log tail (steps are too many to list)."""
    kind = event.get("event")
    if kind == "start":
        return [f"start: {event.get('total_steps')} steps, {event.get('sentences')} training sentences"]
    if kind == "epoch":
        if event.get("dev_f1") is None:  # no dev set: nothing measured, so no 0.0000 that reads as broken
            return [f"epoch {event.get('epoch')}: train loss {event.get('train_loss', 0):.4f}, "
                    "dev F1 not measured (no dev set)"]
        best = " (best so far)" if event.get("is_best") else ""
        return [f"epoch {event.get('epoch')}: train loss {event.get('train_loss', 0):.4f}, "
                f"dev F1 {event['dev_f1']:.4f}{best}"]
    if kind == "done":
        best = f", best dev F1 {event['best_f1']:.4f}" if event.get("best_f1") is not None else ""
        return [f"done: {event.get('reason')}{best}"]
    if kind == "finished":
        return [f"finished: model {event.get('model')}"]
    if kind == "failed":
        return [f"failed: {event.get('error')}"] + str(event.get("traceback") or "").splitlines()
    if kind == "log":
        return str(event.get("line", "")).splitlines()
    if kind == "step" and event.get("phase") == "evaluating":
        return [f"evaluating {event.get('set')} ({event.get('index')} of {event.get('of')})"]
    if kind == "step" and event.get("phase") == "saving":
        return ["saving the model"]
    if kind == "step":
        return []
    return [f"{kind}: " + dumps({k: v for k, v in event.items() if k not in ("event", "time")})]


def record_event(db: sqlite_utils.Database, job_id: int, event: dict) -> None:
    """Fold one training event into the job's row.

    step: replaces progress (a later phase's step is merged into it); epoch: appended to epochs; log ({"event": "log", "line": ...}) and
    summaries of the others: appended to log_tail (last 50 lines); failed / finished / cancelled:
    set state, finished_at (and error, model_path). A job already in an end state keeps it.
    """
    kind = event.get("event")
    with write_transaction(db):
        job = get_job(db, job_id)
        ended = job["state"] not in ACTIVE_STATES
        row = {}
        if kind in ("start", "step", "epoch", "resumed") and job["state"] == "queued":
            row.update(state="running", started_at=job["started_at"] or now())
        if kind == "step" or (kind == "start" and "phase" in event):  # start: the status says training at once
            # A phase after training (evaluating, saving) keeps the last step's numbers beside it.
            earlier = job["progress"] or {} if event.get("phase", "training") != "training" else {}
            row["progress_json"] = dumps({**earlier, **event})
        elif kind == "epoch":
            record = {k: v for k, v in event.items() if k != "event"}
            row["epochs_json"] = dumps(job["epochs"] + [record])
        elif kind in ("failed", "finished", "cancelled") and not ended:
            row.update(state=kind, finished_at=now())
            if kind in ("failed", "cancelled"):
                row["error"] = str(event.get("error") or kind)
            if kind == "finished" and event.get("model"):
                row["model_path"] = str(event["model"])
        lines = [] if ended and kind in ("failed", "finished", "cancelled") else _summary(event)
        if lines:
            row["log_tail"] = _tail(job["log_tail"], lines)
        if row:
            db["jobs"].update(job_id, row)


def finish_job(db: sqlite_utils.Database, job_id: int, model_path, scores=None, curves=None) -> int | None:
    """Register the finished model as a version and mark the job finished, in one transaction.

    The version is named after the model folder and is not activated. Returns its id, or None
    when the job had already ended (cancelled meanwhile): then nothing is registered.
    """
    model_path = Path(model_path)
    if curves is None:
        curves = read_json(model_path, CURVES_FILE)
    with write_transaction(db):
        job = get_job(db, job_id)
        if job["state"] not in ACTIVE_STATES:
            return None
        version_id = register_version(db, model_path.name, model_path, scores=scores,
                                      curves=curves if curves is not None else job["epochs"], job_id=job_id)
        record_event(db, job_id, {"event": "finished", "model": str(model_path)})
        return version_id


class JobSink:
    """What train_job.py --db --job-id calls with each event (rank 0 only): the row follows the run."""

    def __init__(self, db_path, job_id: int):
        self.db = connect(db_path)
        self.job_id = job_id
        with write_transaction(self.db):
            job = get_job(self.db, job_id)  # KeyError: a wrong --job-id fails before any training
            if job["state"] == "queued":
                update_job(self.db, job_id, state="running", started_at=job["started_at"] or now())

    def __call__(self, event: dict) -> None:
        if event.get("event") == "finished":
            # Errors propagate: the job then reports failed instead of a model nobody can find.
            self._register(event)
            return
        try:
            record_event(self.db, self.job_id, event)
        except Exception as error:  # progress is best effort: a busy database must not stop training
            print(f"warning: could not record {event.get('event')} event for job {self.job_id}: {error}",
                  file=sys.stderr)

    def _register(self, event: dict) -> None:
        """finish_job, retried while the database is busy: a trained model must not go unregistered
        because another writer held the lock past the busy timeout."""
        deadline, pause = time.monotonic() + BUSY_RETRY_S, 0.1
        while True:
            try:
                finish_job(self.db, self.job_id, event["model"], scores=event.get("scores"))
                return
            except sqlite3.OperationalError as error:
                if "locked" not in str(error) and "busy" not in str(error) or time.monotonic() > deadline:
                    raise
                print(f"warning: database busy, registering job {self.job_id}'s model again in {pause:.1f} s",
                      file=sys.stderr)
                time.sleep(pause)
                pause = min(pause * 2, 5.0)

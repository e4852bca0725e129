"""Starting and cancelling training jobs: who may, how many at once, the job's row, folder, command
and corrections snapshot."""
from __future__ import annotations

import os
import re
import signal
import sys
import time
from pathlib import Path

import sqlite_utils

from core import paths
from core.training.heldout import enough_to_score
from core.training.run_cli import PARAM_NAMES, params_to_argv
from launcher.processes import REPO_ROOT, TRAIN_SCRIPT, _process_alive, _spawn, refresh_jobs
from storage.accounts import any_accounts, get_account
from storage.db import connect, write_transaction
from storage.documents import REVIEWED
from storage.jobs import ACTIVE_STATES, active_jobs, create_job, get_job, record_event
from storage.snapshots import write_snapshot
from storage.versions import find_version

# A job's params are train_job.py's flags by name (core/training/run_cli.py derives them from RunOptions and
# TrainSettings: a key k becomes --k with _ as -; True is a bare flag, False and None are left out, a
# list is joined with commas), less out, corrections and heldout, which the launcher writes itself.
TRAIN_PARAMS = PARAM_NAMES
# Read here, not passed on: use_corrections snapshots the reviewed documents for the job (and the
# imported suggestions too with include_imported); heldout_every holds every n-th of them out
# (scored, never trained on); name is the new version's name and folder (default:
# v<job id>-<date>-<time>); parent names the version init_from is (the lineage); resumes is the
# job a resumed job continues (set by resume_training); user is who started it (the job limits).
STUDIO_PARAMS = ("use_corrections", "include_imported", "heldout_every", "name", "parent", "resumes", "user")
_NAME = re.compile(r"\w[\w.-]*")


def train_flags(params: dict) -> list[str]:
    """train_job.py's flags for params (see TRAIN_PARAMS); ValueError on an unknown key."""
    return params_to_argv({key: value for key, value in params.items() if key not in STUDIO_PARAMS},
                          allowed=TRAIN_PARAMS)


def job_dir(root, job_id: int) -> Path:
    return Path(root) / paths.DATA_FOLDER / "jobs" / str(job_id)


class Refused(ValueError):
    """The job may not start now (a limit, or the user's role); the message says why."""


def max_running_jobs() -> int:
    """The global cap: NER_STUDIO_MAX_JOBS, default 2 (two trainings already share a GPU or 2 CPU cores)."""
    return paths.max_running_jobs()


def check_role(db, user: str | None, doing: str = "start training jobs") -> None:
    """Refused unless the user may start and stop jobs: with accounts, admins only (user None, or a
    removed account, is nobody); with none, the one local user."""
    if any_accounts(db) and (get_account(db, user or "") or {}).get("role") != "admin":
        raise Refused(f"{user or 'nobody'} may not {doing}: only admins may")


def _claim(db, user: str | None, params: dict) -> int:
    """Check the user's role (check_role) and the limits, and create the job row, in one write
    transaction: two users clicking at once cannot both take the last place. The caller has run
    refresh_jobs, so a vanished job holds no place."""
    with write_transaction(db):
        check_role(db, user)
        active = active_jobs(db)
        mine = [job for job in active if job["user"] == user]
        if mine:
            raise Refused(f"{'you have' if user else 'there is'} a training job running already (job {mine[0]['id']}): "
                          "wait for it to finish or cancel it first (one job per user)")
        if len(active) >= max_running_jobs():
            raise Refused(f"{len(active)} training jobs are running, the most this server allows at once: "
                          "try again when one has finished")
        return create_job(db, {**params, "user": user})


def start_training(db_path, params: dict, root=REPO_ROOT, user: str | None = None) -> int:
    """Create a job and launch train_job.py for it; returns the job id at once.

    Files: root/data/jobs/<id>/log.txt (stdout and stderr), progress.jsonl (every event) and
    corrections.jsonl (the snapshot, with use_corrections); the model goes to
    root/data/models/<name> and is registered as version <name> when the job finishes.
    """
    params = dict(params)
    flags = train_flags(params)
    root = Path(root).resolve()
    db_path = Path(db_path).resolve()
    db = connect(db_path)
    job_id = None
    try:
        name = params.get("name")
        refresh_jobs(db)
        with write_transaction(db):
            if name is not None:
                _check_name(db, name, root)
            job_id = _claim(db, user, params)
        name = name or f"v{job_id}-{time.strftime('%Y%m%d-%H%M%S')}"
        folder = _clear(job_dir(root, job_id))
        argv = [sys.executable, str(TRAIN_SCRIPT), "--out", str(root / paths.DATA_FOLDER / "models" / name),
                "--db", str(db_path), "--job-id", str(job_id), "--progress", str(folder / "progress.jsonl"),
                "--quiet", *flags]
        recorded = {**params, "name": name, "user": user}
        if params.get("use_corrections"):
            recorded.update(_snapshot(db, folder, params))
            argv += ["--corrections", str(folder / "corrections.jsonl")]
            if recorded["heldout_count"]:
                argv += ["--heldout", str(folder / "heldout.jsonl")]
        _spawn(db, job_id, argv, folder, recorded)
        return job_id
    except Exception as error:
        if job_id is not None:
            record_event(db, job_id, {"event": "failed", "error": f"could not start: {error}"})
        raise
    finally:
        db.close()


def _clear(folder: Path) -> Path:
    """The job's folder, emptied of what a job of an older, deleted database left there."""
    folder.mkdir(parents=True, exist_ok=True)
    for stale in ("log.txt", "progress.jsonl", "corrections.jsonl", "heldout.jsonl"):
        (folder / stale).unlink(missing_ok=True)
    return folder


def _snapshot(db, folder: Path, params: dict) -> dict:
    """Write the job's corrections (and held-out) files; what the job's row records of them."""
    statuses = ("corrected", "imported") if params.get("include_imported") else REVIEWED
    every = int(params.get("heldout_every") or 0)
    written = write_snapshot(db, folder / "corrections.jsonl", folder / "heldout.jsonl" if every else None,
                             every, statuses)
    recorded = {"corrections_count": written["train"], "corrections_seen": written["seen"],
                "heldout_count": written["heldout"], "heldout_ids": written["heldout_ids"]}
    if every and not enough_to_score(written["heldout"]):
        recorded["heldout_note"] = (f"only {written['heldout']} held-out document(s), too few to score: the "
                                    "version is judged on the fixed evaluation set alone")
        recorded["heldout_count"] = 0
    return recorded


def _check_name(db, name: str, root: Path) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"version name {name!r}: use letters, digits, '.', '-' and '_' only")
    if find_version(db, name) is not None or (root / paths.DATA_FOLDER / "models" / name).exists():
        raise ValueError(f"a model version or folder named {name!r} exists already")


def cancel_job(db: sqlite_utils.Database, job_id: int, user: str | None = None) -> bool:
    """SIGTERM the job's process group and mark it cancelled; False if it had already ended.
    user is who asks: Refused unless they may start jobs (check_role), whatever a page drew."""
    check_role(db, user, "cancel training jobs")
    job = get_job(db, job_id)
    if job["state"] not in ACTIVE_STATES:
        return False
    if job["pid"] and _process_alive(job["pid"], job_id):
        try:
            os.killpg(job["pid"], signal.SIGTERM)  # start_new_session: the group id is the pid
        except ProcessLookupError:
            pass
    record_event(db, job_id, {"event": "cancelled", "error": "cancelled by the user"})
    return True


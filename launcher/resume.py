"""Resuming a failed or cancelled training job from the last epoch its run saved: a new job with
the same command and --resume."""
from __future__ import annotations

import json
import shlex
import sys
from pathlib import Path

from launcher.jobs import _claim, _clear, job_dir
from launcher.processes import REPO_ROOT, TRAIN_SCRIPT, _spawn, refresh_jobs
from storage.db import connect, write_transaction
from storage.jobs import get_job, record_event, resumed_by
from storage.versions import find_version

RESUMABLE_STATES = ("failed", "cancelled")


def resume_point(job: dict) -> dict | None:
    """What resuming the job would start from: {"epoch", "step", "epochs"} of the last finished
    epoch its run saved (OUT.resume/state.json, core/training/run.py), None when there is none: no epoch
    finished, or the run cleaned it up. Without one, --resume would silently train from the start."""
    try:
        argv = shlex.split(job.get("command") or "")
    except ValueError:
        return None
    out = next((value for flag, value in zip(argv, argv[1:]) if flag == "--out"), None)
    epochs = next((value for flag, value in zip(argv, argv[1:]) if flag == "--epochs"), None)
    if out is None:
        return None
    try:
        state = json.loads((Path(out).with_name(Path(out).name + ".resume") / "state.json").read_text(encoding="utf-8"))
        return {"epoch": int(state["epoch"]), "step": int(state["step"]), "epochs": int(epochs) if epochs else None}
    except (OSError, ValueError, KeyError, TypeError):  # missing, or half written by a killed job
        return None


def resume_problem(db, job: dict) -> str | None:
    """Why the job cannot be resumed, or None when it can: it failed or was cancelled, nobody resumed
    it yet, its version does not exist (a resumed job that fails again is resumed in its turn), and
    it finished an epoch to resume from."""
    if job["state"] not in RESUMABLE_STATES:
        return f"job {job['id']} is {job['state']}; only failed or cancelled jobs resume"
    if not job.get("command"):
        return f"job {job['id']} has no recorded command"
    taken = resumed_by(db, job["id"])
    if taken is not None:
        return f"job {job['id']} was resumed already, as job {taken}"
    name = (job.get("params") or {}).get("name")
    if name and find_version(db, name) is not None:
        return f"a model version named {name!r} exists already"
    if resume_point(job) is None:
        return f"no epoch finished before job {job['id']} stopped, so nothing was saved to resume from; start a new job"
    return None


def resume_training(db_path, job_id: int, root=REPO_ROOT, user: str | None = None) -> int:
    """Start a new job that continues a failed or cancelled one: the same train_job.py command (the
    same --out, data and corrections snapshot) with --resume, so core/training/run.py picks up OUT.resume (the
    last finished epoch). Its own row and log; registered as the same version name when it finishes.
    The leftover model folder is the resumed run's own, so it does not block the name here."""
    root = Path(root).resolve()
    db_path = Path(db_path).resolve()
    db = connect(db_path)
    new_id = None
    try:
        refresh_jobs(db)
        with write_transaction(db):  # checked and claimed at once: two clicks cannot resume it twice
            old = get_job(db, job_id)
            problem = resume_problem(db, old)
            if problem:
                raise ValueError(problem)
            argv = shlex.split(old["command"])
            if len(argv) < 2 or Path(argv[1]).name != TRAIN_SCRIPT.name:
                raise ValueError(f"job {job_id}'s command is not a training job: {old['command']!r}")
            new_id = _claim(db, user, {**old["params"], "resumes": job_id})
        folder = _clear(job_dir(root, new_id))
        argv = _with_flags([sys.executable, str(TRAIN_SCRIPT), *argv[2:]],
                           {"--db": str(db_path), "--job-id": str(new_id), "--progress": str(folder / "progress.jsonl")})
        _spawn(db, new_id, argv + ["--resume"], folder, {**old["params"], "resumes": job_id, "user": user})
        return new_id
    except Exception as error:
        if new_id is not None:
            record_event(db, new_id, {"event": "failed", "error": f"could not start: {error}"})
        raise
    finally:
        db.close()


def _with_flags(argv: list[str], values: dict[str, str]) -> list[str]:
    """argv with each --flag's value replaced (added when missing), and no --resume (added by the caller)."""
    out, skip = [], False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg in values:
            skip = True
            continue
        if arg != "--resume":
            out.append(arg)
    for flag, value in values.items():
        out += [flag, value]
    return out


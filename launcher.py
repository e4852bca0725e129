"""Training processes: launch train_job.py for a job row, watch that it lives, cancel it, read its log.

The app never trains in its own process. start_training launches train_job.py in a session of
its own, and the job writes its events to the database (storage/jobs.py). The app only polls,
so it may restart while a job runs; refresh_jobs marks jobs whose process vanished as failed.
"""
from __future__ import annotations

import datetime
import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import sqlite_utils

from core import paths
from core.training.heldout import enough_to_score
from core.training.run_cli import PARAM_NAMES, params_to_argv
from storage.accounts import any_accounts, get_account
from storage.db import connect, write_transaction
from storage.documents import REVIEWED
from storage.snapshots import write_snapshot
from storage.jobs import (ACTIVE_STATES, LOG_TAIL_LINES, active_jobs, create_job, fail_vanished, get_job, queued_since,
                          record_event, resumed_by, running_jobs, set_process, update_job)
from storage.versions import find_version

REPO_ROOT = paths.ROOT
TRAIN_SCRIPT = REPO_ROOT / "train_job.py"
VANISHED = "process ended without finishing (killed?)"
LAUNCH_GRACE_S = 60  # a queued job without a process after this long was never launched

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
RESUMABLE_STATES = ("failed", "cancelled")
_NAME = re.compile(r"\w[\w.-]*")

_processes: dict[int, subprocess.Popen] = {}  # pid -> the Popen we started: polling it reaps the child


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


def _spawn(db, job_id: int, argv: list[str], folder: Path, params: dict) -> None:
    """Record the job's params and command, then launch it in a session of its own, logging to folder."""
    log_path = folder / "log.txt"
    update_job(db, job_id, params=params, log_path=str(log_path), command=shlex.join(argv))
    with open(log_path, "wb") as log:
        process = subprocess.Popen(argv, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                   stderr=subprocess.STDOUT, start_new_session=True,
                                   env={**os.environ, "PYTHONUNBUFFERED": "1"})
    _processes[process.pid] = process
    set_process(db, job_id, process.pid)  # the job may already have marked itself running


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


def _process_alive(pid: int, job_id: int) -> bool:
    """Whether pid is still this job's process (not a zombie, not a reused pid)."""
    process = _processes.get(pid)
    if process is not None:
        return process.poll() is None  # also reaps our own child once it ends
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    proc = Path(f"/proc/{pid}")
    try:
        state = (proc / "stat").read_text().rsplit(")", 1)[1].split()[0]
        if state in ("Z", "X"):
            return False
        argv = (proc / "cmdline").read_bytes().split(b"\0")
    except (OSError, IndexError):
        return proc.exists() or not Path("/proc/self").exists()  # no /proc at all: trust os.kill
    pairs = zip(argv, argv[1:])
    return any(flag == b"--job-id" and value == str(job_id).encode() for flag, value in pairs) and \
        any(arg.endswith(TRAIN_SCRIPT.name.encode()) for arg in argv)


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


def read_log(job: dict, max_lines: int = 200) -> str:
    """The last lines of the job's log file (stdout and stderr), '' if there is none."""
    path = job.get("log_path")
    if not path or not Path(path).exists():
        return ""
    with open(path, "rb") as file:
        file.seek(0, os.SEEK_END)
        file.seek(max(0, file.tell() - 256 * 1024))
        text = file.read().decode("utf-8", errors="replace")
    return "\n".join(text.splitlines()[-max_lines:])


def refresh_jobs(db: sqlite_utils.Database) -> list[int]:
    """Mark running jobs whose process is gone as failed; returns their ids. Cheap: call on every poll."""
    running = running_jobs(db)
    running_pids = {job["pid"] for job in running}
    for pid, process in list(_processes.items()):
        if process.poll() is not None and pid not in running_pids:
            del _processes[pid]  # reaped and ended: forget it
    failed = []
    for job in running:
        if job["pid"] is None or _process_alive(job["pid"], job["id"]):
            continue
        process = _processes.pop(job["pid"], None)
        code = process.returncode if process is not None else None
        error = VANISHED + (f" (exit code {code})" if code is not None else "")
        log = read_log(get_job(db, job["id"]), LOG_TAIL_LINES).splitlines()
        if fail_vanished(db, job["id"], error, log):
            failed.append(job["id"])
    # A job row whose launch never happened (the app died between creating it and starting it).
    stale = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=LAUNCH_GRACE_S)
    for job_id in queued_since(db, stale.isoformat(timespec="milliseconds")):
        record_event(db, job_id, {"event": "failed", "error": "the job was never started"})
        failed.append(job_id)
    return failed

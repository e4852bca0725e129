"""A training job's process: launch train_job.py in a session of its own, tell whether it still
lives, read its log, and mark the jobs whose process vanished as failed."""
from __future__ import annotations

import datetime
import os
import shlex
import subprocess
from pathlib import Path

import sqlite_utils

from core import paths
from storage.jobs import (LOG_TAIL_LINES, fail_vanished, get_job, queued_since, record_event, running_jobs, set_process,
                          update_job)

REPO_ROOT = paths.ROOT
TRAIN_SCRIPT = REPO_ROOT / "train_job.py"
VANISHED = "process ended without finishing (killed?)"
LAUNCH_GRACE_S = 60  # a queued job without a process after this long was never launched

_processes: dict[int, subprocess.Popen] = {}  # pid -> the Popen we started: polling it reaps the child


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


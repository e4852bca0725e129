"""Training jobs: their rows (state, progress, per-epoch metrics, log tail) and their processes.

The app never trains in its own process: start_training launches train_job.py in a session of
its own, and the job writes its events back here through JobSink. The app only polls, so it
may restart while a job runs; refresh_jobs marks jobs whose process vanished as failed.
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

from storage.db import connect, decode, dumps, now, one, write_transaction
from storage.documents import snapshot_corrections
from storage.versions import find_version, register_version

REPO_ROOT = Path(__file__).resolve().parent.parent
TRAIN_SCRIPT = REPO_ROOT / "train_job.py"
STATES = ("queued", "running", "finished", "failed", "cancelled")
ACTIVE_STATES = ("queued", "running")
LOG_TAIL_LINES = 50
VANISHED = "process ended without finishing (killed?)"
LAUNCH_GRACE_S = 60  # a queued job without a process after this long was never launched

# params -> train_job.py flags: a key k becomes --k with _ as -; True is a bare flag, False and
# None are left out, a list is joined with commas (data=["msra", "pd"] -> --data msra,pd).
TRAIN_PARAMS = ("data", "data_dir", "corrections_repeat", "encoder", "init_from", "head", "layers", "init",
                "epochs", "batch_size", "lr", "head_lr_multiplier", "warmup_fraction",
                "classifier_lr_multiplier", "time_budget", "patience", "max_steps", "train_limit",
                "dev_limit", "test_limit", "no_test", "seed", "device", "save_dtype")
# Read here, not passed on: use_corrections snapshots the corrected documents for the job;
# name is the new version's name and folder (default: v<job id>-<date>-<time>).
STUDIO_PARAMS = ("use_corrections", "name")
_NAME = re.compile(r"\w[\w.-]*")

_processes: dict[int, subprocess.Popen] = {}  # pid -> the Popen we started: polling it reaps the child


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


def _tail(old: str, lines: list[str]) -> str:
    return "\n".join(((old.splitlines() if old else []) + lines)[-LOG_TAIL_LINES:])


def _summary(event: dict) -> list[str]:
    """Human lines for the log tail (steps are too many to list)."""
    kind = event.get("event")
    if kind == "start":
        return [f"start: {event.get('total_steps')} steps, {event.get('sentences')} training sentences"]
    if kind == "epoch":
        best = " (best so far)" if event.get("is_best") else ""
        return [f"epoch {event.get('epoch')}: train loss {event.get('train_loss', 0):.4f}, "
                f"dev F1 {event.get('dev_f1', 0):.4f}{best}"]
    if kind == "done":
        return [f"done: {event.get('reason')}, best dev F1 {event.get('best_f1', 0):.4f}"]
    if kind == "finished":
        return [f"finished: model {event.get('model')}"]
    if kind == "failed":
        return [f"failed: {event.get('error')}"] + str(event.get("traceback") or "").splitlines()
    if kind == "log":
        return str(event.get("line", "")).splitlines()
    if kind == "step":
        return []
    return [f"{kind}: " + dumps({k: v for k, v in event.items() if k not in ("event", "time")})]


def record_event(db: sqlite_utils.Database, job_id: int, event: dict) -> None:
    """Fold one training event into the job's row.

    step: replaces progress; epoch: appended to epochs; log ({"event": "log", "line": ...}) and
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
        if kind == "step":
            row["progress_json"] = dumps(event)
        elif kind == "epoch":
            record = {k: v for k, v in event.items() if k not in ("event", "optimizer_state")}
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
        curves_file = model_path / "curves.json"
        curves = json.loads(curves_file.read_text(encoding="utf-8")) if curves_file.exists() else None
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
            finish_job(self.db, self.job_id, event["model"], scores=event.get("scores"))
            return
        try:
            record_event(self.db, self.job_id, event)
        except Exception as error:  # progress is best effort: a busy database must not stop training
            print(f"warning: could not record {event.get('event')} event for job {self.job_id}: {error}",
                  file=sys.stderr)


# ---- processes -----------------------------------------------------------------------------
def train_flags(params: dict) -> list[str]:
    """train_job.py's flags for params (see TRAIN_PARAMS); ValueError on an unknown key."""
    unknown = sorted(set(params) - set(TRAIN_PARAMS) - set(STUDIO_PARAMS))
    if unknown:
        raise ValueError(f"unknown training parameter(s) {', '.join(unknown)}; "
                         f"known: {', '.join(TRAIN_PARAMS + STUDIO_PARAMS)}")
    flags = []
    for key in TRAIN_PARAMS:
        value = params.get(key)
        if value is None or value is False:
            continue
        flag = "--" + key.replace("_", "-")
        if value is True:
            flags.append(flag)
        else:
            flags += [flag, ",".join(map(str, value)) if isinstance(value, (list, tuple)) else str(value)]
    return flags


def job_dir(root, job_id: int) -> Path:
    return Path(root) / "data" / "jobs" / str(job_id)


def start_training(db_path, params: dict, root=REPO_ROOT) -> int:
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
        if name is not None:
            _check_name(db, name, root)
        job_id = create_job(db, params)
        name = name or f"v{job_id}-{time.strftime('%Y%m%d-%H%M%S')}"
        folder = job_dir(root, job_id)
        folder.mkdir(parents=True, exist_ok=True)
        for stale in ("log.txt", "progress.jsonl", "corrections.jsonl"):  # a job of an older, deleted database
            (folder / stale).unlink(missing_ok=True)
        argv = [sys.executable, str(TRAIN_SCRIPT), "--out", str(root / "data" / "models" / name),
                "--db", str(db_path), "--job-id", str(job_id), "--progress", str(folder / "progress.jsonl"),
                "--quiet", *flags]
        recorded = {**params, "name": name}
        if params.get("use_corrections"):
            recorded["corrections_count"] = snapshot_corrections(db, folder / "corrections.jsonl")
            argv += ["--corrections", str(folder / "corrections.jsonl")]
        log_path = folder / "log.txt"
        update_job(db, job_id, params=recorded, log_path=str(log_path), command=shlex.join(argv))
        with open(log_path, "wb") as log:
            process = subprocess.Popen(argv, cwd=REPO_ROOT, stdin=subprocess.DEVNULL, stdout=log,
                                       stderr=subprocess.STDOUT, start_new_session=True,
                                       env={**os.environ, "PYTHONUNBUFFERED": "1"})
        _processes[process.pid] = process
        with write_transaction(db):
            # The job may already have marked itself running; never step back from an end state.
            db.execute("UPDATE jobs SET pid = ? WHERE id = ?", [process.pid, job_id])
            db.execute("UPDATE jobs SET state = 'running', started_at = ? WHERE id = ? AND state = 'queued'",
                       [now(), job_id])
        return job_id
    except Exception as error:
        if job_id is not None:
            record_event(db, job_id, {"event": "failed", "error": f"could not start: {error}"})
        raise
    finally:
        db.close()


def _check_name(db, name: str, root: Path) -> None:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(f"version name {name!r}: use letters, digits, '.', '-' and '_' only")
    if find_version(db, name) is not None or (root / "data" / "models" / name).exists():
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


def cancel_job(db: sqlite_utils.Database, job_id: int) -> bool:
    """SIGTERM the job's process group and mark it cancelled; False if it had already ended."""
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
    for pid, process in list(_processes.items()):
        if process.poll() is not None and not one(db, "SELECT id FROM jobs WHERE pid = ? AND state = 'running'", [pid]):
            del _processes[pid]  # reaped and ended: forget it
    failed = []
    for job in list(db.query("SELECT id, pid FROM jobs WHERE state = 'running'")):
        if job["pid"] is None or _process_alive(job["pid"], job["id"]):
            continue
        process = _processes.pop(job["pid"], None)
        code = process.returncode if process is not None else None
        with write_transaction(db):
            current = get_job(db, job["id"])
            if current["state"] != "running":  # it finished just before its process ended
                continue
            error = VANISHED + (f" (exit code {code})" if code is not None else "")
            log = read_log(current, LOG_TAIL_LINES).splitlines()
            db["jobs"].update(job["id"], {"state": "failed", "finished_at": now(), "error": error,
                                          "log_tail": _tail(current["log_tail"], [f"failed: {error}"] + log)})
        failed.append(job["id"])
    # A job row whose launch never happened (the app died between creating it and starting it).
    stale = datetime.datetime.now(datetime.timezone.utc) - datetime.timedelta(seconds=LAUNCH_GRACE_S)
    for job in list(db.query("SELECT id FROM jobs WHERE state = 'queued' AND pid IS NULL AND created_at < ?",
                             [stale.isoformat(timespec="milliseconds")])):
        record_event(db, job["id"], {"event": "failed", "error": "the job was never started"})
        failed.append(job["id"])
    return failed

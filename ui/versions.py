"""Model versions and training jobs as the Train and Model screens describe them. Pure: plain dicts."""
from __future__ import annotations

import json

from core.evaluation import micro_f1s


def _decoded(value):
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return None
    return value


def version_scores(version: dict) -> dict:
    """scores.json content of a version row ({corpus: {token_accuracy, entities}}), {} if none."""
    return _decoded(version.get("scores", version.get("scores_json"))) or {}


def version_curves(version: dict) -> list:
    return _decoded(version.get("curves", version.get("curves_json"))) or []


def compare_scores(candidate: dict, reference: dict) -> tuple[bool | None, str]:
    """(worse?, explanation) of a candidate's micro F1 against a reference's, on shared corpora.

    worse is None when nothing can be compared (no scores, or no corpus in common): promotion
    then asks for confirmation as well, since nothing shows the candidate is as good.
    """
    mine, theirs = micro_f1s(candidate), micro_f1s(reference)
    shared = sorted(set(mine) & set(theirs))
    if not shared:
        return None, "its scores cannot be compared with the active version's (no evaluation set in common)"
    deltas = {corpus: mine[corpus] - theirs[corpus] for corpus in shared}
    mean_delta = sum(deltas.values()) / len(deltas)
    detail = ", ".join(f"{c} {100 * mine[c]:.1f} vs {100 * theirs[c]:.1f}" for c in shared)
    if mean_delta < 0:
        return True, f"it scores {100 * -mean_delta:.1f} F1 points lower on average ({detail})"
    return False, f"it scores {100 * mean_delta:+.1f} F1 points on average ({detail})"


def version_label(version: dict) -> str:
    f1s = micro_f1s(version_scores(version))
    scores = " · ".join(f"{corpus} {100 * f1:.1f}" for corpus, f1 in f1s.items())
    active = " (active)" if version.get("is_active") else ""
    return f"{version['name']}{active}" + (f" — F1 {scores}" if scores else "")


def job_progress(job: dict) -> dict:
    """Epoch, step, total steps, fraction done and ETA (seconds) from a job's latest step event."""
    progress = _decoded(job.get("progress", job.get("progress_json"))) or {}
    epochs = _decoded(job.get("epochs", job.get("epochs_json"))) or []
    step, total = progress.get("step"), progress.get("total_steps")
    seconds = progress.get("seconds")
    fraction = step / total if step and total else 0.0
    eta = seconds / step * (total - step) if step and total and seconds is not None else None
    epoch = progress.get("epoch") or (epochs[-1]["epoch"] if epochs else None)
    return {"epoch": epoch, "step": step, "total_steps": total, "fraction": min(max(fraction, 0.0), 1.0),
            "eta_s": eta, "loss": progress.get("loss"), "epochs": epochs}


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "—"
    seconds = int(round(seconds))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}h {minutes:02d}m" if hours else f"{minutes}m {secs:02d}s" if minutes else f"{secs}s"


def step_events(progress_file) -> list[dict]:
    """The step events ({step, loss, ...}) of a job's progress.jsonl, in order; [] if none yet.

    A line still being written (no newline yet, or cut JSON) is skipped, not an error.
    """
    from pathlib import Path

    path = Path(progress_file)
    if not path.is_file():
        return []
    steps = []
    for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
        try:
            event = json.loads(line)
        except json.JSONDecodeError:
            continue
        if isinstance(event, dict) and event.get("event") == "step":
            steps.append(event)
    return steps

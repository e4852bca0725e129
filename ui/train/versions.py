"""Model versions and training jobs as the Train and Model screens describe them. Pure: plain dicts."""
from __future__ import annotations

import json
import time
from pathlib import Path

from core.scores.evaluation import comparable_sets, micro_f1s
from ui.formats import percent, set_label, set_labels


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
    return measured_curves(_decoded(version.get("curves", version.get("curves_json"))) or [])


def measured_curves(rows: list) -> list:
    """Curve rows with dev F1 None where no dev set was scored: versions trained before that was
    recorded as None say 0.0 there (no dev loss, no per-type scores), and a curve must not show it."""
    return [{**row, "dev_f1": None} if isinstance(row, dict) and "dev_loss" in row and row["dev_loss"] is None
            and not row.get("dev_entities") else row for row in rows]


def compare_scores(candidate: dict, reference: dict) -> tuple[bool | None, str]:
    """(worse?, explanation) of a candidate's micro F1 against a reference's, on the evaluation sets
    both were measured on with the same sentences (core.scores.evaluation.same_set): a 300-sentence
    sample's F1 is never set against the whole test set's.

    worse is None when nothing can be compared (no scores, no set in common, or only sets of one
    name but different sizes): promotion then asks for confirmation as well, since nothing shows
    the candidate is as good.
    """
    mine, theirs = micro_f1s(candidate), micro_f1s(reference)
    same, apart = comparable_sets(candidate, reference)
    unlike = "; ".join(f"{set_label(c, candidate[c])} vs {set_label(c, reference[c])}" for c in apart)
    if not same:
        if unlike:
            return None, f"its scores cannot be compared with the active version's: measured on different sets ({unlike})"
        return None, "its scores cannot be compared with the active version's (no evaluation set in common)"
    deltas = {corpus: mine[corpus] - theirs[corpus] for corpus in same}
    mean_delta = sum(deltas.values()) / len(deltas)
    detail = ", ".join(f"{set_labels(c, [candidate[c], reference[c]])[0]} F1 {percent(mine[c])} vs {percent(theirs[c])}"
                       for c in same)
    if unlike:
        detail += f"; not compared, measured on different sets: {unlike}"
    if mean_delta < 0:
        return True, f"it scores {100 * -mean_delta:.1f} F1 points lower on average ({detail})"
    return False, f"it scores {100 * mean_delta:+.1f} F1 points on average ({detail})"


def lineage(version: dict, training: dict | None, job: dict | None) -> dict:
    """Where a version comes from: its parent model, the corrections it trained on, its held-out set."""
    params = (job or {}).get("params") or {}
    parent = params.get("parent") or ((training or {}).get("init_from") and Path(training["init_from"]).name)
    return {"version": version["name"], "parent": parent or "—",
            "corrections": params.get("corrections_count"), "held out": params.get("heldout_count"),
            "note": params.get("heldout_note", "")}


def lineage_text(version: dict, training: dict | None, job: dict | None) -> str | None:
    """One line on where a version comes from and how it did on the user's held-out documents."""
    line = lineage(version, training, job)
    if line["parent"] == "—":
        return None
    start, improves = (training or {}).get("init_from"), (training or {}).get("improves")
    if start and improves and Path(start).resolve() != Path(improves).resolve():
        # core.training.improve.improvement_base: the base learns all the corrections afresh
        text = f"Improves on {line['parent']}: its base {Path(start).name} fine-tuned afresh"
    else:
        text = f"Fine-tuned from {line['parent']}"
    if line["corrections"] is not None:
        text += f" on {line['corrections']} reviewed document(s), {line['held out'] or 0} held out"
    scores, earlier = version_scores(version), (training or {}).get("before")
    if "heldout" in comparable_sets(scores, earlier)[0]:  # scored before and after training, on the same documents
        after, before = micro_f1s(scores)["heldout"], micro_f1s(earlier)["heldout"]
        text += (f"; F1 on the {set_label('heldout', scores['heldout'])} {100 * before:.1f} -> {100 * after:.1f} "
                 f"({100 * (after - before):+.1f})")
    return text + "."


def promotion_reference(training: dict | None, active_folder: str) -> dict | None:
    """The active model's scores on the candidate's own evaluation sets, when the candidate was
    made to improve on the active model: the job scored it on the same sample and held-out
    documents before training. None otherwise (compare with the active model's saved scores)."""
    training = training or {}
    before, parent = training.get("before"), training.get("improves") or training.get("init_from")
    if not before or not parent or Path(parent).resolve() != Path(active_folder).resolve():
        return None
    return before


def version_label(version: dict) -> str:
    """'v3 (active) — F1 MSRA test (300-sentence sample) 92.4% · held-out corrections (25 documents) 80.1%':
    each figure with the set it was measured on, never 'test F1' for the held-out corrections."""
    scores = version_scores(version)
    shown = " · ".join(f"{set_label(corpus, scores[corpus])} {percent(f1)}" for corpus, f1 in micro_f1s(scores).items())
    active = " (active)" if version.get("is_active") else ""
    return f"{version['name']}{active}" + (f" — F1 {shown}" if shown else "")


def job_progress(job: dict, now: float | None = None) -> dict:
    """Phase, epoch, step, total steps, fraction done and ETA (seconds) from a job's latest progress
    event. The job's own ETA (training steps left, then the evaluations and saving) wins, counted
    down from the event's time to now (events come seconds or minutes apart); an older job
    without one gets the steps-only estimate. Each phase has its own fraction: the training steps,
    or the characters scored so far (the baseline before training, the evaluation after it)."""
    progress = _decoded(job.get("progress", job.get("progress_json"))) or {}
    epochs = measured_curves(_decoded(job.get("epochs", job.get("epochs_json"))) or [])
    phase = progress.get("phase", "training") if progress else None
    step, total = progress.get("step"), progress.get("total_steps")
    seconds = progress.get("seconds")
    fraction = step / total if step and total else 0.0
    if phase in SCORING_PHASES:
        fraction = progress.get("fraction", 1.0 if phase == "evaluating" else 0.0)  # older jobs: no fraction
    elif phase == "saving":
        fraction = 1.0  # every training step is done, and every set scored
    eta = progress.get("eta_s")
    if eta is None and phase == "training" and step and total and seconds is not None:
        eta = seconds / step * (total - step)
    if eta is not None and progress.get("time") is not None:
        eta = max(0.0, eta - ((time.time() if now is None else now) - progress["time"]))
    epoch = progress.get("epoch") or (epochs[-1]["epoch"] if epochs else None)
    return {"phase": phase, "phase_text": phase_text(progress), "epoch": epoch, "step": step, "total_steps": total,
            "fraction": min(max(fraction, 0.0), 1.0), "eta_s": eta, "loss": progress.get("loss"), "epochs": epochs}


SCORING_PHASES = ("baseline", "evaluating")


def phase_text(progress: dict) -> str:
    """What the job does now, in words: scoring the model before training <set> (i of n), training
    (step x of y), evaluating <set> (i of n), saving."""
    phase = progress.get("phase", "training") if progress else None
    where = f"{progress.get('set')} ({progress.get('index')} of {progress.get('of')})" if progress else ""
    if phase == "baseline":
        return f"scoring the model before training, to compare: {where}"
    if phase == "evaluating":
        return f"evaluating {where}"
    if phase == "saving":
        return "saving the model"
    if phase == "training" and progress.get("step") is not None:
        total = progress.get("total_steps")
        return f"training, step {progress['step']:,} of {f'{total:,}' if total else '?'}"
    return "starting"


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
        if isinstance(event, dict) and event.get("event") == "step" and event.get("phase", "training") == "training":
            steps.append(event)
    return steps

"""The simulated annotator: do a few dozen corrections make the model better on the user's own text,
within minutes, without forgetting? Target (issue 10): after 100 corrections, held-out F1 at least
5 points above the start; least-confident-first at least as good as random; each retraining within
10 minutes (evaluation included) on 2 CPU cores; MSRA test F1 down by at most 1 point.

    .venv/bin/python bench/adapt.py --gold eval/modern/dev.jsonl [--pool-fraction 0.5] [--rounds 2]
        [--per-round 50] [--strategy least-confident|spot-check|random|both|all ...] [--time-budget 8]
        [--seed 13 [29 ...]] [--json OUT]
    .venv/bin/python bench/adapt.py --report OUT [OUT ...]   # the report of earlier runs, and their mean

The gold documents ({"text", "spans"} lines) are split into a pool and a held-out part. For each
strategy, a fresh studio database gets the pool through storage/, tagged by the starting model
(what the Correct screen's queue holds). Each round takes the K documents the Correct screen
shows first in its default order (least confident first), or in its spot-check order (every 5th
place the most confident left), or K at random; saves their gold spans
as corrections with storage's save_correction (what the screen's Save calls), starts the Train
screen's job (launcher.start_training with core.training.improve's params, the time budget given), waits,
promotes the new version, refreshes the queue's suggestions with it (the Correct screen's
"Refresh" button: the next round's order is the new version's) and scores the held-out part.
MSRA test F1 is measured on a fixed sample before and after. Each round also counts the entity
mistakes of the queue's suggestions that its corrections fixed: how much of the annotator's time
went into real fixes rather than confirming right tags. Exit 1 when the last round is not above
the start.
"""
from __future__ import annotations

import argparse
import json
import random
import sys
import tempfile
import time
from pathlib import Path

from _common import DEFAULT_MODEL, ROOT  # noqa: I001
from adapt_report import STRATEGIES, full_report, improved  # noqa: E402

from core.data.conll_jsonl import read_jsonl_spans  # noqa: E402
from core.data.corpus_files import split_paths  # noqa: E402
from core.data.corpora import read_pair  # noqa: E402
from core.training.improve import improve_params  # noqa: E402
from core.scores.metrics import drop_types, entity_scores  # noqa: E402
from core.model.model import TRAINING_FILE, read_json  # noqa: E402
from core.tagging.predict import Tagger  # noqa: E402

CHOICES = {**{name: (name,) for name in STRATEGIES}, "both": ("least-confident", "random"), "all": STRATEGIES}


def parse_args(argv=None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gold", help="JSON lines {text, spans}: the user's own text, annotated")
    parser.add_argument("--pool-fraction", type=float, default=0.5, help="share of the gold documents to correct")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--per-round", type=int, default=50, help="corrections per round")
    parser.add_argument("--strategy", choices=list(CHOICES), nargs="+", default=["both"],
                        help="both: the Correct screen's default order (least-confident) and random; all: every one")
    parser.add_argument("--time-budget", type=float, default=None, help="minutes per retraining (default: the Train screen's)")
    parser.add_argument("--seed", type=int, nargs="+", default=[13],
                        help="splits the gold documents and draws the random picks; several seeds run one "
                             "after another and the report ends with their mean")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="the starting (active) model folder")
    parser.add_argument("--data-dir", default=str(ROOT / "data"), help="where the prepared corpora are")
    parser.add_argument("--msra-sample", type=int, default=500, help="MSRA test sentences scored before and after")
    parser.add_argument("--json", help="write the results here")
    parser.add_argument("--param", action="append", default=[], metavar="KEY=VALUE",
                        help="override one of the improve job's params, e.g. mention_swap=0 (a study)")
    parser.add_argument("--keep", help="keep the studio folders here (default: a temporary folder)")
    parser.add_argument("--report", nargs="+", metavar="JSON",
                        help="print the report of earlier --json outputs again (several: each, then their mean)")
    args = parser.parse_args(argv)
    if not args.report and not args.gold:
        parser.error("--gold is required (or --report JSON... to re-print earlier results)")
    return args


def split_gold(documents: list, pool_fraction: float, seed: int) -> tuple[list, list]:
    order = list(range(len(documents)))
    random.Random(seed).shuffle(order)
    cut = int(round(pool_fraction * len(documents)))
    return [documents[i] for i in order[:cut]], [documents[i] for i in order[cut:]]


def f1_on(model_folder, sentences, ignore=frozenset()) -> dict:
    """Entity scores of a model folder's tags against gold sentences (types in ignore set to O)."""
    tagger = Tagger.from_folder(model_folder)
    predicted = tagger.tag_texts([s.chars for s in sentences])
    return entity_scores([drop_types(s.tags, ignore) for s in sentences], [drop_types(r.tags, ignore) for r in predicted])


def fresh_studio(folder: Path, pool: list, model_folder: str) -> Path:
    """A new studio database whose queue holds the pool, tagged by the model (as the app adds texts)."""
    from storage.db import connect
    from storage.documents import add_documents
    from storage.versions import ensure_default_version

    db_path = folder / "studio.db"
    db = connect(db_path)
    ensure_default_version(db, model_folder)
    tagged = Tagger.from_folder(model_folder).tag_texts([s.text for s in pool])
    add_documents(db, [{"text": r.text, "source": "bench:pool", "predicted_spans": [list(s) for s in r.spans],
                        "predicted_by": "default", "confidence": r.lowest_confidence} for r in tagged])
    db.close()
    return db_path


def mistakes(doc: dict, gold_spans: dict) -> int:
    """Entity mistakes in a queued document's suggestion: spans suggested but not gold, or gold
    but not suggested (a wrong type or boundary counts twice, as seqeval's FP + FN)."""
    suggested = {tuple(span) for span in doc["predicted_spans"]}
    return len(suggested ^ {tuple(span) for span in gold_spans[doc["text"]]})


def correct_next(db, gold_spans: dict, count: int, strategy: str, rng: random.Random) -> dict:
    """Save the gold spans of the next `count` documents the strategy picks.

    Returns {"added": how many, "fixed": the suggestions' entity mistakes in them, "waiting": the
    mistakes in the whole queue before}: how much of a user's time went into real fixes."""
    from storage.documents import queue, save_correction
    from storage.versions import active_version

    waiting = queue(db, order="oldest", status="to review")
    if strategy == "random":  # drawn from the id order, so the draw does not depend on any ranking
        chosen = rng.sample(waiting, min(count, len(waiting)))
    else:  # the Correct screen's orders
        chosen = queue(db, order="confidence" if strategy == "least-confident" else strategy,
                       status="to review", limit=count)
    version = active_version(db)["name"]
    for doc in chosen:
        save_correction(db, doc["id"], gold_spans[doc["text"]], "bench:annotator", version, doc["revision"])
    return {"added": len(chosen), "fixed": sum(mistakes(doc, gold_spans) for doc in chosen),
            "waiting": sum(mistakes(doc, gold_spans) for doc in waiting)}


def retrain(db_path: Path, root: Path, data_dir: str, budget: float | None, corrections: int,
            overrides: dict) -> tuple[dict, float]:
    """The Train screen's "improve" job, waited for; (its row, wall seconds from start to registration)."""
    import launcher
    from storage.db import connect
    from storage.jobs import ACTIVE_STATES, get_job
    from storage.versions import active_version

    db = connect(db_path)
    active = active_version(db)
    params = {**improve_params(str(Path(active["path"]).resolve()), corrections, gpu=False), "parent": active["name"],
              "data_dir": data_dir}
    if budget is not None:
        params["time_budget"] = budget
    params.update(overrides)
    started = time.time()
    job_id = launcher.start_training(db_path, params, root=root)
    while True:
        launcher.refresh_jobs(db)
        job = get_job(db, job_id)
        if job["state"] not in ACTIVE_STATES:
            break
        time.sleep(2)
    seconds = time.time() - started
    db.close()
    if job["state"] != "finished":
        raise SystemExit(f"retraining failed ({job['state']}): {job.get('error')}\n{job.get('log_tail')}")
    return job, seconds


def param_overrides(pairs: list[str]) -> dict:
    """{"mention_swap": 0.0} from ["mention_swap=0"]: values read as JSON where they parse, else as text."""
    import launcher

    overrides = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        if not sep or not key:
            raise SystemExit(f"error: --param {pair!r}: expected KEY=VALUE")
        try:
            overrides[key] = json.loads(value)
        except json.JSONDecodeError:
            overrides[key] = value
    unknown = sorted(set(overrides) - set(launcher.TRAIN_PARAMS))
    if unknown:
        raise SystemExit(f"error: --param {', '.join(unknown)}: not a training parameter; "
                         f"known: {', '.join(launcher.TRAIN_PARAMS)}")
    return overrides


def promote(db_path: Path, job_id: int) -> str:
    """Make the job's version active and refresh the queue's suggestions with it, as the Correct
    screen offers to: the next round's least-confident order is the new version's."""
    from storage import suggestions
    from storage.db import connect
    from storage.versions import list_versions, set_active

    db = connect(db_path)
    [version] = [v for v in list_versions(db) if v.get("job_id") == job_id]
    set_active(db, version["id"])
    suggestions.refresh(db, Tagger.from_folder(version["path"]).tag_texts, version["name"])
    db.close()
    return version["path"]


def run_strategy(strategy: str, args, seed: int, pool, heldout, folder: Path, overrides: dict) -> dict:
    from storage.db import connect

    gold_spans = {s.text: [list(span) for span in _spans(s)] for s in pool}
    db_path = fresh_studio(folder, pool, str(Path(args.model).resolve()))
    rng = random.Random(seed)
    model = args.model
    rounds = [{"round": 0, "corrections": 0, "heldout": f1_on(model, heldout)["micro"]["f1"], "seconds": None}]
    print(f"{strategy}: start, held-out F1 {100 * rounds[0]['heldout']:.1f}", flush=True)
    total = 0
    for number in range(1, args.rounds + 1):
        db = connect(db_path)
        picked = correct_next(db, gold_spans, args.per_round, strategy, rng)
        db.close()
        added = picked["added"]
        if added == 0:
            print(f"{strategy}: the queue is empty after {total} corrections; stopping", flush=True)
            break
        total += added
        job, seconds = retrain(db_path, folder, args.data_dir, args.time_budget, total, overrides)
        model = promote(db_path, job["id"])
        f1 = f1_on(model, heldout)["micro"]["f1"]
        training = read_json(model, TRAINING_FILE, {})
        rounds.append({"round": number, "corrections": total, "heldout": f1, "seconds": seconds,
                       "trained_on": job["params"].get("corrections_count"),
                       "job_heldout": job["params"].get("heldout_count"),
                       "mistakes_fixed": picked["fixed"], "mistakes_waiting": picked["waiting"],
                       # the share of the base mixed back, and the forgetting guard's tries (core/training/run.py)
                       "keep_start": training.get("keep_start"), "guard": training.get("guard")})
        print(f"{strategy}: round {number}, {total} corrections ({picked['fixed']} of the queue's "
              f"{picked['waiting']} mistakes), held-out F1 {100 * f1:.1f}, retraining {seconds:.0f} s", flush=True)
    return {"rounds": rounds, "final_model": model}


def _spans(sentence):
    from core.labels import tags_to_spans

    return tags_to_spans(sentence.tags)


def run_seed(args, seed: int, documents: list, msra: list, overrides: dict, base: Path) -> dict:
    """Every strategy on one split of the gold documents: {"seed", "msra_before", "strategies"}."""
    pool, heldout = split_gold(documents, args.pool_fraction, seed)
    if not pool or not heldout:
        raise SystemExit(f"error: {args.gold}: {len(documents)} documents cannot make both a pool and a held-out part")
    print(f"seed {seed}: {len(pool)} documents to correct, {len(heldout)} held out; "
          f"MSRA sample {len(msra)} sentences", flush=True)
    msra_before = f1_on(args.model, msra, {"T"})["micro"]["f1"]
    strategies = [name for name in STRATEGIES if any(name in CHOICES[choice] for choice in args.strategy)]
    results = {"seed": seed, "args": vars(args), "msra_before": msra_before, "strategies": {}}
    for strategy in strategies:
        folder = base / strategy
        folder.mkdir(parents=True, exist_ok=True)
        outcome = run_strategy(strategy, args, seed, pool, heldout, folder, overrides)
        outcome["msra_after"] = f1_on(outcome.pop("final_model"), msra, {"T"})["micro"]["f1"]
        results["strategies"][strategy] = outcome
    return results


def main(argv=None) -> int:
    args = parse_args(argv)
    if args.report:
        runs = []
        for path in args.report:
            saved = json.loads(Path(path).read_text(encoding="utf-8"))
            runs.extend(saved["runs"] if "runs" in saved else [saved])
        print(full_report(runs))
        return 0 if improved(runs) else 1
    overrides = param_overrides(args.param)
    documents = read_jsonl_spans(args.gold)
    msra = read_pair(*split_paths("msra", "test", args.data_dir))[: args.msra_sample]
    runs = []
    with tempfile.TemporaryDirectory(prefix="ner-adapt-") as scratch:
        base = Path(args.keep or scratch)
        for seed in args.seed:
            folder = base / f"seed-{seed}" if len(args.seed) > 1 else base
            runs.append(run_seed(args, seed, documents, msra, overrides, folder))
            if args.json:  # after each seed: a long run stopped halfway keeps the seeds it finished
                saved = runs[0] if len(args.seed) == 1 else {"runs": runs}
                Path(args.json).write_text(json.dumps(saved, indent=1, ensure_ascii=False), encoding="utf-8")
    print(full_report(runs))
    return 0 if improved(runs) else 1


if __name__ == "__main__":
    sys.exit(main())

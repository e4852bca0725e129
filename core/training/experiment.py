"""The seed's studies, one command each: python -m core experiment {head,layers,init} [options].

Every variant is a real training run (core/training/run.py); results/experiments/<study>/results.json (rows the
app's Model page plots) and results.md (the table) are rewritten after each variant.
"""
from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from core import paths
from core.atomic import write_text, write_json
from core.data.corpus_files import BUNDLED
from core.model.config import CURVES_FILE, SCORES_FILE, TRAINING_FILE, read_json
from core.training.options import RunOptions
from core.training.run_cli import JsonLinesSink, ProgressBar
from core.training.settings import TrainSettings

ROOT = paths.ROOT
STUDIES = {
    "head": [{"variant": "crf", "head": "crf"}, {"variant": "softmax", "head": "softmax"}],
    "layers": [{"variant": f"{n} layer{'s' if n > 1 else ''}", "layers": n} for n in (1, 2, 4, 8, 12)],
    "init": [{"variant": "pretrained", "init": "pretrained"}, {"variant": "embeddings only", "init": "embeddings"},
             {"variant": "random", "init": "random"}],
}


def add_arguments(parser: argparse.ArgumentParser) -> argparse.ArgumentParser:
    parser.add_argument("study", choices=sorted(STUDIES))
    parser.add_argument("--out", default=str(paths.experiments_dir()))
    parser.add_argument("--data", default=",".join(BUNDLED))
    parser.add_argument("--layers", type=int, default=2, help="encoder layers for the head and init studies")
    parser.add_argument("--train-limit", type=int, default=3000, help="sentences per corpus (the default keeps a study under an hour on 2 CPU cores)")
    parser.add_argument("--dev-limit", type=int, default=500)
    parser.add_argument("--test-limit", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--time-budget", type=float, default=4.0, help="minutes per variant")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--device", default="auto")
    return parser


def variant_options(args, variant: dict, out: Path) -> RunOptions:
    """A study's short run: its budget, the variant's head, init or depth; the rest defaults."""
    settings = TrainSettings(epochs=args.epochs, batch_size=args.batch_size, lr=args.lr,
                             time_budget_s=args.time_budget * 60)
    return RunOptions(out=str(out), data=args.data, train_limit=args.train_limit, dev_limit=args.dev_limit,
                      test_limit=args.test_limit, device=args.device,
                      layers=variant.get("layers", args.layers), head=variant.get("head", "crf"),
                      init=variant.get("init", "pretrained"), settings=settings)


def summarise(variant: dict, folder: Path) -> dict:
    curves, scores, training = (read_json(folder, name) for name in (CURVES_FILE, SCORES_FILE, TRAINING_FILE))
    return {"variant": variant["variant"], "settings": {k: v for k, v in variant.items() if k != "variant"},
            "dev_f1": max((row["dev_f1"] for row in curves if row["dev_f1"] is not None), default=None),  # None: no dev set
            "test": scores, "curves": curves,
            "seconds": training.get("seconds"), "device": training.get("device_name")}


def describe_budget(args) -> str:
    """One line a reader needs before comparing F1s: how little each variant was trained."""
    return (f"Each variant: at most {args.epochs} epochs or {args.time_budget:g} minutes of training, batch "
            f"{args.batch_size}, lr {args.lr:g}, the first {args.train_limit:,} sentences of each corpus "
            f"({args.data}); dev {args.dev_limit:,} and test {args.test_limit:,} sentences a corpus. "
            "Short runs: compare the rows, not the absolute F1 with the default model's.")


def write_table(rows: list[dict], path: Path, title: str, command: str, budget: str = "") -> None:
    corpora = sorted({name for row in rows for name in row["test"]})
    devices = sorted({row.get("device") or "?" for row in rows})
    lines = [f"# {title}", "", f"Reproduce: `{command}`", "", *([budget, ""] if budget else []),
             f"Device: {', '.join(devices)}.", "",
             "| variant | dev F1 | " + " | ".join(f"{c} test F1" for c in corpora) + " | seconds |",
             "|---|---|" + "---|" * len(corpora) + "---|"]
    for row in rows:
        cells = [f"{row['test'][c]['entities']['micro']['f1']:.4f}" if c in row["test"] else "" for c in corpora]
        dev = "—" if row["dev_f1"] is None else f"{row['dev_f1']:.4f}"
        lines.append(f"| {row['variant']} | {dev} | " + " | ".join(cells) + f" | {row['seconds']:.0f} |")
    write_text(path, "\n".join(lines) + "\n")


def run_args(args: argparse.Namespace, command: str) -> int:
    from core.training.run import run  # here: it imports torch, which the study's flags never need

    study_dir = Path(args.out) / args.study
    models = study_dir / "models"  # git-ignored: the weights are large, the JSON rows are not
    models.mkdir(parents=True, exist_ok=True)
    rows = []
    for variant in STUDIES[args.study]:
        folder = models / variant["variant"].replace(" ", "_")
        shutil.rmtree(folder, ignore_errors=True)
        print(f"== {args.study}: {variant['variant']}", flush=True)
        sinks = [JsonLinesSink(str(folder) + ".jsonl"), ProgressBar()]
        if run(variant_options(args, variant, folder), sinks, [command]) != 0:
            print(f"variant {variant['variant']} failed; see {folder}.jsonl", file=sys.stderr)
            return 1
        rows.append(summarise(variant, folder))
        write_json(study_dir / "results.json", rows)
        write_table(rows, study_dir / "results.md", f"Study: {args.study}", command, describe_budget(args))
    print((study_dir / "results.md").read_text(encoding="utf-8"))
    return 0


def parse_args(argv) -> argparse.Namespace:
    return add_arguments(argparse.ArgumentParser(prog="python -m core experiment", description=__doc__)).parse_args(argv)


def main(argv=None) -> int:
    argv = list(argv if argv is not None else sys.argv[1:])
    return run_args(parse_args(argv), "python -m core experiment " + " ".join(argv))

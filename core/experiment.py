"""The seed's studies, one command each: python -m core experiment {head,layers,init} [options].

Every variant is a real train_job.py run; results/experiments/<study>/results.json (rows the
app's Model page plots) and results.md (the table) are rewritten after each variant.
"""
from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
STUDIES = {
    "head": [{"variant": "crf", "head": "crf"}, {"variant": "softmax", "head": "softmax"}],
    "layers": [{"variant": f"{n} layer{'s' if n > 1 else ''}", "layers": n} for n in (1, 2, 4, 8, 12)],
    "init": [{"variant": "pretrained", "init": "pretrained"}, {"variant": "embeddings only", "init": "embeddings"},
             {"variant": "random", "init": "random"}],
}


def parse_args(argv):
    parser = argparse.ArgumentParser(prog="python -m core experiment", description=__doc__)
    parser.add_argument("study", choices=sorted(STUDIES))
    parser.add_argument("--out", default=str(ROOT / "results" / "experiments"))
    parser.add_argument("--data", default="msra,pd")
    parser.add_argument("--layers", type=int, default=2, help="encoder layers for the head and init studies")
    parser.add_argument("--train-limit", type=int, default=3000, help="sentences per corpus (the default keeps a study under an hour on 2 CPU cores)")
    parser.add_argument("--dev-limit", type=int, default=500)
    parser.add_argument("--test-limit", type=int, default=1000)
    parser.add_argument("--epochs", type=int, default=2)
    parser.add_argument("--time-budget", type=float, default=4.0, help="minutes per variant")
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--device", default="auto")
    return parser.parse_args(argv)


def variant_argv(args, variant: dict, out: Path) -> list[str]:
    argv = ["--out", str(out), "--data", args.data, "--train-limit", str(args.train_limit),
            "--dev-limit", str(args.dev_limit), "--test-limit", str(args.test_limit),
            "--epochs", str(args.epochs), "--time-budget", str(args.time_budget),
            "--batch-size", str(args.batch_size), "--lr", str(args.lr), "--device", args.device,
            "--layers", str(variant.get("layers", args.layers)), "--progress", str(out) + ".jsonl"]
    for key in ("head", "init"):
        if key in variant:
            argv += [f"--{key}", variant[key]]
    return argv


def summarise(variant: dict, folder: Path) -> dict:
    curves = json.loads((folder / "curves.json").read_text(encoding="utf-8"))
    scores = json.loads((folder / "scores.json").read_text(encoding="utf-8"))
    training = json.loads((folder / "training.json").read_text(encoding="utf-8"))
    return {"variant": variant["variant"], "settings": {k: v for k, v in variant.items() if k != "variant"},
            "dev_f1": max(row["dev_f1"] for row in curves), "test": scores, "curves": curves,
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
        lines.append(f"| {row['variant']} | {row['dev_f1']:.4f} | " + " | ".join(cells) + f" | {row['seconds']:.0f} |")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main(argv=None) -> int:
    args = parse_args(argv if argv is not None else sys.argv[1:])
    sys.path.insert(0, str(ROOT))
    from train_job import main as train_main

    study_dir = Path(args.out) / args.study
    models = study_dir / "models"  # git-ignored: the weights are large, the JSON rows are not
    models.mkdir(parents=True, exist_ok=True)
    command = "python -m core experiment " + " ".join(argv if argv is not None else sys.argv[1:])
    rows = []
    for variant in STUDIES[args.study]:
        folder = models / variant["variant"].replace(" ", "_")
        shutil.rmtree(folder, ignore_errors=True)
        print(f"== {args.study}: {variant['variant']}", flush=True)
        if train_main(variant_argv(args, variant, folder)) != 0:
            print(f"variant {variant['variant']} failed; see {folder}.jsonl", file=sys.stderr)
            return 1
        rows.append(summarise(variant, folder))
        (study_dir / "results.json").write_text(json.dumps(rows, ensure_ascii=False, indent=1), encoding="utf-8")
        write_table(rows, study_dir / "results.md", f"Study: {args.study}", command, describe_budget(args))
    print((study_dir / "results.md").read_text(encoding="utf-8"))
    return 0

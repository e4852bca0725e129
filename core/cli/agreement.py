"""`python -m core agreement A.jsonl B.jsonl [--json]`: how far two annotators' files agree.

Both files are our JSON lines of spans ({"text": ..., "spans": [[start, end, label], ...]} a
line), the same texts in the same order. Prints entity F1 over exact spans (overall and per type),
Cohen's kappa over character tags and the lines that disagree most; --json prints
{"f1": ..., "per_type": {...}, "kappa": ..., "documents": n, "disagreeing": [[line, spans differing], ...]}.
"""
from __future__ import annotations

import json
from pathlib import Path

from core.data.conll_jsonl import read_jsonl_spans
from core.labels import tags_to_spans
from core.scores.agreement import compare_files

SHOWN = 10  # lines listed as disagreeing most


def add_arguments(parser):
    parser.add_argument("a", help="one annotator's JSON-lines spans file")
    parser.add_argument("b", help="the other's: the same texts in the same order")
    parser.add_argument("--json", action="store_true", help='print {"f1", "per_type", "kappa", ...} as JSON')
    return parser


def _read(path) -> tuple[list[str], list[list]]:
    sentences = read_jsonl_spans(path)  # ValueError naming the file and line for a bad one
    return ([s.text for s in sentences], [[list(span) for span in tags_to_spans(s.tags)] for s in sentences])


def _figure(value) -> str:
    return "undefined" if value is None else f"{value:.4f}"


def run(args) -> int:
    texts_a, spans_a = _read(args.a)
    texts_b, spans_b = _read(args.b)
    overall, ranked = compare_files(texts_a, spans_a, texts_b, spans_b, names=(args.a, args.b))
    disagreeing = [row for row in ranked if row["unmatched_spans"] or row["differing_characters"]]
    if args.json:
        print(json.dumps({"f1": overall.f1, "per_type": overall.per_type, "kappa": overall.kappa,
                          "documents": overall.documents,
                          "disagreeing": [[row["id"], row["unmatched_spans"]] for row in disagreeing]}))
        return 0
    print(f"{Path(args.a).name} against {Path(args.b).name}: {overall.documents:,} texts, "
          f"{overall.characters:,} characters")
    print(f"entity F1 (exact spans): {_figure(overall.f1)}")
    for entity_type, f1 in overall.per_type.items():
        print(f"  {entity_type:<6} {_figure(f1)}")
    print(f"Cohen's kappa (character tags): {_figure(overall.kappa)}")
    print(f"{len(disagreeing):,} of {overall.documents:,} texts differ" + (", most first:" if disagreeing else ""))
    for row in disagreeing[:SHOWN]:
        print(f"  line {row['id']}: {row['unmatched_spans']} span(s), {row['differing_characters']} character(s)")
    return 0

"""`python -m core convert INPUT --from FORMAT --to FORMAT -o OUTPUT`: annotation files between
Label Studio JSON, doccano JSONL, CoNLL (B-/I- tags) and our JSON lines of spans.

Bad records are named on stderr by file and line and left out; the good ones are written, and the
exit status is 1 when any was left out (as `check` reports), 2 when the input cannot be read.
"""
from __future__ import annotations

import json
import sys

from core.atomic import write_text
from core.data import interchange, label_studio
from core.labels import ENTITY_TYPES, is_type_name

READERS = {"label-studio": label_studio.read_label_studio, "doccano": interchange.read_doccano,
           "conll": interchange.read_conll_bio, "spans": interchange.read_doccano}
WRITERS = ("label-studio", "doccano", "conll", "spans")


class AnyType(tuple):
    """Every entity type name: the four and any user's own (PROD), never 'O' or 'per'."""

    def __contains__(self, label) -> bool:
        return is_type_name(label)


def add_arguments(parser):
    parser.add_argument("input")
    parser.add_argument("--from", dest="source", choices=sorted(READERS), required=True)
    parser.add_argument("--to", dest="target", choices=WRITERS, required=True)
    parser.add_argument("-o", "--output", required=True)
    parser.add_argument("--no-provenance", action="store_true", help="leave out who annotated, when, with which model")
    return parser


def text_of(records, target: str, provenance: bool = True) -> str:
    if target == "label-studio":
        return json.dumps([label_studio.record_task(r) for r in records], ensure_ascii=False, indent=1) + "\n"
    if target == "conll":
        return "".join(line + "\n" for r in records for line in interchange.conll_lines(r, provenance))
    if target == "spans":
        return "".join(json.dumps({"text": r.text, "spans": [list(s) for s in r.spans or []]}, ensure_ascii=False)
                       + "\n" for r in records)
    return "".join(interchange.doccano_line(r, provenance) + "\n" for r in records)


def run(args) -> int:
    records, bad = [], 0
    for line, record, problem in READERS[args.source](args.input, AnyType(ENTITY_TYPES)):
        if problem is not None:
            print(f"{args.input}: line {line}: {problem}", file=sys.stderr)
            bad += 1
        else:
            records.append(record)
    write_text(args.output, text_of(records, args.target, not args.no_provenance))
    print(f"{len(records)} record(s) -> {args.output}" + (f"; {bad} bad record(s) left out" if bad else ""),
          file=sys.stderr)
    return 1 if bad else 0

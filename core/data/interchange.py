"""Other tools' annotation files and our documents: doccano JSONL and CoNLL with B-/I- tags (Label
Studio's JSON tasks are in core/data/label_studio.py). Pure: no SQL, no Streamlit.

Readers yield (line, Record, problem) a record at a time: a bad record names its line and what is
wrong, and the records after it still come in. Offsets are code points, as everywhere in the studio.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field

from core.data.corpora import _escape, _unescape, text_lines
from core.labels import Span, check_spans, spans_to_tags, tags_to_spans

# Names other tools give our four types, upper-cased: Label Studio's NER template says Person,
# Organization, Location; Chinese projects often say 人名, 地名, 机构名, 时间.
ALIASES = {
    "PERSON": "PER", "人名": "PER", "人物": "PER", "NR": "PER",
    "LOCATION": "LOC", "PLACE": "LOC", "GPE": "LOC", "地名": "LOC", "地点": "LOC", "NS": "LOC",
    "ORGANIZATION": "ORG", "ORGANISATION": "ORG", "机构名": "ORG", "组织": "ORG", "机构": "ORG", "NT": "ORG",
    "TIME": "T", "DATE": "T", "时间": "T", "日期": "T",
}


@dataclass
class Record:
    """One document as a file gives it. spans None: the file has no annotation for it (the model's
    suggestions are wanted); annotated: a person's spans, not a model's prediction."""
    text: str
    spans: list[Span] | None = None
    annotated: bool = False
    annotator: str | None = None
    annotated_at: str | None = None
    suggested_by: str | None = None  # the model (version) whose prediction the file carries
    confidence: float | None = None
    extra: dict = field(default_factory=dict)  # the file's own fields we do not read, kept for its export


def our_label(name, labels) -> str | None:
    """The studio type a tool's label means: itself, its capitals (per -> PER) or an alias
    (Person -> PER); None when none of labels."""
    if not isinstance(name, str):
        return None
    for candidate in (name, name.strip().upper(), ALIASES.get(name.strip().upper())):
        if candidate in labels:
            return candidate
    return None


def checked_spans(spans, text: str, labels, where: str = "") -> list[Span]:
    """[[start, end, label], ...] with each label read through our_label, checked (core.labels)."""
    out = []
    for span in spans or []:
        if not isinstance(span, (list, tuple)) or len(span) != 3:
            raise ValueError(f"{where}{span!r} is not [start, end, label]")
        label = our_label(span[2], labels)
        if label is None:
            raise ValueError(f"{where}label {span[2]!r} is not a studio type ({', '.join(labels)}); "
                             f"add it under Entity types, or rename it")
        out.append([span[0], span[1], label])
    return check_spans(out, len(text), labels)


def check_text(text) -> str:
    if not isinstance(text, str) or not text.strip():
        raise ValueError(f"the text is missing or blank: {text!r}")
    for position, char in enumerate(text, 1):  # JSON may spell a lone surrogate half, which no file can hold
        if "\ud800" <= char <= "\udfff":
            raise ValueError(f"character {position} of the text is a lone surrogate half (U+{ord(char):04X})")
    return text


def json_lines(path):
    """(line, object, problem) over a JSON-lines file; blank lines skipped; a line that is not UTF-8
    or not JSON is a problem naming its column."""
    for line, raw, bad in text_lines(path):
        if bad:
            yield line, None, bad.split(": ", 1)[-1]
        elif raw.strip():
            try:
                yield line, json.loads(raw), None
            except json.JSONDecodeError as error:  # its own "line 1 column 9" would mislead
                yield line, None, f"not JSON at column {error.colno} ({error.msg})"


# ---- doccano JSONL: {"text": ..., "label": [[start, end, "PER"], ...]} ----------------------
PROVENANCE = ("annotator", "annotated_at", "suggested_by")  # what our exports add to each record


def read_doccano(path, labels):
    """(line, Record | None, problem | None) per line. "label" (doccano's sequence labelling) or
    "entities" (its relation mode: {"start_offset", "end_offset", "label"}) are a person's spans;
    a line with neither has none, and the model suggests them."""
    for line, obj, problem in json_lines(path):
        if problem is not None:
            yield line, None, problem
            continue
        try:
            yield line, doccano_record(obj, labels), None
        except ValueError as error:
            yield line, None, str(error)


def doccano_record(obj, labels) -> Record:
    if not isinstance(obj, dict):
        raise ValueError('expected an object with a "text" string')
    text = check_text(obj.get("text"))
    if "label" in obj:
        raw = obj["label"]
    elif "spans" in obj:  # our own JSON lines ({"text", "spans"}) read alike
        raw = obj["spans"]
    elif "entities" in obj and isinstance(obj["entities"], list):
        raw = [[e.get("start_offset"), e.get("end_offset"), e.get("label")] if isinstance(e, dict) else e
               for e in obj["entities"]]
    else:
        raw = None
    if raw is not None and not isinstance(raw, list):
        raise ValueError(f'"label" {raw!r} is not a list of [start, end, label]')
    spans = None if raw is None else checked_spans(raw, text, labels)
    extra = {k: v for k, v in obj.items() if k not in ("text", "label", "spans", "entities", *PROVENANCE)}
    return Record(text, spans, annotated=raw is not None, annotator=_string(obj.get("annotator")),
                  annotated_at=_string(obj.get("annotated_at")), suggested_by=_string(obj.get("suggested_by")),
                  extra=extra)


def doccano_line(record: Record, provenance: bool = True) -> str:
    out = {**record.extra, "text": record.text, "label": [list(s) for s in record.spans or []]}
    if provenance:
        out.update({k: getattr(record, k) for k in PROVENANCE if getattr(record, k) is not None})
    return json.dumps(out, ensure_ascii=False)


def _string(value) -> str | None:
    return value if isinstance(value, str) and value.strip() else None


# ---- CoNLL: a character and its tag a line, B-PER/I-PER, a blank line after each sentence --------
def to_bio_dash(tags) -> list[str]:
    """B_PER -> B-PER, as CoNLL tools (seqeval, flair, spaCy's converter) expect."""
    return [tag if tag == "O" else f"{tag[0]}-{tag[2:]}" for tag in tags]


def conll_lines(record: Record, provenance: bool = True):
    """The record's lines: comment lines "# key = value" (CoNLL-U's form: our reader and most tools
    skip them) when provenance, then "char<TAB>B-PER" per character (a space or other invisible
    character as <U+XXXX>, as in the chars/TAG pair), then a blank line."""
    if provenance:
        for key in ("document_id", *PROVENANCE):
            value = record.extra.get(key) if key == "document_id" else getattr(record, key)
            if value is not None:
                yield f"# {key} = {value}"
    tags = to_bio_dash(spans_to_tags(record.spans or [], len(record.text)))
    for char, tag in zip(record.text, tags):
        yield f"{_escape(char, 'text')}\t{tag}"
    yield ""


def read_conll_bio(path, labels):
    """(line of the sentence's first row, Record | None, problem | None) per sentence. A row is a
    character (or <U+XXXX>) and its tag, the last of its tab- or space-separated fields; B-/I-,
    B_/I_ and BIOES (S-, E-) tags are read; "# key = value" lines before a sentence give its
    provenance; -DOCSTART- lines are skipped."""
    rows, comments, first = [], {}, None
    for line, raw, bad in [*text_lines(path), (None, "", "")]:
        if bad:
            rows.append((line, None, bad.split(": ", 1)[-1]))
            first = first or line
            continue
        if raw.strip() == "" or raw.startswith("-DOCSTART-"):
            if rows:
                yield first, *_conll_sentence(rows, comments, labels)
            rows, comments, first = [], {}, None
            continue
        if raw.startswith("# ") and " = " in raw and "\t" not in raw and not rows:
            key, _, value = raw[2:].partition(" = ")
            comments[key.strip()] = value
            continue
        rows.append((line, raw, None))
        first = first or line


def _conll_sentence(rows, comments, labels):
    chars, tags = [], []
    for line, raw, problem in rows:
        if problem is not None:
            return None, f"line {line}: {problem}"
        fields = raw.split("\t") if "\t" in raw else raw.split()
        if len(fields) < 2:
            return None, f"line {line}: expected a character and its tag, got {raw!r}"
        try:
            char = _unescape(fields[0])
        except ValueError:
            return None, (f"line {line}: {fields[0]!r} is not one character (the studio reads character-level "
                          f"CoNLL; write a space as <U+0020>)")
        tag = _our_tag(fields[-1], labels)
        if tag is None:
            return None, f"line {line}: unknown tag {fields[-1]!r}; expected O, B-TYPE or I-TYPE of {', '.join(labels)}"
        chars.append(char)
        tags.append(tag)
    text = "".join(chars)
    try:
        check_text(text)
    except ValueError as error:
        return None, f"line {rows[0][0]}: {error}"
    extra = {"document_id": comments["document_id"]} if "document_id" in comments else {}
    record = Record(text, tags_to_spans(tags), annotated=True, annotator=_string(comments.get("annotator")),
                    annotated_at=_string(comments.get("annotated_at")),
                    suggested_by=_string(comments.get("suggested_by")), extra=extra)
    return record, None


def _our_tag(tag: str, labels) -> str | None:
    if tag == "O":
        return tag
    if len(tag) < 3 or tag[1] not in "-_" or tag[0] not in "BIES":
        return None
    label = our_label(tag[2:], labels)
    return None if label is None else f"{'B' if tag[0] in 'BS' else 'I'}_{label}"

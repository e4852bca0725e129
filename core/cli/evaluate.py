"""`python -m core check` (a chars/TAG pair is well formed) and `eval` (a model against gold)."""
from __future__ import annotations

import json
import sys
from pathlib import Path

from core.cli.tag import _progress_bar, _tagger


def cmd_check(args) -> int:
    from core.data.corpora import pair_lines
    from core.labels import DEFAULT_TAGS, bio_problems
    from core.tagging.stream import input_file

    # A line at a time, counting, never holding a file or a list of its lines: a 2 GB pair once
    # took 4.4 GB and ended in MemoryError.
    known, problems, broken, first_broken = set(DEFAULT_TAGS), 0, 0, 0
    for line, _, tags, problem in pair_lines(input_file(args.chars), input_file(args.tags), known):
        if problem is not None:
            print(f"{args.chars} / {args.tags}: {problem}")
            problems += 1
        elif bio_problems(tags):
            broken, first_broken = broken + 1, first_broken or line
    if broken:
        print(f"note: {broken} line(s) have an I_ tag without its B_ (first: line {first_broken}); "
              f"eval and the importer read it as B_", file=sys.stderr)
    if problems:
        print(f"{problems} bad line(s); known tags: {' '.join(DEFAULT_TAGS)} (B-PER is read as B_PER)",
              file=sys.stderr)
        return 1
    print("ok: every line has as many tags as characters and every tag is known")
    return 0


def _eval_sentences(args):
    """The gold sentences: a chars/TAG pair, or a JSON-lines spans file (--spans FILE, or one .jsonl)."""
    from core.data.conll_jsonl import read_jsonl_spans
    from core.data.corpora import read_pair

    spans = args.spans
    if spans is None and args.chars is not None and args.tags is None and args.chars.endswith(".jsonl"):
        spans = args.chars
    elif spans is not None and args.chars is not None:
        raise SystemExit("error: give either CHARS TAGS or --spans FILE, not both")
    if spans is not None:
        if not Path(spans).exists():
            raise SystemExit(f"error: {spans} does not exist")
        return read_jsonl_spans(spans)
    if args.chars is None or args.tags is None:
        raise SystemExit("error: give CHARS TAGS (a chars/TAG pair) or --spans FILE (JSON lines spans)")
    return read_pair(args.chars, args.tags)


def _checked_gold(args, sentences, model_tags):
    """Refuse a gold tag of a type neither the studio nor the model knows; repair orphan I_ tags, saying so."""
    from core.data.corpora import Sentence, pair_lines
    from core.labels import DEFAULT_TAGS, bio_problems, make_tags, repair_bio

    if not sentences:
        raise ValueError(f"{args.chars or args.spans}: no sentences; nothing to evaluate")
    ignored = args.ignore.split(",") if args.ignore else []
    known = set(DEFAULT_TAGS) | set(model_tags) | set(make_tags(ignored))
    if args.tags is not None:  # a chars/TAG pair: name lines as they are numbered in the file
        rows = ((f"{args.tags}: line {line}", tags) for line, _, tags, problem in pair_lines(args.chars, args.tags)
                if problem is None)
    else:
        rows = ((f"{args.spans or args.chars}: sentence {i}", s.tags) for i, s in enumerate(sentences, 1))
    broken = []
    for where, tags in rows:
        for column, tag in enumerate(tags, 1):
            if tag not in known:
                raise ValueError(f"{where}, column {column}: unknown tag {tag!r}; known tags: "
                                 f"{' '.join(sorted(known))}; fix the tag, or --ignore its type")
        broken += [f"{where}, column {bio_problems(tags)[0] + 1}"] if bio_problems(tags) else []
    if broken:
        print(f"note: {len(broken)} gold line(s) have an I_ tag without its B_ (first: {broken[0]}); "
              f"each is read as B_, the start of an entity, as seqeval does", file=sys.stderr)
    return [Sentence(s.chars, repair_bio(s.tags)) for s in sentences]


def cmd_eval(args) -> int:
    from core.scores.metrics import drop_types, evaluate_tags, missed_entity_kinds

    sentences = _eval_sentences(args)
    if args.limit:
        sentences = sentences[: args.limit]
    tagger = _tagger(args.model, args.device, args.batch_size, args.engine)
    sentences = _checked_gold(args, sentences, tagger.tags)
    with _progress_bar(sum(len(s.chars) for s in sentences), args.quiet or args.json) as bar:
        results = tagger.tag_texts([s.chars for s in sentences], progress=bar.update, confidence=False)
    ignore = set(args.ignore.split(",")) if args.ignore else set()
    gold = [drop_types(s.tags, ignore) for s in sentences]
    predicted = [drop_types(r.tags, ignore) for r in results]
    # A gold file may hold a type the model never tags (a spans file with T, a model without): count it too.
    tags = list(tagger.tags) + sorted({tag for g in gold for tag in g} - set(tagger.tags))
    report = evaluate_tags(gold, predicted, tags)
    report["model"] = str(args.model)
    report["ignored_types"] = sorted(ignore)
    if args.errors:
        report["missed"] = missed_entity_kinds(gold, predicted)
    if args.json:
        print(json.dumps(report, ensure_ascii=False, indent=1))
        return 0
    print(f"{'type':<8}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>9}")
    for name, row in report["entities"].items():
        print(f"{name:<8}{row['precision']:>10.4f}{row['recall']:>10.4f}{row['f1']:>10.4f}{row['support']:>9}")
    print(f"token accuracy {report['token_accuracy']:.4f} over {report['characters']} characters, "
          f"{report['sentences']} sentences")
    for label, kinds in report.get("missed", {}).items():
        total = sum(kinds.values())
        print(f"missed {label} ({total}): " + ", ".join(f"{kind} {count}" for kind, count in kinds.items()))
    return 0

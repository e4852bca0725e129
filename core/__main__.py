"""Command line: python -m core {prepare,tag,eval,check,silver,train,experiment} ...; see --help."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from core import paths

DEFAULT_MODEL = paths.DEFAULT_MODEL


def _device(name: str) -> str:
    """name, or ValueError when this machine has no such device: loading onto it would end in a
    39-line traceback from deep inside torch."""
    import torch

    try:
        device = torch.device(name)
    except RuntimeError:
        raise ValueError(f"--device {name}: not a device; use cpu, cuda or cuda:N") from None
    if device.type == "cuda":
        if not torch.cuda.is_available():
            raise ValueError(f"--device {name}: CUDA is not available here (no GPU, no driver, or a torch "
                             f"built for the CPU); use --device cpu")
        if device.index is not None and device.index >= torch.cuda.device_count():
            raise ValueError(f"--device {name}: this machine has {torch.cuda.device_count()} CUDA device(s), "
                             f"numbered from 0")
    elif device.type == "mps" and not torch.backends.mps.is_available():
        raise ValueError(f"--device {name}: MPS is not available here; use --device cpu")
    elif device.type not in ("cpu", "cuda", "mps"):
        raise ValueError(f"--device {name}: not supported; use cpu, cuda or cuda:N")
    return name


def _tagger(model_dir, device, batch_size):
    from core.tagging.predict import Tagger

    from core.model.model import is_model_folder

    device = _device(device)
    if not is_model_folder(model_dir):
        raise ValueError(f"{model_dir}: not a model folder (no config.json); pass --model DIR")
    try:
        return Tagger.from_folder(model_dir, device=device, batch_size=batch_size)
    except (OSError, KeyError, RuntimeError, ValueError) as error:  # a broken or foreign folder
        raise ValueError(f"{model_dir}: not a usable model folder ({type(error).__name__}: {error}); "
                         f"pass --model DIR") from None


def _progress_bar(total: int | None, quiet: bool, unit: str = "char"):
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, unit_scale=True, disable=quiet, dynamic_ncols=True)


def cmd_tag(args) -> int:
    from core.atomic import is_stream
    from core.tagging.stream import input_file, output_file, tag_file

    source = input_file(args.input)
    output = output_file(args.output, [source])  # before the model loads: a bad -o costs nothing
    try:
        tagger = _tagger(args.model, args.device, args.batch_size)
        with _progress_bar(source.stat().st_size, args.quiet, unit="B") as bar:  # bytes: known without a pass
            counts = tag_file(tagger, source, output, tokens=not args.text, progress=bar.update)
    except KeyboardInterrupt:  # Ctrl-C: the hidden file is gone and an old output stands (core/atomic.py)
        where = f"{output} holds the tags written so far" if is_stream(output) else "no output written"
        print(f"interrupted; {where}", file=sys.stderr)
        return 130  # 128 + SIGINT, as a shell reports it
    if not args.quiet:
        print(f"{counts['lines']} lines, {counts['characters']} characters, {counts['entities']} entities "
              f"-> {output}", file=sys.stderr)
    return 0


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
    from core.data.corpora import read_jsonl_spans, read_pair

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
    tagger = _tagger(args.model, args.device, args.batch_size)
    sentences = _checked_gold(args, sentences, tagger.model.tags)
    with _progress_bar(sum(len(s.chars) for s in sentences), args.quiet or args.json) as bar:
        results = tagger.tag_texts([s.chars for s in sentences], progress=bar.update)
    ignore = set(args.ignore.split(",")) if args.ignore else set()
    gold = [drop_types(s.tags, ignore) for s in sentences]
    predicted = [drop_types(r.tags, ignore) for r in results]
    # A gold file may hold a type the model never tags (a spans file with T, a model without): count it too.
    tags = list(tagger.model.tags) + sorted({tag for g in gold for tag in g} - set(tagger.model.tags))
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


def cmd_silver(args) -> int:
    from core.training.silver import silver_corpus
    from core.data.corpus_files import corpus_folder, pair_paths

    source = corpus_folder(args.corpus, args.data_dir)
    train_chars = pair_paths(source, "train")[0]
    if not train_chars.exists():
        raise SystemExit(f"error: {source} has no {train_chars.name} (a bundled name needs the set-up: "
                         "python -m core prepare)")
    tagger = _tagger(args.model, args.device, args.batch_size)
    types = set(args.types.split(","))
    unknown = types - set(tagger.model.entity_types)
    if unknown:
        raise SystemExit(f"error: the model does not tag {', '.join(sorted(unknown))}")
    with _progress_bar(None, args.quiet) as bar:  # characters tagged, over the train and dev splits
        added = silver_corpus(source, Path(args.out), tagger, types, progress=bar.update)
    print(f"{args.out}: silver {','.join(sorted(types))} spans added: "
          + ", ".join(f"{split} {count:,}" for split, count in added.items()))
    return 0


def cmd_teach(args) -> int:
    from core.data import inews
    from core.training import teachers

    def bar(total, name):
        from tqdm import tqdm

        return tqdm(total=total, unit="sentence", unit_scale=True, disable=args.quiet, desc=name, dynamic_ncols=True)

    tags = teachers.run_teachers(args.teacher or ["lac", "models/fast"], args.data_dir, args.limit, bar)
    sentences = inews.read_sentences(args.data_dir, args.limit)
    out = Path(args.out) if args.out else inews.corpus_dir(args.data_dir).parent / teachers.SILVER_FOLDER
    info = teachers.combine(sentences, tags, out, sample=args.sample)
    print(json.dumps({k: info[k] for k in ("teachers", "sentences", "characters_agreed")}, ensure_ascii=False))
    for pair, rows in info["agreement"].items():
        print(f"{pair}: " + ", ".join(f"{t} F1 {r['f1']:.3f} ({r['agreed']:,} agreed)" for t, r in rows.items()))
    print(f"silver corpus in {out} (train it with --data msra,pd,{out})")
    return 0


def cmd_prepare(args) -> int:
    from core.data.prepare import run_args

    return run_args(args)


def cmd_train(args) -> int:
    import os

    from core.training.run import run
    from core.training.run_cli import command_line_sinks, options_from_args

    return run(options_from_args(args), command_line_sinks(args, enabled=os.environ.get("RANK", "0") == "0"))


def cmd_experiment(args) -> int:
    from core.training.experiment import run_args

    return run_args(args, "python -m core experiment " + " ".join(sys.argv[2:]))


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="NER Studio's engine on the command line")
    sub = parser.add_subparsers(dest="command", required=True)

    tag = sub.add_parser("tag", help="tag a file: one sentence a line, characters separated by spaces")
    tag.add_argument("input")
    tag.add_argument("-o", "--output", required=True, help="one tag per character, same lines")
    tag.add_argument("--text", action="store_true", help="input is raw text lines: every character counts")
    _model_options(tag)
    tag.set_defaults(run=cmd_tag)

    evaluate = sub.add_parser("eval", help="entity P/R/F1 (strict) and token accuracy against a chars/TAG pair "
                                           "or a JSON-lines spans file")
    evaluate.add_argument("chars", nargs="?", help="characters file of a chars/TAG pair (or one .jsonl spans file)")
    evaluate.add_argument("tags", nargs="?", help="tags file of the pair")
    evaluate.add_argument("--spans", help='JSON lines, {"text": ..., "spans": [[start, end, label], ...]} a line '
                                          "(e.g. eval/modern/dev.jsonl)")
    evaluate.add_argument("--json", action="store_true")
    evaluate.add_argument("--ignore", default="", help="entity types set to O on both sides, e.g. T for MSRA")
    evaluate.add_argument("--limit", type=int, help="first N sentences only")
    evaluate.add_argument("--errors", action="store_true", help="also say why each missed entity was missed, per type")
    _model_options(evaluate)
    evaluate.set_defaults(run=cmd_eval)

    check = sub.add_parser("check", help="every line has as many tags as characters, every tag known")
    check.add_argument("chars")
    check.add_argument("tags")
    check.set_defaults(run=cmd_check)

    silver = sub.add_parser("silver", help="copy a corpus with a model's spans of the types it does not annotate written in")
    silver.add_argument("corpus", help="msra, pd, or a corpus folder")
    silver.add_argument("--out", required=True, help="the new corpus folder (train/dev silver, test copied)")
    silver.add_argument("--types", default="T", help="comma-separated types to fill in (default T)")
    silver.add_argument("--data-dir", default="data")
    _model_options(silver)
    silver.set_defaults(run=cmd_silver)
    teach = sub.add_parser("teach", help="tag the modern news corpus with teachers and write a silver corpus "
                           "(agreed tags fixed, disagreements left to the partial-label CRF)")
    teach.add_argument("--teacher", action="append", default=None,
                       help="lac, or a model folder (repeatable; default: lac and models/fast)")
    teach.add_argument("--limit", type=int, help="the first N corpus sentences only")
    teach.add_argument("--sample", type=int, help="write a random N of the tagged sentences into the corpus")
    teach.add_argument("--out", help="the silver corpus folder (default data/corpora/inews-silver)")
    teach.add_argument("--data-dir", default="data")
    teach.add_argument("--quiet", action="store_true")
    teach.set_defaults(run=cmd_teach)

    from core.training import experiment, run_cli

    from core.data import prepare

    for name, add_arguments, command, text in (
            ("prepare", prepare.add_arguments, cmd_prepare, "build the corpora and the bundled encoder from the installed packages"),
            ("train", run_cli.add_run_arguments, cmd_train, "train a model (the options train_job.py takes, without the database)"),
            ("experiment", experiment.add_arguments, cmd_experiment, "run a study: crf-vs-softmax, layers, init")):
        add_arguments(sub.add_parser(name, help=text, description=text)).set_defaults(run=command)
    return parser


def _model_options(parser) -> None:
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="model folder (default: models/default)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def main(argv=None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError) as error:  # bad input: one line that names it, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

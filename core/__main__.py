"""Command line: python -m core {prepare,tag,eval,check,silver,train,experiment} ...; see --help."""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "default"


def _tagger(model_dir, device, batch_size):
    from core.predict import Tagger

    from core.model import is_model_folder

    if not is_model_folder(model_dir):
        raise SystemExit(f"error: {model_dir} is not a model folder (no config.json); pass --model DIR")
    return Tagger.from_folder(model_dir, device=device, batch_size=batch_size)


def _progress_bar(total: int | None, quiet: bool):
    from tqdm import tqdm

    return tqdm(total=total, unit="char", unit_scale=True, disable=quiet, dynamic_ncols=True)


def cmd_tag(args) -> int:
    from core.corpora import read_chars, write_tags

    path = Path(args.input)
    if not path.exists():
        raise SystemExit(f"error: {path} does not exist")
    if args.text:
        texts = path.read_text(encoding="utf-8").split("\n")
        if texts and texts[-1] == "":
            texts.pop()
        texts = [t.removesuffix("\r") for t in texts]
    else:
        texts = read_chars(path)
    tagger = _tagger(args.model, args.device, args.batch_size)
    with _progress_bar(sum(len(t) for t in texts), args.quiet) as bar:
        results = tagger.tag_texts(texts, progress=bar.update)
    write_tags([r.tags for r in results], args.output)
    if not args.quiet:
        entities = sum(len(r.entities) for r in results)
        print(f"{len(results)} lines, {sum(len(t) for t in texts)} characters, {entities} entities -> {args.output}",
              file=sys.stderr)
    return 0


def cmd_check(args) -> int:
    from core.corpora import check_pair
    from core.labels import DEFAULT_TAGS

    problems = check_pair(args.chars, args.tags, set(DEFAULT_TAGS))
    for problem in problems:
        print(f"{args.chars}: {problem}")
    if problems:
        print(f"{len(problems)} bad line(s)", file=sys.stderr)
        return 1
    print("ok: every line has as many tags as characters and every tag is known")
    return 0


def _eval_sentences(args):
    """The gold sentences: a chars/TAG pair, or a JSON-lines spans file (--spans FILE, or one .jsonl)."""
    from core.corpora import read_jsonl_spans, read_pair

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


def cmd_eval(args) -> int:
    from core.metrics import drop_types, evaluate_tags, missed_entity_kinds

    sentences = _eval_sentences(args)
    if args.limit:
        sentences = sentences[: args.limit]
    tagger = _tagger(args.model, args.device, args.batch_size)
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
    from core.silver import silver_corpus
    from core.training_data import corpus_folder

    source = corpus_folder(args.corpus, args.data_dir)
    if not (source / "train.txt").exists():
        raise SystemExit(f"error: {source} has no train.txt (a bundled name needs the set-up: python -m core prepare)")
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


def cmd_prepare(args) -> int:
    from core.prepare import run_args

    return run_args(args)


def cmd_train(args) -> int:
    import os

    from core.run import command_line_sinks, options_from_args, run

    return run(options_from_args(args), command_line_sinks(args, enabled=os.environ.get("RANK", "0") == "0"))


def cmd_experiment(args) -> int:
    from core.experiment import run_args

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

    from core import experiment, prepare, run

    for name, add_arguments, command, text in (
            ("prepare", prepare.add_arguments, cmd_prepare, "build the corpora and the bundled encoder from the installed packages"),
            ("train", run.add_run_arguments, cmd_train, "train a model (the options train_job.py takes, without the database)"),
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
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())

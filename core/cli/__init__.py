"""Command line: python -m core {prepare,tag,eval,check,silver,teach,train,experiment,agreement,convert,serve} ...;
see --help.
The parser is here; each command's work is in the module named for it."""
from __future__ import annotations

import argparse
import sys

from core import paths
from core.cli import agreement, convert, serve
from core.cli.corpora import cmd_prepare, cmd_silver, cmd_teach
from core.cli.evaluate import cmd_check, cmd_eval
from core.cli.tag import ENGINES, cmd_tag
from core.cli.training import cmd_experiment, cmd_train

DEFAULT_MODEL = paths.DEFAULT_MODEL


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m core", description="NER Studio's engine on the command line")
    sub = parser.add_subparsers(dest="command", required=True)

    tag = sub.add_parser("tag", help="tag a file: one sentence a line, characters separated by spaces")
    tag.add_argument("input")
    tag.add_argument("-o", "--output", required=True, help="one tag per character, same lines")
    tag.add_argument("--text", action="store_true", help="input is raw text lines: every character counts")
    tag.add_argument("--engine", choices=ENGINES, default="auto",
                     help="auto (default): NumPy, without torch, for a LAC-encoder CRF model such as models/fast "
                          "on the CPU; torch otherwise")
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
    evaluate.add_argument("--engine", choices=ENGINES, default="auto",
                          help="auto (default): NumPy for a LAC-encoder CRF model such as models/fast on the CPU "
                               "(the same tags as torch, tests/test_lite_tagger.py); torch otherwise")
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

    from core.data import prepare
    from core.training import experiment, run_cli

    for name, add_arguments, command, text in (
            ("prepare", prepare.add_arguments, cmd_prepare, "build the corpora and the bundled encoder from the installed packages"),
            ("train", run_cli.add_run_arguments, cmd_train, "train a model (the options train_job.py takes, without the database)"),
            ("experiment", experiment.add_arguments, cmd_experiment, "run a study: crf-vs-softmax, layers, init"),
            ("agreement", agreement.add_arguments, agreement.run,
             "entity F1 and Cohen's kappa between two annotators' JSON-lines files of the same texts"),
            ("convert", convert.add_arguments, convert.run,
             "annotation files between Label Studio JSON, doccano JSONL, CoNLL (B-/I-) and JSON lines of spans"),
            ("serve", serve.add_arguments, serve.run,
             "serve a model over HTTP (our API, OpenAPI docs, a Label Studio ML backend): python -m service")):
        add_arguments(sub.add_parser(name, help=text, description=text)).set_defaults(run=command)
    return parser


def _model_options(parser) -> None:
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="model folder (default: models/default)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--quiet", action="store_true", help="no progress bar")


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv[:1] == ["serve"]:  # every option after it is python -m service's (core/cli/serve.py)
        return serve.hand_over(argv[1:])
    args = build_parser().parse_args(argv)
    try:
        return args.run(args)
    except (ValueError, OSError) as error:  # bad input: one line that names it, no traceback
        print(f"error: {error}", file=sys.stderr)
        return 2

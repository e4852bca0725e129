"""`python -m storage.interchange`: other tools' files into and out of the studio database from the
command line, with the Correct screen's rules (storage/interchange.py):
    python -m storage.interchange import FILE --as NAME [--db DB] [--format F] [--reviewed] [--no-suggest]
    python -m storage.interchange export -o OUT --format F [--db DB] [--no-provenance] [--versions]

An import's annotations are suggestions waiting for review unless --reviewed (then corrections by
NAME, who vouches for them); documents without spans (plain text, CSV) get the active model's
suggestions, as on the Correct screen. Who imported is kept in each document's source
("import:FILE by NAME"); with accounts in the studio, NAME must be one. A bad line is named on
stderr by file and line and left out, the good ones come in: exit status 1, as `python -m core
convert` and `check` report; 2 when the file cannot be read or an argument is wrong.
The entry point lives in storage because core may not import storage (tests/test_layers.py).
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from core import paths
from core.atomic import write_output
from storage import documents, interchange
from storage.db import connect

SUFFIXES = {".json": "label-studio", ".jsonl": "doccano", ".conll": "conll", ".bio": "conll",
            ".txt": "text", ".csv": "csv", ".tsv": "csv"}  # a guess from the file's name, --format overrides


def parser() -> argparse.ArgumentParser:
    formats = ", ".join(f"{name} ({what})" for name, (_, what) in interchange.FORMATS.items())
    top = argparse.ArgumentParser(prog="python -m storage.interchange", description=__doc__,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    top.add_argument("--db", default=str(paths.db_path()), help="the studio database (NER_STUDIO_DB, else data/studio.db)")
    commands = top.add_subparsers(dest="command", required=True)
    add = commands.add_parser("import", help="import a file into the studio's queue")
    add.add_argument("file")
    add.add_argument("--as", dest="importer", required=True, metavar="NAME",
                     help="who imports it (with accounts, an account's name): kept in the documents' source, "
                          "and the annotator of --reviewed documents")
    add.add_argument("--format", choices=list(interchange.FORMATS),
                     help=f"one of {formats}; guessed from the file's suffix when left out "
                          f"({', '.join(f'{s} {f}' for s, f in SUFFIXES.items())})")
    add.add_argument("--reviewed", action="store_true",
                     help="the file's annotations are reviewed gold: corrections by NAME that train "
                          "(a Label Studio prediction stays a suggestion)")
    add.add_argument("--no-suggest", action="store_true",
                     help="leave documents without spans untagged (the Correct screen offers to tag them)")
    out = commands.add_parser("export", help="write the annotated documents (corrected, or imported and not reviewed)")
    out.add_argument("-o", "--output", required=True)
    out.add_argument("--format", choices=interchange.EXPORTS, required=True)
    out.add_argument("--no-provenance", action="store_true",
                     help="leave out who annotated each document, when and with which model's suggestions")
    out.add_argument("--versions", action="store_true",
                     help="label-studio only: a settled team document also carries each annotator's own version "
                          "as an annotation (completed_by their name)")
    add.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)  # after the command, too
    out.add_argument("--db", default=argparse.SUPPRESS, help=argparse.SUPPRESS)
    return top


def main(argv=None) -> int:
    args = parser().parse_args(argv)
    try:
        if args.command == "export":
            return export(args)
        return import_(args)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def import_(args) -> int:
    kind = args.format or SUFFIXES.get(Path(args.file).suffix.lower())
    if kind is None:
        raise ValueError(f"{args.file}: cannot tell the format from its name; pass --format "
                         f"({', '.join(interchange.FORMATS)})")
    name = args.importer.strip()
    if not name:
        raise ValueError(f"--as needs a name, got {args.importer!r}")
    if not Path(args.file).is_file():  # before the database is created or migrated
        raise ValueError(f"{args.file}: no such file" + ("" if not Path(args.file).exists() else " (a folder)"))
    db = connect(args.db)
    _check_account(db, name)
    result = interchange.import_file(db, args.file, kind, source=f"import:{Path(args.file).name} by {name}",
                                     reviewed=args.reviewed, importer=name)
    for problem in result["refused"]:
        print(f"{args.file}: {problem}", file=sys.stderr)
    reviewed = result["imported"] - result["suggestions"] - len(result["untagged_ids"])
    print(f"imported {result['imported']} document(s) from {args.file} into {args.db} as {name}: "
          f"{result['suggestions']} with the file's annotations as suggestions to review, {reviewed} reviewed, "
          f"{len(result['untagged_ids'])} without annotations"
          + (f"; {len(result['refused'])} bad line(s) left out" if result["refused"] else ""))
    suggested = args.no_suggest or _suggest(db, result["untagged_ids"])
    return 1 if result["refused"] or not suggested else 0


def _check_account(db, name: str) -> None:
    from storage.accounts import any_accounts, get_account

    if any_accounts(db) and get_account(db, name) is None:
        raise ValueError(f"no account named {name!r} in this studio; `python -m storage.accounts list` names them")


def _suggest(db, document_ids) -> bool:
    """The active model's suggestions for the documents without spans (storage/suggestions.py, as the
    Correct screen makes them); False, with a line on stderr, when its folder cannot be loaded."""
    if not document_ids:
        return True
    from core.tagging.predict import Tagger
    from storage import suggestions
    from storage.versions import active_version, ensure_default_version

    version = active_version(db) or ensure_default_version(db, paths.fallback_model_path())
    folder = Path(version["path"]) if Path(version["path"]).is_absolute() else paths.ROOT / version["path"]
    try:
        tagger = Tagger.from_folder(folder)
    except (OSError, ValueError, KeyError, TypeError, RuntimeError) as error:  # DamagedModel is a ValueError
        print(f"{len(document_ids)} document(s) left without suggestions: the model {version['name']!r} cannot be "
              f"loaded ({error}); the Correct screen offers to tag them", file=sys.stderr)
        return False
    tagged = suggestions.suggest(db, document_ids, tagger.tag_texts, version["name"])
    print(f"{len(tagged)} document(s) tagged by {version['name']}: its spans are suggestions to review")
    return True


def export(args) -> int:
    db = connect(args.db)
    text = interchange.export_string(db, args.format, provenance=not args.no_provenance, versions=args.versions)
    write_output(args.output, lambda path: Path(path).write_text(text, encoding="utf-8"))
    counts = documents.status_counts(db)
    print(f"{sum(counts[s] for s in documents.ANNOTATED)} document(s) ({counts['corrected']} reviewed, "
          f"{counts['imported']} imported and not yet reviewed) -> {args.output}", file=sys.stderr)
    return 0

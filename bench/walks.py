"""The two main walks of docs/ARCHITECTURE.md, run for real and counted: files, rooms and moves.

    .venv/bin/python bench/walks.py [--out DIR] [--list]   # run both walks, print the table
    .venv/bin/python bench/walks.py --count DIR [--list]   # the table of traces written before

Walk 1, paste -> entities: the script run one click on Tag triggers, the model already loaded (a
second visitor), and a first page view alone (the shell every page runs). Walk 2, correction ->
promoted version: on Correct, two spans added by typing and Save; on Train, the Improve click; the
training job's own process (traced through bench/walks_site/sitecustomize.py on PYTHONPATH); on
Train, picking the new version and promoting it. Everything runs on a tiny model built in the run
(tests/conftest.py's) with a studio database and data folder of its own, in about a minute.
How files, rooms and moves are counted: bench/walk_trace.py. The traces stay in --out, one JSON
per step (the job's named by its pid).
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCH = Path(__file__).resolve().parent
sys.path[:0] = [str(ROOT / "tests"), str(ROOT), str(BENCH)]

from walk_trace import OUT_ENV, ROOT_ENV, Trace, count  # noqa: E402

# The table's rows: a name and the traces (file name patterns in --out) joined for it.
STEPS = ["walk2_correct_save", "walk2_improve_click", "walk2_job.*", "walk2_promote"]
ROWS = [
    ("1, the Tag click's run", ["walk1_tag_click"]),
    ("1, of which the shell (a first page view)", ["walk1_first_page_view"]),
    ("2, Correct: add spans + save", STEPS[:1]),
    ("2, Train: Improve", STEPS[1:2]),
    ("2, the job's process", STEPS[2:3]),
    ("2, Train: promote", STEPS[3:]),
    ("2, all four", STEPS),
]
TAG_TEXT = "张三在上海工作，李四在北京。"


def ok(at):
    assert not at.exception, at.exception
    return at


def traced(out: Path, name: str, action):
    trace = Trace(ROOT)
    trace.start()
    try:
        return action()
    finally:
        trace.stop()
        trace.dump(out / f"{name}.json")


def freeze_scan_clock() -> None:
    """Stop the clock of Streamlit's caches (the hook it exposes for its own tests), before any cache
    exists. The shell rescans models/ and reaps jobs at most every SCAN_TTL_S (3) seconds
    (ui/shared.py), so whether a counted step included those scans depended on timing: 3 more
    files and 6 more moves on Correct's save in one run of three. Frozen, they run once, on the
    first page view of the warm-up, and never inside a counted step (as in the "before" traces)."""
    from streamlit.runtime.caching import cache_utils

    cache_utils.TTLCACHE_TIMER = lambda: 0.0


def make_studio(tmp: Path) -> None:
    """A tiny model, the two bundled corpora's folders filled with SENTENCES, a fresh database."""
    from conftest import make_tiny_bert, train_tiny_model, write_corpus

    model = train_tiny_model(make_tiny_bert(tmp / "bert", layers=2), tmp / "tiny")
    for corpus in ("msra", "pd"):  # what Improve mixes the corrections with
        write_corpus(tmp / "data" / "corpora" / corpus)
    os.environ.update(NER_STUDIO_DB=str(tmp / "studio.db"), NER_STUDIO_MODEL=str(model), NER_STUDIO_DATA=str(tmp / "data"))
    os.environ.pop("NER_STUDIO_ROOTS", None)


def walk_tag(out: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from helpers.app import APP, SENTENCE

    at = ok(AppTest.from_file(APP, default_timeout=120).run())
    for _ in range(60):  # the model loads in the background on the first visit: wait until it is in
        at.text_area(key="predict_text").input(SENTENCE)
        at.button(key="predict_tag").click()
        if any('<div class="ner-text">' in e.proto.body for e in ok(at.run()).get("html")):
            break
    else:
        raise SystemExit("the tiny model never tagged on the Tag screen")
    at = ok(AppTest.from_file(APP, default_timeout=120).run())  # a new visitor, the model warm
    at.text_area(key="predict_text").input(TAG_TEXT)
    at.button(key="predict_tag").click()
    traced(out, "walk1_tag_click", lambda: ok(at.run()))
    traced(out, "walk1_first_page_view", lambda: ok(AppTest.from_file(APP, default_timeout=120).run()))


def walk_correction(out: Path, db_path: Path) -> None:
    from streamlit.testing.v1 import AppTest

    from conftest import SENTENCES
    from helpers.app import NAME, TRAIN_PAGE, add_span, open_correct, save, wait_for_end
    from storage.db import connect
    from storage.documents import add_document, save_correction
    from storage.versions import active_version, list_versions

    db = connect(db_path)
    # Distinct texts (the queue dedups by text): all corrected but the first, which the least
    # confident suggestion puts at the head of the Correct screen's queue.
    texts = [(f"{prefix}{text}", [(s + len(prefix), e + len(prefix), label) for s, e, label in spans])
             for prefix in ("", "据说", "听说", "今天", "昨天") for text, spans in SENTENCES]
    for text, spans in texts[1:]:
        save_correction(db, add_document(db, text, "walk"), spans, NAME, base_revision=None)
    (text, spans) = texts[0]
    doc = add_document(db, text, "walk", [], "default", 0.01)
    at = open_correct(NAME)

    def correct():
        for start, end, label in spans:
            add_span(at, doc, text[start:end], label)
        return save(at, doc)

    traced(out, "walk2_correct_save", correct)

    train = ok(AppTest.from_file(TRAIN_PAGE, default_timeout=120).run())
    train.number_input(key="train_improve_budget").set_value(0.5)
    train.text_input(key="train_improve_name").set_value("improved")
    train.button(key="train_improve").click()
    # The launcher starts the job with this process's environment: the sitecustomize on PYTHONPATH
    # traces the job's process and writes walk2_job.<pid>.json when it exits.
    kept = {key: os.environ.get(key) for key in (OUT_ENV, ROOT_ENV, "PYTHONPATH")}
    os.environ.update({OUT_ENV: str(out / "walk2_job"), ROOT_ENV: str(ROOT),
                       "PYTHONPATH": os.pathsep.join(filter(None, [str(BENCH / "walks_site"), kept["PYTHONPATH"]]))})
    try:
        traced(out, "walk2_improve_click", lambda: ok(train.run()))
    finally:
        for key, value in kept.items():
            if value is None:
                os.environ.pop(key)
            else:
                os.environ[key] = value
    job = wait_for_end(db_path, train.session_state["train_job"], timeout=1800)
    assert job["state"] == "finished", job["log_tail"]
    [version] = [v for v in list_versions(db) if v["name"] == "improved"]

    train = ok(AppTest.from_file(TRAIN_PAGE, default_timeout=120).run())

    def promote():
        train.selectbox(key="train_promote_pick").set_value(version["id"]).run()
        train.button(key="train_promote").click()
        ok(train.run())
        if "train_confirm_yes" in [b.key for b in train.button]:  # asked when it may be worse
            train.button(key="train_confirm_yes").click()
            ok(train.run())

    traced(out, "walk2_promote", promote)
    assert active_version(connect(db_path))["name"] == "improved"


def table(out: Path, listing: bool) -> None:
    print("| walk | files | rooms | moves |\n|---|---|---|---|")
    counted = []
    for name, patterns in ROWS:
        paths = [path for pattern in patterns for path in sorted(out.glob(f"{pattern}.json"))]
        if len(paths) < len(patterns):
            raise SystemExit(f"{out}: no trace for a step of walk {name!r} ({patterns})")
        counted.append((name, count(paths)))
        row = counted[-1][1]
        print(f"| {name} | {len(row['files'])} | {len(row['rooms'])} | {len(row['moves'])} |")
    for name, row in counted if listing else []:
        print(f"\n{name}\n  rooms: {' '.join(row['rooms'])}\n  files: {' '.join(row['files'])}")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", type=Path, help="where the traces go (default: a new temporary folder)")
    p.add_argument("--count", type=Path, metavar="DIR", help="only count the traces already in DIR")
    p.add_argument("--list", action="store_true", help="also list each row's rooms and files")
    args = p.parse_args()
    if args.count:
        return table(args.count, args.list)
    tmp = Path(tempfile.mkdtemp(prefix="walks-"))
    out = args.out or tmp / "traces"
    out.mkdir(parents=True, exist_ok=True)
    for old in out.glob("walk*.json"):  # a job trace of an earlier run would join this one's
        old.unlink()
    make_studio(tmp)
    freeze_scan_clock()
    walk_tag(out)
    walk_correction(out, tmp / "studio.db")
    print(f"traces in {out}\n")
    table(out, args.list)


if __name__ == "__main__":
    main()

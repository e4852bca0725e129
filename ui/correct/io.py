"""The Correct page's ways in and out of the queue: draw corpus sentences, import files, export.

Streamlit drawing helpers for screens/correct.py (kept apart so the page reads as the editor).
"""
from __future__ import annotations

import random
import sqlite3
import tempfile
from pathlib import Path

import streamlit as st

from core.data.corpora import read_pair
from core.data.corpus_files import split_paths
from storage import documents, files, suggestions
from ui.access import annotator
from ui import errors, shared
from ui.draw.plain import md

CORPORA = {"msra": "MSRA test", "pd": "People's Daily test"}


def corpus_files(name: str) -> tuple[Path, Path]:
    return split_paths(name, "test", shared.data_dir())


@st.cache_data(show_spinner="Reading the corpus…")
def corpus_texts(chars_path: str, tags_path: str) -> list[str]:
    return [sentence.text for sentence in read_pair(chars_path, tags_path)]


def draw_from_corpus(db, version: dict, load_tagger) -> None:
    """load_tagger() gives the Tagger: loaded only when sentences are drawn, so the page never waits for it."""
    with st.form("correct_draw_form", border=False):
        left, right = st.columns([2, 1])
        name = left.selectbox("Corpus", list(CORPORA), format_func=CORPORA.get, key="correct_draw_corpus")
        n = right.number_input("Sentences", min_value=1, max_value=500, value=20, key="correct_draw_n")
        submitted = st.form_submit_button("Draw sentences from the corpus", key="correct_draw_go")
    if not submitted:
        return
    chars_path, tags_path = corpus_files(name)
    if not chars_path.exists() or not tags_path.exists():
        st.error(f"{CORPORA[name]} is not prepared: {chars_path} is missing. "
                 "Run `bash scripts/setup.sh` (or `python -m core prepare`) once.")
        return
    texts = corpus_texts(str(chars_path), str(tags_path))
    chosen = random.sample(texts, min(int(n), len(texts)))
    with st.spinner(f"Tagging {len(chosen)} sentences with `{version['name']}`…"):
        results = load_tagger().tag_texts(chosen)
    ids = documents.add_documents(db, [
        {"text": r.text, "source": f"corpus:{name}/test", "predicted_spans": [list(s) for s in r.spans],
         "predicted_by": version["name"], "confidence": r.lowest_confidence}
        for r in results])
    st.success(f"Added {len(ids)} sentences from {CORPORA[name]} to the queue.")


def other_encoding(name: str, data: bytes) -> str | None:
    """The one line refusing a file written in another encoding than UTF-8 (GBK, Big5...): none of its
    lines with non-ASCII bytes reads as UTF-8. None otherwise: a UTF-8 file with a few bad lines is
    imported, its bad lines refused by number."""
    first = None
    for number, line in enumerate(data.split(b"\n"), 1):
        if line.isascii():
            continue
        try:
            line.decode("utf-8")
            return None
        except UnicodeDecodeError as error:
            first = first or (number, line[error.start])
    if first is None:
        return None
    return (f"Not imported: {md(name)} is not UTF-8 text (line {first[0]}, byte 0x{first[1]:02x}; GBK, perhaps). "
            "Open it in an editor, save it as UTF-8 and upload it again.")


def _refused(uploads) -> bool:
    """Show the one-line refusal of the first upload in another encoding; whether there was one."""
    for upload in uploads:
        problem = other_encoding(upload.name, upload.getvalue())
        if problem:
            errors.log.warning("import of %r refused: not UTF-8", upload.name)
            st.error(problem)
            return True
    return False


def _imported(do_import, uploads: dict):
    """do_import(paths) on the uploads written to a temporary folder, or None after one st.error line
    (a file that cannot be read, a full disk, a damaged database) with the server's paths left out."""
    with tempfile.TemporaryDirectory(prefix="ner-studio-") as folder:
        paths = {}
        try:
            for role, upload in uploads.items():  # a folder each: the same name may upload twice
                (Path(folder) / role).mkdir()
                paths[role] = _saved(upload, Path(folder) / role)
            return do_import(paths)
        except ValueError as error:  # core's message names the file by its temporary path
            message = str(error)
            for role, path in paths.items():
                message = message.replace(str(path), uploads[role].name)
            st.error(f"Not imported: {md(message.replace(folder, ''))}")
        except (sqlite3.DatabaseError, OSError) as error:
            errors.show(error, "Not imported")
    return None


def _saved(upload, folder: Path) -> Path:
    path = folder / Path(upload.name).name
    path.write_bytes(upload.getvalue())
    return path


def _suggest(db, result: dict) -> None:
    """Raw text (lines without spans) gets the active model's suggestions at once, as a sentence
    drawn from a corpus does: reviewed like them, ordered by that model's confidence, and named
    as made by the version in use (untagged, the queue called them made by another version)."""
    untagged = result.get("untagged_ids") or []
    if not untagged:
        return
    bar = st.progress(0.0, text="Loading the model…")
    used, tagger = shared.active_tagger(db)  # a damaged active version falls back to the default: name that one
    try:
        tagged = suggestions.suggest(db, untagged, tagger.tag_texts, used["name"],
                                     progress=lambda done, total: bar.progress(done / total, f"Tagged {done} of {total}"))
    except sqlite3.DatabaseError as error:  # imported, not tagged: the refresh offer on the queue tags them
        errors.show(error, "Imported, but not tagged")
        return
    finally:
        bar.empty()
    result["suggested"] = (len(tagged), used["name"])


def _show_import(result: dict) -> None:
    message = f"Imported {result['imported']} document(s)."
    if result.get("suggested"):
        count, version = result["suggested"]
        message += f" {count} without annotations tagged by {md(version)}: its spans are suggestions to review."
    st.success(message)
    notices = result.get("repaired") or []
    if notices:
        st.info("Repaired BIO (an I_ tag without its B_ was read as the start of an entity):\n\n"
                + "\n".join(f"- {md(notice)}" for notice in notices))
    refused = result.get("refused") or []
    if refused:  # a refused line quotes the file, whose text is not ours to render as Markdown
        st.warning(f"Refused {len(refused)} line(s); the rest were imported:\n\n"
                   + "\n".join(f"- {md(line)}" for line in refused))


def import_files(db) -> None:
    from ui.correct import interchange

    kind = st.radio("Format", ["chars/TAG pair", "JSON lines", *interchange.KINDS], horizontal=True,
                    key="correct_import_kind")
    reviewed = st.checkbox("These annotations are reviewed gold", key="correct_import_reviewed",
                           help="Unticked, a file's annotations are suggestions: they wait in the queue for "
                                "review, and only reviewed documents train. Ticked, they count as corrected, "
                                "saved under your name: you vouch for them.")
    if kind == "chars/TAG pair":
        left, right = st.columns(2)
        chars_upload = left.file_uploader("Characters file (e.g. train.txt)", type=["txt"], key="correct_import_chars")
        tags_upload = right.file_uploader("Tags file (e.g. train_TAG.txt)", type=["txt"], key="correct_import_tags")
        if st.button("Import the pair", key="correct_import_pair"):
            if chars_upload is None or tags_upload is None:
                st.warning("Choose both files: the characters file and its _TAG file.")
                return
            if _refused([chars_upload, tags_upload]):
                return
            result = _imported(lambda paths: files.import_pair(
                db, paths["chars"], paths["tags"], source=f"import:{chars_upload.name}", reviewed=reviewed,
                importer=annotator.current()), {"chars": chars_upload, "tags": tags_upload})
            if result is not None:
                _show_import(result)
    elif kind in interchange.KINDS:
        interchange.import_other(db, kind, reviewed, _imported, _refused, _suggest, _show_import)
    else:
        upload = st.file_uploader('JSON lines: {"text": ..., "spans": [[start, end, label], ...]}',
                                  type=["jsonl", "json", "txt"], key="correct_import_jsonl")
        if st.button("Import JSON lines", key="correct_import_jsonl_go"):
            if upload is None:
                st.warning("Choose a .jsonl file first.")
                return
            if _refused([upload]):
                return
            result = _imported(lambda paths: files.import_jsonl(
                db, paths["file"], source=f"import:{upload.name}", reviewed=reviewed,
                importer=annotator.current()), {"file": upload})
            if result is not None:
                _suggest(db, result)
                _show_import(result)


def export_corrected(db) -> None:
    n = len(documents.corrected_documents(db))
    if not n:
        st.caption("No corrected document yet: save a correction first.")
        return
    counts = documents.status_counts(db)
    unreviewed = f"; {counts['imported']} of them imported and not yet reviewed (they do not train)" \
        if counts["imported"] else ""
    st.caption(f"{n} annotated document(s), each with its latest spans{unreviewed}.")
    columns = st.columns(4)

    def pair(index: int):
        return lambda: shared.exported(files.export_pair, db, "corrected.txt", "corrected_TAG.txt")[index]

    columns[0].download_button("Characters (.txt)", pair(0), "corrected.txt", "text/plain", key="correct_dl_chars")
    columns[1].download_button("Tags (_TAG.txt)", pair(1), "corrected_TAG.txt", "text/plain", key="correct_dl_tags")
    from storage import interchange as formats  # CoNLL with B-/I-, as CoNLL tools expect (the pair keeps B_)

    columns[2].download_button("CoNLL", lambda: formats.export_string(db, "conll", provenance=False),
                               "corrected.conll", "text/plain", key="correct_dl_conll")
    columns[3].download_button("JSON lines", lambda: shared.exported(files.export_jsonl, db, "corrected.jsonl")[0],
                               "corrected.jsonl", "application/jsonl", key="correct_dl_jsonl")
    from ui.correct import interchange

    interchange.export_other(db)

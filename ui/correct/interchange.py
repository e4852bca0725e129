"""The Correct page's other tools' formats: import Label Studio JSON, doccano JSONL, CoNLL, plain
text and CSV (storage/interchange.py); export the first three, with who annotated, when and with
which model's suggestions (CoNLL as `# key = value` lines before each sentence). Drawn by ui/correct/io.py beside the chars/TAG pair and JSON lines.
"""
from __future__ import annotations

import streamlit as st

from storage import interchange
from ui.access import annotator

KINDS = {  # the radio's label: (format, upload types, what the uploader says)
    "Label Studio JSON": ("label-studio", ["json", "jsonl"], "Label Studio JSON export: tasks with annotations "
                                                              "or predictions"),
    "doccano JSONL": ("doccano", ["jsonl", "json"], 'doccano JSONL: {"text": ..., "label": [[start, end, "PER"], ...]}'),
    "CoNLL (B-/I-)": ("conll", ["conll", "txt", "tsv"], "CoNLL: a character and its tag a line, a blank line "
                                                        "between sentences"),
    "Plain text": ("text", ["txt"], "Plain text: a document a line; the active model suggests the spans"),
    "CSV": ("csv", ["csv", "tsv"], "CSV: the text column (or the first); the active model suggests the spans"),
}
EXPORTS = {"Label Studio JSON": ("label-studio", "corrected.label-studio.json", "application/json"),
           "doccano JSONL": ("doccano", "corrected.doccano.jsonl", "application/jsonl"),
           "CoNLL with # lines": ("conll", "corrected.provenance.conll", "text/plain")}


def import_other(db, kind: str, reviewed: bool, imported, refused, suggest, show) -> None:
    """One of KINDS through ui/correct/io.py's helpers (imported: upload to a temporary file and
    errors shown; refused: not UTF-8; suggest: the active model for documents without spans)."""
    name, types, label = KINDS[kind]
    upload = st.file_uploader(label, type=types, key=f"correct_import_{name}")
    if st.button(f"Import {kind}", key=f"correct_import_{name}_go"):
        if upload is None:
            st.warning("Choose a file first.")
            return
        if refused([upload]):
            return
        result = imported(lambda paths: interchange.import_file(
            db, paths["file"], name, source=f"import:{upload.name}", reviewed=reviewed,
            importer=annotator.current() if reviewed else None), {"file": upload})
        if result is not None:
            suggest(db, result)
            show(result)


def export_other(db) -> None:
    provenance = st.checkbox("With who annotated, when, and which model's suggestions", value=True,
                             key="correct_dl_provenance")
    columns = st.columns(len(EXPORTS))
    for column, (label, (name, file_name, mime)) in zip(columns, EXPORTS.items()):
        column.download_button(label, lambda name=name: interchange.export_string(db, name, provenance), file_name,
                               mime, key=f"correct_dl_with_{name}")

"""The Tag page's file upload: plain text (a document a line) or CSV (the text column, else the
first), read by core/data/plain_files.py's readers as the Correct screen's import reads them, tagged
by the active model, shown and offered for download. A bad line is named and left out; the others
are tagged."""
from __future__ import annotations

import json
import tempfile
from pathlib import Path

import pandas as pd
import streamlit as st

from core.data import plain_files
from storage import documents
from ui import formats, shared
from ui.correct.io import other_encoding
from ui.draw import highlight
from ui.draw.plain import md

CHOICE = "A file: plain text or CSV"  # the page's choice beside "Text"
READERS = {".csv": plain_files.read_csv, ".tsv": plain_files.read_csv}  # any other name: a document a line
SHOWN = 200  # documents highlighted on the page; the table and the downloads hold all of them
REFUSALS_SHOWN = 20  # bad lines listed; the count says how many more


def read_upload(name: str, data: bytes) -> tuple[list[tuple[int, str]], list[str], int]:
    """([(line, text)], ["line L: what is wrong"], characters) of an uploaded file, read until its
    documents pass formats.TAG_LIMIT characters. ValueError (naming the file) for a file that cannot
    be read at all (a CSV file that is not UTF-8)."""
    reader = READERS.get(Path(name).suffix.lower(), plain_files.read_plain)
    texts, refused, characters = [], [], 0
    with tempfile.TemporaryDirectory(prefix="ner-studio-") as folder:
        path = Path(folder) / Path(name).name
        path.write_bytes(data)
        try:
            for line, record, bad in reader(path):
                if bad is not None:
                    refused.append(f"line {line}: {bad}")
                    continue
                texts.append((line, record.text))
                characters += len(record.text)
                if characters > formats.TAG_LIMIT:
                    break
        except ValueError as error:  # core names the file by its temporary path
            raise ValueError(str(error).replace(str(path), name)) from None
    return texts, refused, characters


def draw(db) -> None:
    upload = st.file_uploader("A plain text file (a document a line) or CSV (the text column, else the first)",
                              type=["txt", "csv", "tsv"], key="predict_file",
                              help="UTF-8. A line that cannot be read is named and left out; the others are tagged.")
    if st.button("Tag the file", type="primary", key="predict_file_go"):
        st.session_state.pop("predict_file_result", None)
        if upload is None:
            st.warning("Choose a file first.")
        else:
            _tag(db, upload.name, upload.getvalue())
    result = st.session_state.get("predict_file_result")
    if result is not None:
        _show(db, result)


def _tag(db, name: str, data: bytes) -> None:
    problem = other_encoding(name, data)  # GBK, Big5...: one line, not every line refused
    if problem:
        st.error(problem.replace("Not imported:", "Not tagged:", 1))
        return
    try:
        texts, refused, characters = read_upload(name, data)
    except ValueError as error:
        st.error(f"Not tagged: {md(str(error))}")
        return
    if characters > formats.TAG_LIMIT:
        st.error(f"{md(name)} holds more than {formats.TAG_LIMIT:,} characters; this page tags at most that "
                 f"many at a time. Split it, or tag it on the command line: `{formats.CLI_HINT}` "
                 "(a document a line).")
        return
    if not texts:  # every line bad, or none with text
        _refusals(refused, "nothing was left to tag")
        if not refused:
            st.info(f"Nothing to tag: {md(name)} holds no text.")
        return
    with st.spinner("Loading the model (once after the app starts)…"):
        version, tagger = shared.active_tagger(db)
    bar, done = st.progress(0.0, text="Tagging…"), [0]

    def advance(n_chars: int) -> None:
        done[0] += n_chars
        bar.progress(min(1.0, done[0] / characters), text=f"Tagging… {done[0]:,} / {characters:,} characters")

    tagged = tagger.tag_texts([text for _, text in texts], progress=advance)
    bar.empty()
    st.session_state["predict_file_result"] = {
        "name": name, "version": version["name"], "types": tagger.entity_types, "refused": refused,
        "documents": [(line, result) for (line, _), result in zip(texts, tagged, strict=True)]}


def _refusals(refused: list[str], rest: str) -> None:
    if refused:  # a refused line quotes the file, whose text is not ours to render as Markdown
        more = len(refused) - REFUSALS_SHOWN
        st.warning(f"Left out {len(refused)} line(s) that cannot be read; {rest}:\n\n"
                   + "\n".join(f"- {md(line)}" for line in refused[:REFUSALS_SHOWN])
                   + (f"\n- … and {more} more" if more > 0 else ""))


def _show(db, result: dict) -> None:
    docs, name = result["documents"], result["name"]
    st.caption(f"{md(name)}: {len(docs):,} document(s) tagged by {md(result['version'])}")
    _refusals(result["refused"], "the others were tagged")
    entities = [(line, e) for line, tagged in docs for e in tagged.entities]
    columns = st.columns(3 + len(result["types"]))
    columns[0].metric("Documents", f"{len(docs):,}")
    columns[1].metric("Characters", f"{sum(len(t.text) for _, t in docs):,}")
    columns[2].metric("Entities", f"{len(entities):,}")
    for column, label in zip(columns[3:], result["types"]):
        column.metric(label, sum(e.label == label for _, e in entities))

    st.html(highlight.legend_html(result["types"]))
    with st.container(height=420, border=True):
        st.html(highlight.STYLE + "".join(
            f'<div class="ner-file-line" style="opacity:.6;font-size:.8em">line {line}</div>'
            + highlight.highlight_html(tagged.text, tagged.entities, style=False) for line, tagged in docs[:SHOWN]))
    if len(docs) > SHOWN:
        st.caption(f"The first {SHOWN} documents are shown; the table and the downloads hold all {len(docs):,}.")
    table = pd.DataFrame([{"line": line, **row} for line, e in entities for row in formats.entity_rows([e])],
                         columns=["line", "text", "type", "start", "end", "confidence"])
    st.dataframe(table.assign(confidence=lambda t: (100 * t["confidence"]).round(1)), key="predict_file_entities",
                 hide_index=True, width="stretch",
                 column_config={"confidence": st.column_config.ProgressColumn(
                     "model confidence", min_value=0.0, max_value=100.0, format="%.1f%%"),
                     "start": st.column_config.NumberColumn("start", help="offset in its document (line)")})
    _downloads(docs, Path(name).stem)
    _send(db, result)


def _downloads(docs, stem: str) -> None:
    st.subheader("Download")
    sentences = [s for _, tagged in docs for s in formats.sentences_by_line(tagged.text, tagged.tags)]
    chars_file, tags_file = formats.pair_strings(sentences)
    jsonl = "".join(json.dumps({"line": line, "text": t.text, "spans": [list(s) for s in t.spans]},
                               ensure_ascii=False) + "\n" for line, t in docs)
    download = st.columns(4)
    download[0].download_button("Characters (.txt)", chars_file, f"{stem}.txt", "text/plain", key="predict_file_dl_chars")
    download[1].download_button("Tags (_TAG.txt)", tags_file, f"{stem}_TAG.txt", "text/plain",
                                key="predict_file_dl_tags")
    download[2].download_button("CoNLL", formats.conll_string(sentences), f"{stem}.conll", "text/plain",
                                key="predict_file_dl_conll")
    download[3].download_button("JSON lines", jsonl, f"{stem}.jsonl", "application/jsonl", key="predict_file_dl_jsonl",
                                help="A record per document with the file's line; offsets within the document.")
    st.caption("The chars/TAG pair and CoNLL have a line (a sentence) per line of each document; CoNLL writes "
               "B-/I- tags, the pair the seed's B_.")


def _send(db, result: dict) -> None:
    """The documents go to Correct's queue with the model's spans as suggestions; a text already
    there is not queued twice (as the text box's Send does). Checked on the click only: the texts
    have no index, and a file may hold thousands."""
    st.subheader("Send for correction")
    if "sent" in result:
        added, skipped = result["sent"]
        st.success(f"Queued {added:,} document(s) for correction" + (f"; {skipped:,} were in the queue already."
                                                                     if skipped else "."))
        return
    if st.button(f"Send {len(result['documents']):,} document(s) to the correction queue", key="predict_file_send",
                 icon=":material/playlist_add:"):
        new = {t.text: t for _, t in result["documents"] if documents.find_text(db, t.text) is None}
        documents.add_documents(db, [{"text": t.text, "source": f"tag page:{result['name']}",
                                      "predicted_spans": [list(s) for s in t.spans], "predicted_by": result["version"],
                                      "confidence": t.lowest_confidence} for t in new.values()])
        result["sent"] = (len(new), len(result["documents"]) - len(new))
        st.rerun()

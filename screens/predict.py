"""Tag: paste text (or upload a plain text or CSV file: ui/tag/upload.py), see its entities
highlighted with the model's confidence, copy or download the tags, send the text to the correction
queue.

The text box never waits for the model: app.py starts loading it in the background, and only the
result area shows a spinner if it is still loading. The text tagged last and its result are kept
together, so leaving the page and coming back shows both (or, before any tagging, neither)."""
from __future__ import annotations

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from storage import documents
from ui import formats, shared
from ui.draw import highlight
from ui.draw.plain import md
from ui.tag import upload

st.title("Tag")
db = shared.get_db()
version = shared.active_version(db)
st.caption(f"Model {md(version['name'])} · up to {formats.TAG_LIMIT:,} characters at a time")
if st.radio("Tag", ["Text", upload.CHOICE], horizontal=True, key="predict_input",
            label_visibility="collapsed") == upload.CHOICE:
    upload.draw(db)
    st.stop()
kept = st.session_state.get("predict_result")
if kept is not None and "predict_text" not in st.session_state:  # back on this page: the text with its result
    st.session_state["predict_text"] = kept["tagged"].text

with st.form("predict_form", border=False):
    text = st.text_area("Text", key="predict_text", height=200,
                        placeholder="粘贴或输入中文文本，例如：我爱北京天安门",
                        help="Any text: line breaks, spaces, Latin letters, digits and emoji stay where they are. "
                             "Ctrl+Enter tags.")
    tag_clicked = st.form_submit_button("Tag", type="primary", key="predict_tag")

if tag_clicked:
    st.session_state.pop("predict_result", None)
    if not text.strip():
        st.info("Nothing to tag: paste or type some text first.")
    elif len(text) > formats.TAG_LIMIT:
        st.error(f"The text has {len(text):,} characters; this page tags at most {formats.TAG_LIMIT:,} "
                 f"at a time. Split it, or tag the whole file on the command line: `{formats.CLI_HINT}` "
                 "(one line of the file per text).")
    else:
        with st.spinner("Loading the model (once after the app starts)…"):
            version, tagger = shared.active_tagger(db)  # the default model if the active one is damaged
        bar = st.progress(0.0, text="Tagging…")
        done = [0]

        def advance(n_chars: int) -> None:
            done[0] += n_chars
            bar.progress(min(1.0, done[0] / len(text)), text=f"Tagging… {done[0]:,} / {len(text):,} characters")

        tagged = tagger.tag_texts([text], progress=advance)[0]
        bar.empty()
        st.session_state["predict_result"] = {"tagged": tagged, "version": version["name"],
                                              "types": tagger.entity_types}

result = st.session_state.get("predict_result")
if result is None:
    st.stop()


def open_in_correct(doc: dict) -> None:
    """Correct opens on this document, listed whatever its status, no search narrowing the list."""
    st.session_state["correct_doc"] = doc["id"]
    st.session_state["correct_status"] = "all" if doc["status"] == "corrected" else "to review"  # Show filter keys
    st.session_state["correct_search"] = ""
    st.switch_page("screens/correct.py")

tagged = result["tagged"]
model_types = result["types"]
st.caption(f"Tagged by {md(result['version'])}")  # the default model when the active one is damaged

counts = {label: sum(e.label == label for e in tagged.entities) for label in model_types}
columns = st.columns(2 + len(counts))
columns[0].metric("Characters", f"{len(tagged.text):,}")
columns[1].metric("Entities", len(tagged.entities))
for column, (label, n) in zip(columns[2:], counts.items()):
    column.metric(label, n)

st.html(highlight.legend_html(model_types))
with st.container(height=420 if len(tagged.text) > 1500 else "content", border=True):
    st.html(highlight.highlight_html(tagged.text, tagged.entities))
if not tagged.entities:
    st.info("The model found no entities in this text.")

left, right = st.columns([3, 2])
with left:
    st.subheader("Entities")
    st.dataframe(
        pd.DataFrame(formats.entity_rows(tagged.entities), columns=["text", "type", "start", "end", "confidence"])
        .assign(confidence=lambda table: (100 * table["confidence"]).round(1)),
        key="predict_entities", hide_index=True, width="stretch",
        column_config={"confidence": st.column_config.ProgressColumn(
            "model confidence", help="the lowest CRF marginal probability over the entity's characters",
            min_value=0.0, max_value=100.0, format="%.1f%%")})
with right:
    st.subheader("Send for correction")
    queued = documents.find_text(db, tagged.text)  # the same text is not queued twice: offered back instead
    if queued is not None:
        st.success(f"Queued as document #{queued['id']} ({queued['status']}): open it to review it.")
        if st.button("Open it in Correct", key="predict_open_queued", icon=":material/fact_check:"):
            open_in_correct(queued)
    elif st.button("Send to correction queue", key="predict_send", icon=":material/playlist_add:"):
        documents.add_document(db, tagged.text, source="tag page",
                               predicted_spans=[list(span) for span in tagged.spans], predicted_by=result["version"],
                               confidence=tagged.lowest_confidence)
        st.rerun()

sentences = formats.sentences_by_line(tagged.text, tagged.tags)
chars_file, tags_file = formats.pair_strings(sentences) if sentences else ("", "")

st.subheader("Download")  # its own heading: only the first two are the seed's format
download = st.columns(4)
download[0].download_button("Characters (.txt)", chars_file, "text.txt", "text/plain", key="predict_dl_chars")
download[1].download_button("Tags (_TAG.txt)", tags_file, "text_TAG.txt", "text/plain", key="predict_dl_tags")
download[2].download_button("CoNLL", formats.conll_string(sentences) if sentences else "", "text.conll",
                            "text/plain", key="predict_dl_conll")
download[3].download_button("JSON lines", formats.whole_text_jsonl(tagged.text, tagged.tags), "text.jsonl",
                            "application/jsonl", key="predict_dl_jsonl",
                            help="One record for the whole text; offsets are those of the text as pasted.")
st.caption("The seed's format is a pair of files: the characters and their tags (_TAG). CoNLL has one "
           "character and its tag a line; JSON lines one record with the entities' offsets.")

st.subheader("Tags in the seed's format")
st.caption("One line per line of the text, tokens separated by spaces; spaces and control characters "
           "are written as <U+XXXX>. The copy button is at the top right of each box.")
st.code(tags_file, language=None, wrap_lines=True)
with st.expander("Characters line(s)"):
    st.code(chars_file, language=None, wrap_lines=True)

with st.expander("Confidence per character"):
    figure = go.Figure(go.Scatter(
        y=tagged.char_confidence, mode="lines", line={"width": 1},
        customdata=[[c, t] for c, t in zip(tagged.text, tagged.tags)],
        hovertemplate="%{x}: %{customdata[0]} %{customdata[1]}<br>model confidence %{y:.1%}<extra></extra>"))
    figure.update_layout(height=240, margin={"l": 10, "r": 10, "t": 10, "b": 10}, xaxis_title="character",
                         yaxis={"range": [0, 1.02], "title": "model confidence", "tickformat": ".0%"})
    st.plotly_chart(figure, key="predict_confidence_chart")

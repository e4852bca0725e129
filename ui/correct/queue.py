"""The Correct screen's queue: how far the annotators have got, which documents to list (order,
status, a search over their text), and the picker that opens one."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from storage import assignments, documents, suggestions, team_queue
from ui import formats, shared
from ui.correct.editor import QUEUE_IDS, flash, work_key
from ui.access import annotator
from ui.draw.plain import md

ORDERS = {"confidence": "least confident first",
          "spot-check": f"least confident first, every {documents.SPOT_CHECK_EVERY}th the surest (a spot check)",
          "newest": "newest first", "oldest": "oldest first"}
STATUS_FILTERS = {"to review": "to review", "all": "all", "new": "model's predictions to review",
                  "imported": "imported suggestions to review", "corrected": "corrected"}
SHOWN_LABEL = "correct_doc_label"  # (id, label) the picker last drew for the open document
DOC_PARAM = "doc"  # the open document's id in the page's address (?doc=12), beside ?annotator=


def progress(db) -> None:
    """Done / in the queue: documents a person saved out of every document sent for review."""
    counts = documents.status_counts(db)
    done, todo = counts["corrected"], counts["new"] + counts["imported"]
    total = done + todo
    text = f"**{done}** done of **{total}** in the queue · {todo} to review"
    if counts["imported"]:
        text += f" ({counts['imported']} imported from files: their annotations are suggestions until reviewed)"
    who = annotator.current()  # their own counts on the same line (a line more pushed the filters off screen)
    mine = next((row for row in assignments.progress(db) if row["annotator"] == who), None)
    if mine is not None:
        text += (f" · yours: {mine['done']} done, {mine['waiting']} waiting, {mine['skipped']} skipped, "
                 f"{mine['flagged']} flagged (Team has everyone's)")
    st.progress(done / total if total else 0.0, text=text)


def offer_refresh(db) -> None:
    """When suggestions waiting for review came from another version than the one tagging now (a
    retraining was promoted since), offer to re-tag them: the annotator then corrects what that
    version gets wrong, in the order of its own confidence. While the active version is damaged,
    the default tags, so the offer counts against the default's name and ends after a refresh."""
    version = shared.tagging_version(db)
    count = suggestions.stale_count(db, version["name"])
    if not count:
        return
    untagged = suggestions.untagged_count(db)
    said = [f"**{count - untagged}** suggestion(s) waiting for review were made by another version"] * (count > untagged)
    said += [f"**{untagged}** document(s) waiting for review have no suggestions yet"] * bool(untagged)
    box = st.container(border=True)
    box.markdown(f"{'; '.join(said)}; the version in use is **{md(version['name'])}**. Refreshing tags them with "
                 "it and orders the queue by its confidence. Imported files' annotations and saved corrections "
                 "are not touched.")
    if not box.button(f"Refresh {count} suggestion(s) with {md(version['name'])}", key="correct_refresh"):
        return
    bar = box.progress(0.0, text="Loading the model…")
    used, tagger = shared.active_tagger(db)  # a damaged version falls back to the default: name that one
    refreshed = suggestions.refresh(db, tagger.tag_texts, used["name"],
                                    progress=lambda done, total: bar.progress(done / total, f"Tagged {done} of {total}"))
    for doc_id in refreshed:  # an editor opened on one of them without edits shows the new spans
        state = st.session_state.get(work_key(doc_id))
        if state is not None and not state.changed:
            del st.session_state[work_key(doc_id)]
    flash("success", f"Refreshed {len(refreshed)} suggestion(s) with {md(used['name'])}.")
    st.rerun()


def label(row: dict) -> str:
    spot = "spot check (the model is sure of it) · " if row.get("spot_check") else ""
    spot += "skipped · " if row.get("skipped") else ""
    return (f"#{row['id']} · {spot}{row['status']} · model confidence {formats.percent(row['confidence'])} · "
            f"{formats.preview(row['text'])}")


def choose(db) -> list[dict]:
    """The documents to list, by order, status and search. The open document stays listed after
    it left the list (just saved, so no longer "to review") unless a search is on."""
    order_col, status_col, search_col = st.columns([1, 1, 2])
    order = order_col.selectbox("Order", list(ORDERS), format_func=ORDERS.get, key="correct_order")
    status = status_col.selectbox("Show", list(STATUS_FILTERS), format_func=STATUS_FILTERS.get,
                                  key="correct_status")
    search = search_col.text_input("Search the queue", key="correct_search", placeholder="characters in the text",
                                   help="Lists only the documents whose text contains these characters.")
    if status == "to review":  # what waits for this annotator: theirs or nobody's, not done by them yet
        rows = team_queue.queue_for(db, annotator.current() or "", order=order, limit=1000, search=search.strip())
    else:
        rows = documents.queue(db, order=order, status=None if status == "all" else status, limit=1000,
                               search=search.strip())
    _reopen_from_address()
    current = st.session_state.get("correct_doc")
    if current is not None and current not in [row["id"] for row in rows] and not search.strip():
        try:  # just saved at the end of the list: keep it open until the annotator moves on
            kept = documents.get_document(db, current)
            if kept["status"] != "rejected":  # marked bad text: it leaves the queue at once
                rows.insert(0, kept)
        except KeyError:
            pass
    st.session_state[QUEUE_IDS] = [row["id"] for row in rows]
    return rows


def table(rows: list[dict]) -> None:
    """Every document the picker lists, as a table (collapsed: the picker is what moves through them)."""
    with st.expander(f"Queue: {len(rows)} document(s) listed"):
        st.dataframe(pd.DataFrame([{"id": r["id"], "status": r["status"] + (" · spot check" * bool(r.get("spot_check"))),
                                    "model confidence": formats.percent(r["confidence"]), "source": r["source"],
                                    "entities": len(r["spans"]), "text": formats.preview(r["text"], 60)}
                                   for r in rows]),
                     hide_index=True, width="stretch", key="correct_queue_table")


def _reopen_from_address() -> None:
    """A new session (a reload, a restored tab) opens the document the address names, so that the
    annotator is back where they were and its draft is offered at once; a document that is gone
    leaves the queue's first open instead."""
    if "correct_doc" in st.session_state:
        return
    try:
        st.session_state["correct_doc"] = int(st.query_params.get(DOC_PARAM, ""))
    except ValueError:
        pass


def picker(rows: list[dict]) -> int:
    """The document picker with Previous and Next; returns the open document's id."""
    ids = [row["id"] for row in rows]
    labels = {row["id"]: label(row) for row in rows}
    if st.session_state.get("correct_doc") not in ids:
        st.session_state["correct_doc"] = ids[0]
    shown = st.session_state.get(SHOWN_LABEL)
    if shown and shown[0] == st.session_state["correct_doc"] and shown[1] != labels[shown[0]]:
        # The browser shows the label it was sent with the value ('#1 · new' after the save that
        # made it corrected): setting the same value again sends the new label with it.
        st.session_state["correct_doc"] = shown[0]

    def step(delta: int) -> None:
        position = ids.index(st.session_state["correct_doc"]) + delta
        st.session_state["correct_doc"] = ids[max(0, min(len(ids) - 1, position))]

    pick, back, forward = st.columns([5, 1.4, 1.4], vertical_alignment="bottom")
    doc_id = pick.selectbox("Document", ids, format_func=labels.get, key="correct_doc")
    back.button("Previous", key="correct_prev", on_click=step, args=(-1,), shortcut="Alt+Up", width="stretch")
    forward.button("Next", key="correct_next", on_click=step, args=(1,), shortcut="Alt+Down", width="stretch")
    st.session_state[SHOWN_LABEL] = (doc_id, labels[doc_id])
    if st.query_params.get(DOC_PARAM) != str(doc_id):
        st.query_params[DOC_PARAM] = str(doc_id)
    return doc_id

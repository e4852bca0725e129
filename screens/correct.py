"""Correct: the review queue (least confident first), one document's spans to fix and save,
its history to restore, labels applied to every occurrence, imports and exports."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.labels import ENTITY_TYPES, TYPE_NAMES
from storage import documents
from ui import correct_io, formats, highlight, shared
from ui.plain import md

ORDERS = {"confidence": "least confident first", "newest": "newest first", "oldest": "oldest first"}
STATUS_FILTERS = {"new": "to review", None: "all", "corrected": "corrected"}

st.title("Correct")
db = shared.get_db()
who = shared.annotator("correct")
version, tagger = shared.active_tagger(db)


def forget_annotator() -> None:
    st.session_state.pop("annotator", None)


head = st.columns([4, 1])
head[0].caption(f"Annotating as **{md(who)}** · new sentences are tagged by {md(version['name'])}")
head[1].button("Not you?", key="correct_change_name", on_click=forget_annotator, type="tertiary")

with st.expander("Add documents to the queue", expanded=False):
    draw_tab, import_tab = st.tabs(["Draw from a corpus", "Import files"])
    with draw_tab:
        correct_io.draw_from_corpus(db, version, tagger)
    with import_tab:
        correct_io.import_files(db)
with st.expander("Export corrected documents"):
    correct_io.export_corrected(db)

# ---- the queue ------------------------------------------------------------------------------
left, right = st.columns(2)
order = left.selectbox("Order", list(ORDERS), format_func=ORDERS.get, key="correct_order")
status = right.selectbox("Show", list(STATUS_FILTERS), format_func=STATUS_FILTERS.get, key="correct_status")
rows = documents.queue(db, order=order, status=status, limit=1000)
current = st.session_state.get("correct_doc")
if current is not None and current not in [row["id"] for row in rows]:
    try:  # just saved, so no longer "to review": keep it open until the annotator moves on
        rows.insert(0, documents.get_document(db, current))
    except KeyError:
        pass
flash = st.session_state.pop("correct_flash", None)
if flash:
    getattr(st, flash[0])(flash[1])
if not rows:
    st.info("Nothing here yet. Send a text from **Tag**, draw sentences from a corpus or import files "
            "(above) to fill the queue.")
    st.stop()

ids = [row["id"] for row in rows]
labels = {row["id"]: f"#{row['id']} · {row['status']} · "
                     f"{'?' if row['confidence'] is None else format(row['confidence'], '.2f')} · "
                     f"{formats.preview(row['text'])}" for row in rows}
if st.session_state.get("correct_doc") not in ids:
    st.session_state["correct_doc"] = ids[0]


def step(delta: int) -> None:
    position = ids.index(st.session_state["correct_doc"]) + delta
    st.session_state["correct_doc"] = ids[max(0, min(len(ids) - 1, position))]


with st.expander(f"Queue: {len(rows)} document(s)"):
    st.dataframe(pd.DataFrame([{"id": r["id"], "status": r["status"], "confidence": r["confidence"],
                                "source": r["source"], "entities": len(r["spans"]),
                                "text": formats.preview(r["text"], 60)} for r in rows]),
                 hide_index=True, width="stretch", key="correct_queue_table")
pick, back, forward = st.columns([5, 1.4, 1.4], vertical_alignment="bottom")
doc_id = pick.selectbox("Document", ids, format_func=labels.get, key="correct_doc")
back.button("Previous", key="correct_prev", on_click=step, args=(-1,), shortcut="Alt+Up", width="stretch")
forward.button("Next", key="correct_next", on_click=step, args=(1,), shortcut="Alt+Down", width="stretch")

# ---- one document ---------------------------------------------------------------------------
doc = documents.get_document(db, doc_id)
text = doc["text"]
work_key = f"correct_work_{doc_id}"
if work_key not in st.session_state:
    st.session_state[work_key] = {"spans": formats.normalise_spans(doc["spans"]), "base": doc["revision"]}
work = st.session_state[work_key]


def reload(document_id: int) -> None:
    fresh = documents.get_document(db, document_id)
    st.session_state[f"correct_work_{document_id}"] = {"spans": formats.normalise_spans(fresh["spans"]),
                                                       "base": fresh["revision"]}
    st.session_state.pop(f"correct_conflict_{document_id}", None)


def save(spans, base, note=None) -> None:
    try:
        revision = documents.save_correction(db, doc_id, [list(s) for s in spans], who,
                                             model_version=doc.get("predicted_by"), base_revision=base, note=note)
    except documents.ConflictError as conflict:
        st.session_state[f"correct_conflict_{doc_id}"] = conflict.current_revision
        return
    except ValueError as error:
        st.session_state["correct_flash"] = ("error", f"Not saved: {error}")
        return
    st.session_state[work_key] = {"spans": formats.normalise_spans(spans), "base": revision}
    st.session_state.pop(f"correct_conflict_{doc_id}", None)
    st.session_state["correct_flash"] = ("success", f"Saved document #{doc_id} as revision {revision}.")


st.caption(f"Source: {md(doc['source'] or '?')} · predicted by {md(doc.get('predicted_by') or '?')} · "
           f"{'revision ' + str(work['base']) if work['base'] else 'not corrected yet'} · {len(text):,} characters")
st.html(highlight.legend_html(ENTITY_TYPES))
with st.container(height=320 if len(text) > 1200 else "content", border=True):
    st.html(highlight.highlight_html(text, work["spans"]))
changed = formats.normalise_spans(doc["spans"]) != work["spans"]
if changed:
    st.caption(":orange[Unsaved changes.]")

# A second tab (or colleague) saved this document after this editor loaded it: show theirs, keep ours.
conflict = st.session_state.get(f"correct_conflict_{doc_id}")
if conflict is not None:
    theirs = documents.get_document(db, doc_id)
    latest = documents.history(db, doc_id)[-1]
    st.error(f"Not saved: {md(latest['annotator'])} saved this document as revision {theirs['revision']} at "
             f"{latest['created_at']} after you opened it. Your spans are still here; compare and choose.")
    st.markdown("**Their version**")
    st.html(highlight.highlight_html(text, theirs["spans"]))
    mine, take = st.columns(2)
    mine.button("Save mine over theirs", key="correct_conflict_mine", type="primary",
                on_click=lambda: (st.session_state.pop(f"correct_conflict_{doc_id}", None),
                                  save(work["spans"], theirs["revision"], "kept over a concurrent save")))
    take.button("Take theirs (drop mine)", key="correct_conflict_theirs", on_click=reload, args=(doc_id,))

# ---- edit the spans -------------------------------------------------------------------------
spans_tab, add_tab, all_tab, history_tab = st.tabs(["Spans", "Add a span", "Apply to all", "History"])

with spans_tab:
    if not work["spans"]:
        st.caption("No spans: add one in the next tab, or save to confirm there is no entity.")
    else:
        st.dataframe(pd.DataFrame(formats.span_rows(text, work["spans"])), hide_index=True, width="stretch",
                     key=f"correct_spans_table_{doc_id}")
        index = st.selectbox("Span to change", range(len(work["spans"])), key=f"correct_pick_{doc_id}",
                             format_func=lambda i: "{0}-{1} {2} {3}".format(*work["spans"][i],
                                                                            text[work["spans"][i][0]:work["spans"][i][1]]))
        index = min(index, len(work["spans"]) - 1)
        start, end, label = work["spans"][index]
        with st.form(f"correct_edit_form_{doc_id}", border=False):
            suffix = f"{doc_id}_{start}_{end}_{label}"  # fresh inputs whenever another span is picked
            c1, c2, c3 = st.columns(3)
            new_start = c1.number_input("Start", 0, len(text) - 1, start, key=f"correct_edit_start_{suffix}")
            new_end = c2.number_input("End (exclusive)", 1, len(text), end, key=f"correct_edit_end_{suffix}")
            new_label = c3.selectbox("Type", ENTITY_TYPES, ENTITY_TYPES.index(label) if label in ENTITY_TYPES else 0,
                                     format_func=lambda t: f"{t} ({TYPE_NAMES[t]})", key=f"correct_edit_type_{suffix}")
            b1, b2 = st.columns(2)
            update = b1.form_submit_button("Update span", type="primary", key=f"correct_update_{doc_id}")
            delete = b2.form_submit_button("Delete span", key=f"correct_delete_{doc_id}")
        if update or delete:
            others = [s for i, s in enumerate(work["spans"]) if i != index]
            try:
                work["spans"] = others if delete else formats.with_span(others, (new_start, new_end, new_label), len(text))
                st.rerun()
            except ValueError as error:
                st.error(f"{error}. Change start or end and press Update again.")

with add_tab:
    with st.form(f"correct_add_form_{doc_id}", clear_on_submit=True, border=False):
        fragment = st.text_input("Characters to mark (as they appear in the text)", key=f"correct_add_text_{doc_id}",
                                 help="Enter adds the span. Leave empty to give start and end instead.")
        c1, c2, c3 = st.columns(3)
        add_start = c1.number_input("or start", 0, len(text) - 1, None, key=f"correct_add_start_{doc_id}")
        add_end = c2.number_input("and end (exclusive)", 1, len(text), None, key=f"correct_add_end_{doc_id}")
        add_label = c3.selectbox("Type", ENTITY_TYPES, format_func=lambda t: f"{t} ({TYPE_NAMES[t]})",
                                 key=f"correct_add_type_{doc_id}")
        every = st.checkbox("every occurrence in this document", key=f"correct_add_every_{doc_id}")
        add = st.form_submit_button("Add span", type="primary", key=f"correct_add_{doc_id}")
    if add:
        try:
            if fragment:
                starts = formats.find_fragment(text, fragment, work["spans"])
                if not starts:
                    raise ValueError(f"{fragment!r} does not occur in this document")
                new_spans = [(s, s + len(fragment), add_label) for s in (starts if every else starts[:1])]
            elif add_start is not None and add_end is not None:
                new_spans = [(int(add_start), int(add_end), add_label)]
            else:
                raise ValueError("type the characters to mark, or give both start and end")
            spans = work["spans"]
            for span in new_spans:
                spans = formats.with_span(spans, span, len(text))
            work["spans"] = spans
            st.session_state["correct_all_text"] = text[new_spans[0][0]:new_spans[0][1]]  # ready to apply to all
            st.rerun()
        except ValueError as error:
            st.error(f"Not added: {error}.")

with all_tab:
    st.caption("Label every occurrence of a string in the documents still to review (this one excluded). "
               "Occurrences that overlap an existing span are left alone. Each changed document gets a "
               "new revision, so this can be undone per document from its history.")
    with st.form("correct_all_form", border=False):
        c1, c2 = st.columns([2, 1])
        all_fragment = c1.text_input("String", key="correct_all_text")
        all_label = c2.selectbox("Type", ENTITY_TYPES, format_func=lambda t: f"{t} ({TYPE_NAMES[t]})",
                                 key="correct_all_type")
        apply = st.form_submit_button("Apply to all occurrences", key="correct_apply_all")
    if apply:
        if not all_fragment:
            st.warning("Type the string to label first.")
        else:
            found = documents.occurrences(db, all_fragment, exclude_document_id=doc_id)
            result = documents.apply_to_all(db, all_fragment, all_label, who, model_version=version["name"],
                                            exclude_document_id=doc_id)
            st.success(f"{all_fragment} as {all_label}: {result['added']} span(s) added in {result['changed']} "
                       f"document(s); {result['skipped']} occurrence(s) left alone (they overlap a span); "
                       f"{len(found)} occurrence(s) in other documents in all.")

with history_tab:
    saved = documents.history(db, doc_id)
    if not saved:
        st.caption("No saved version yet: the spans shown are the model's.")
    else:
        st.dataframe(pd.DataFrame([{"revision": h["id"], "annotator": h["annotator"], "saved at": h["created_at"],
                                    "predicted by": h["model_version"], "spans": len(h["spans"]),
                                    "note": h.get("note")} for h in reversed(saved)]),
                     hide_index=True, width="stretch", key=f"correct_history_table_{doc_id}")
        old = st.selectbox("Version", [h["id"] for h in reversed(saved)], key=f"correct_history_pick_{doc_id}",
                           format_func=lambda i: f"revision {i}")
        chosen = next(h for h in saved if h["id"] == old)
        st.html(highlight.highlight_html(text, chosen["spans"]))
        if st.button("Restore this version", key=f"correct_restore_{doc_id}"):
            try:  # the same check as Save: another tab's newer save is shown, never replaced
                revision = documents.restore(db, doc_id, old, who, base_revision=work["base"])
            except documents.ConflictError as conflict:
                st.session_state[f"correct_conflict_{doc_id}"] = conflict.current_revision
                st.rerun()
            reload(doc_id)
            st.session_state["correct_flash"] = ("success", f"Restored revision {old} as revision {revision}.")
            st.rerun()

# ---- save -----------------------------------------------------------------------------------
with st.form(f"correct_save_form_{doc_id}", border=False):
    note = st.text_input("Note (optional)", key=f"correct_note_{doc_id}")
    c1, c2, c3 = st.columns(3)
    save_clicked = c1.form_submit_button("Save", type="primary", shortcut="Ctrl+S", key=f"correct_save_{doc_id}",
                                         help="Saves the spans shown above as a new revision (Ctrl+S).")
    accept_clicked = c2.form_submit_button("Accept all of the model's spans", key=f"correct_accept_{doc_id}",
                                           help="Saves exactly what the model predicted.")
    discard_clicked = c3.form_submit_button("Discard my changes", key=f"correct_discard_{doc_id}")
if save_clicked:
    save(work["spans"], work["base"], note or None)
    st.rerun()
if accept_clicked:
    save(formats.normalise_spans(doc["predicted_spans"]), work["base"], note or "accepted the model's spans")
    st.rerun()
if discard_clicked:
    reload(doc_id)
    st.rerun()

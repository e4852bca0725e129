"""Correct: the review queue (least confident first, or with spot checks of the surest) and one
document at a time in the span editor: select characters with the mouse, label them with one key,
Enter saves and opens the next.
Exact edits, apply to all, history, imports and exports sit below it."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from storage import accounts, documents, team_versions
from ui.access import annotator, login
from ui.correct import exact as correct_exact, io as correct_io, queue as correct_queue, types as correct_types
from ui import formats, shared
from ui.draw import highlight
from ui.correct import editor as work
from ui.correct.apply_all import apply_to_all_tab
from ui.draw.plain import md
from ui.team import annotate as team_annotate

st.title("Correct")
db = shared.get_db()
who = annotator.ask("correct")
version = shared.active_version(db)

head = st.columns([4, 1, 1])  # one line: the queue's filters stay within the first screens of the page
head[0].caption(f"Annotating as **{md(who)}** · new sentences are tagged by {md(version['name'])}")
# The guideline one click away (issue 24), drawn only when asked: drawn always (in a popover or a tab),
# its long text kept the queue's "Show" dropdown from opening in the browser (tests/test_browser.py).
show_guideline = head[1].toggle("Guideline", key="correct_guideline", help="How we label, with the hard cases")
if show_guideline:
    with st.container(border=True, height=320):
        team_annotate.guideline(db)
if not accounts.any_accounts(db):  # a typed name; an account's is changed by Log out in the sidebar
    head[2].button("Not you?", key="correct_change_name", on_click=annotator.forget, type="tertiary")

progress_area = st.container()  # counted once the imports below have run
flash = st.session_state.pop("correct_flash", None)
if flash:
    getattr(st, flash[0])(flash[1])
# The open document comes first, so that its text is in the first screenful (at 1000 px it began
# 960 px down under the expanders and filters); the queue's controls are drawn below it, but run
# first: imports and filters decide what the picker lists.
document_area = st.container()

# ---- the queue ------------------------------------------------------------------------------
st.divider()
queue_area = st.container()
with st.expander("Add documents to the queue", expanded=False):
    draw_tab, import_tab = st.tabs(["Draw from a corpus", "Import files"])
    with draw_tab:
        correct_io.draw_from_corpus(db, version, lambda: shared.active_tagger(db)[1])
    with import_tab:
        correct_io.import_files(db)
with st.expander("Export corrected documents"):
    correct_io.export_corrected(db)
if login.is_admin(db):  # only admins add types; the editor shows everyone the keys of those there are
    with st.expander("Entity types"):
        correct_types.types_panel(db, who)
with queue_area:
    correct_queue.offer_refresh(db)
    rows = correct_queue.choose(db)
    correct_queue.table(rows)
with progress_area:
    correct_queue.progress(db)

with document_area:
    if not rows:
        if st.session_state.get("correct_search", "").strip():
            st.info("No document in this list contains that text.")
        else:
            st.info("Nothing here yet. Send a text from **Tag**, draw sentences from a corpus or import files "
                    "(below) to fill the queue.")
        st.stop()
    doc_id = correct_queue.picker(rows)

    # ---- one document -----------------------------------------------------------------------
    doc = team_versions.document_for(db, doc_id, who)  # a team document opens at this annotator's own version
    text = doc["text"]
    state = work.state_for(doc)
    work.offer_draft(db, who, doc, state)

    def after_edit() -> None:
        work.remember(db, who, doc_id, state)
        st.rerun()

    st.caption(f"Document #{doc_id} · {doc['status']} · from {md(doc['source'] or '?')} · tagged by "
               f"{md(doc.get('predicted_by') or '?')} · lowest model confidence {formats.percent(doc['confidence'])} · "
               f"{'revision ' + str(doc['revision_number']) if doc['revision_number'] else 'not corrected yet'} · "
               f"{len(text):,} characters")
    if doc["team"]:
        st.caption(team_annotate.team_caption(doc))
    work.draw_editor(doc_id, state)
    if state.notice:  # below the editor: the text does not move when a notice comes or goes
        kind, message = state.notice
        if kind == "warning":
            st.warning(md(message))
        else:  # the message quotes the document: text, not Markdown
            st.caption(md(message) + (" Z undoes it." if state.undo_stack else ""))
        state.notice = None
    if state.changed:
        st.caption(":orange[Unsaved changes, kept as a draft until you save or discard them.]")

    # A second tab (or colleague) saved this document after this editor loaded it: show theirs, keep ours.
    conflict = st.session_state.get(work.conflict_key(doc_id))
    if conflict is not None:
        theirs = team_versions.document_for(db, doc_id, who)  # a team document: this annotator's other tab
        latest = (team_versions.own_history(db, doc_id, who) if doc["team"] else documents.history(db, doc_id))[-1]
        st.error(f"Not saved: {md(latest['annotator'])} saved this document as revision {latest['number']} at "
                 f"{latest['created_at']} after you opened it. Your spans are still here; compare and choose.")
        st.markdown("**Their version**")
        st.html(highlight.highlight_html(text, theirs["spans"]))
        mine, take = st.columns(2)
        mine.button("Save mine over theirs", key="correct_conflict_mine", type="primary", on_click=work.save,
                    args=(doc_id, None, "kept over a concurrent save", True, theirs["revision"]))
        take.button("Take theirs (drop mine)", key="correct_conflict_theirs", on_click=work.discard, args=(doc_id,))

    # ---- save -------------------------------------------------------------------------------
    st.text_input("Note (optional)", key=work.note_key(doc_id), placeholder="stored with the next save")
    c1, c2, c3, c4 = st.columns(4)
    c1.button("Save and next", type="primary", shortcut="Ctrl+S", key=f"correct_save_{doc_id}", on_click=work.save,
              args=(doc_id,), help="Saves the spans shown above as a new revision and "
              "opens the next document (Ctrl+S, or Enter in the editor).")
    c2.button("Skip", key=f"correct_skip_{doc_id}", on_click=work.skip, args=(doc_id,),
              help="Opens the next document; unsaved edits stay here as a draft (S in the editor).")
    c3.button("Accept the model's spans", key=f"correct_accept_{doc_id}", on_click=work.save,
              args=(doc_id, doc["predicted_spans"], "accepted the model's spans"),
              help="Saves exactly what the model predicted and opens the next document.")
    c4.button("Discard my changes", key=f"correct_discard_{doc_id}", on_click=work.discard, args=(doc_id,),
              disabled=not state.changed)

    # ---- exact edits, apply to all, history -------------------------------------------------
    spans_tab, add_tab, all_tab, history_tab, flag_tab = st.tabs(
        ["Spans (exact edits)", "Add a span", "Apply to all", "History", "Flag or comment"])
    with flag_tab:
        def flagged(kind: str, message: str) -> None:
            work.flash(kind, message)
            st.rerun()

        team_annotate.flag_panel(db, who, doc, flagged)
    with spans_tab:
        correct_exact.spans_tab(doc_id, state, after_edit)
    with add_tab:
        correct_exact.add_tab(doc_id, state, after_edit)
    with all_tab:
        apply_to_all_tab(db, doc_id, state, who, version["name"], after_edit)
    with history_tab:
        saved = team_versions.own_history(db, doc_id, who) if doc["team"] else documents.history(db, doc_id)
        if not saved:
            st.caption("No saved version yet: the spans shown are the model's.")
        else:
            numbers = {h["id"]: h["number"] for h in saved}
            st.dataframe(pd.DataFrame([{"revision": h["number"], "annotator": h["annotator"], "saved at": h["created_at"],
                                        "predicted by": h["model_version"], "spans": len(h["spans"]),
                                        "note": h.get("note")} for h in reversed(saved)]),
                         hide_index=True, width="stretch", key=f"correct_history_table_{doc_id}")
            old = st.selectbox("Version", [h["id"] for h in reversed(saved)], key=f"correct_history_pick_{doc_id}",
                               format_func=lambda i: f"revision {numbers[i]}")
            chosen = next(h for h in saved if h["id"] == old)
            st.html(highlight.highlight_html(text, chosen["spans"]))
            if doc["team"]:  # the annotator's own versions: restoring saves that one again as theirs
                st.button("Restore this version", key=f"correct_restore_{doc_id}", on_click=work.save,
                          args=(doc_id, chosen["spans"], f"restored your version {numbers[old]}", False))
            elif st.button("Restore this version", key=f"correct_restore_{doc_id}"):
                try:  # the same check as Save: another tab's newer save is shown, never replaced
                    documents.restore(db, doc_id, old, who, base_revision=state.base_revision)
                except documents.ConflictError as conflict:
                    st.session_state[work.conflict_key(doc_id)] = conflict.current_revision
                    st.rerun()
                work.discard(doc_id)
                work.flash("success", f"Restored revision {numbers[old]} as revision {len(saved) + 1}.")
                st.rerun()

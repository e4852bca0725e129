"""The Correct screen's work on the open document, between the session and the database: its
EditState, the draft that keeps unsaved edits, saving, and moving on through the queue.

Saving and moving on happen in callbacks (before the next script run draws anything), so the
next document, a cleared note and the flash message all appear in that same run.
"""
from __future__ import annotations

import sqlite3
from datetime import datetime

import streamlit as st

from storage import documents, drafts, team, team_queue, team_versions
from storage.entity_types import known_labels
from ui.access import annotator, login
from ui import errors, shared
from ui.correct import span_editor
from ui.correct.edit_state import EditState
from ui.draw.plain import md

QUEUE_IDS = "correct_queue_ids"  # the documents the picker offered, in order: what "next" means


def work_key(doc_id: int) -> str:
    return f"correct_work_{doc_id}"


def editor_key(doc_id: int) -> str:
    return f"correct_editor_{doc_id}"


def note_key(doc_id: int) -> str:
    return f"correct_note_{doc_id}"


def conflict_key(doc_id: int) -> str:
    return f"correct_conflict_{doc_id}"


def flash(kind: str, message: str) -> None:
    """A message for the next run to show once (st.success, st.info, st.error...)."""
    st.session_state["correct_flash"] = (kind, message)


def state_for(doc: dict) -> EditState:
    """The open document's editing state, kept for the whole session. Opened again without edits
    of its own, it takes what was saved meanwhile (another tab, apply to all); while it stays open,
    nothing changes under the annotator's eyes, and a save made elsewhere shows as a conflict."""
    key = work_key(doc["id"])
    reopened = st.session_state.get("correct_open") != doc["id"]
    st.session_state["correct_open"] = doc["id"]
    if key not in st.session_state:
        st.session_state[key] = EditState(doc["text"], doc["spans"], doc["revision"], labels=known_labels(shared.get_db()))
    state = st.session_state[key]
    if reopened and not state.changed and state.base_revision != doc["revision"]:
        state.reload(doc["spans"], doc["revision"])
    return state


def remember(db, who: str, doc_id: int, state: EditState) -> None:
    """Write the edits as a draft (or drop the draft when nothing is left unsaved), once per change;
    nothing once this tab's login has ended (the edits stay in the tab)."""
    if state.edits == state.drafted or not login.still_logged_in(db):
        return
    try:
        if state.changed:
            drafts.save_draft(db, doc_id, who, state.spans, state.base_revision)
        else:
            drafts.delete_draft(db, doc_id, who)
    except sqlite3.DatabaseError as error:  # a full disk: the edits stay in this tab, tried again on the next
        flash("warning", errors.report(error, "Draft not kept") + " Your edits are still here.")
        return
    state.drafted = state.edits


def when(stamp: str) -> str:
    try:
        return datetime.fromisoformat(stamp).astimezone().strftime("%Y-%m-%d %H:%M")
    except (TypeError, ValueError):
        return str(stamp)


def offer_draft(db, who: str, doc: dict, state: EditState) -> None:
    """Unsaved edits from an earlier visit (a reload, a closed tab): offer them back, or drop them."""
    draft = drafts.get_draft(db, doc["id"], who)
    if draft is None or state.edits or [tuple(s) for s in draft["spans"]] == state.spans:
        return
    moved_on = draft["base_correction_id"] != doc["revision"]

    def restore() -> None:
        state.set_spans(draft["spans"], f"Restored your unsaved edits of {when(draft['updated_at'])}.")
        state.base_revision = draft["base_correction_id"]  # saved over since? the save then shows both versions
        remember(db, who, doc["id"], state)

    def discard() -> None:
        if login.still_logged_in(db, "Not discarded"):
            drafts.delete_draft(db, doc["id"], who)

    with st.container(border=True):
        st.markdown(f"**You left unsaved edits here** on {when(draft['updated_at'])}: "
                    f"{len(draft['spans'])} span(s) instead of the {len(state.spans)} saved."
                    + (" The document was saved by someone since." if moved_on else ""))
        left, right = st.columns(2)
        left.button("Restore my edits", key=f"correct_draft_restore_{doc['id']}", type="primary", on_click=restore)
        right.button("Discard them", key=f"correct_draft_discard_{doc['id']}", on_click=discard)


def go_next(doc_id: int) -> bool:
    """Open the document after doc_id in the list the picker showed; False at its end."""
    ids = st.session_state.get(QUEUE_IDS) or []
    later = ids[ids.index(doc_id) + 1:] if doc_id in ids else []
    if not later:
        return False
    st.session_state["correct_doc"] = later[0]
    return True


def save(doc_id: int, spans=None, default_note=None, move_on: bool = True, base=None) -> None:
    """Save spans (default: the edited ones) as the document's next revision with the note typed
    (else default_note), then open the next document (move_on). A concurrent save is not
    overwritten: the conflict is kept for the page to show. base: save over that revision instead."""
    db, state = shared.get_db(), st.session_state[work_key(doc_id)]
    if not login.still_logged_in(db):
        return  # the login page says why; the edits stay in this tab
    who = annotator.current()  # the name this save records, read again with the login
    spans = state.spans if spans is None else spans
    note = (st.session_state.get(note_key(doc_id)) or "").strip() or default_note
    try:
        doc = team_versions.document_for(db, doc_id, who)
        if doc["team"]:  # one of several annotators' versions: kept apart until they agree or are reviewed
            revision = team_versions.save_version(db, doc_id, [list(s) for s in spans], who,
                                                  base_version=state.base_revision if base is None else base,
                                                  model_version=doc.get("predicted_by"), note=note)
        else:
            revision = documents.save_correction(db, doc_id, [list(s) for s in spans], who,
                                                 model_version=doc.get("predicted_by"),
                                                 base_revision=state.base_revision if base is None else base, note=note)
    except documents.ConflictError as conflict:
        st.session_state[conflict_key(doc_id)] = conflict.current_revision
        return
    except (ValueError, team.Forbidden) as error:
        flash("error", f"Not saved: {md(error)}")
        return
    except sqlite3.DatabaseError as error:  # a full disk, a damaged file: one line here, the trace in the log
        flash("error", errors.report(error, "Not saved") + " Your edits are still here.")
        return
    state.reload(spans, revision)
    remember(db, who, doc_id, state)
    st.session_state.pop(conflict_key(doc_id), None)
    st.session_state.pop(note_key(doc_id), None)  # the note belonged to this save
    saved = _saved_message(db, doc_id, who, doc["team"])
    if move_on and go_next(doc_id):
        flash("success", f"{saved} Here is the next one.")
    else:
        flash("success", saved + (" That was the last document in this list." if move_on else ""))


def _saved_message(db, doc_id: int, who: str, is_team: bool) -> str:
    if not is_team:
        return f"Saved document #{doc_id} as revision {documents.get_document(db, doc_id)['revision_number']}."
    state = team_versions.state_of(db, doc_id)
    settled = {"agreed": " The versions agree: it trains.",
               "disputed": " The versions differ: it waits for a reviewer."}.get(state, " It waits for the others.")
    return f"Saved your version of document #{doc_id}.{settled}"


def discard(doc_id: int) -> None:
    db, who = shared.get_db(), st.session_state.get("annotator")
    if not login.still_logged_in(db, "Not discarded"):
        return
    fresh = team_versions.document_for(db, doc_id, who or "")
    try:
        drafts.delete_draft(db, doc_id, who)
    except sqlite3.DatabaseError as error:
        flash("error", errors.report(error, "Not discarded"))
        return
    st.session_state[work_key(doc_id)].reload(fresh["spans"], fresh["revision"])
    st.session_state.pop(conflict_key(doc_id), None)


def skip(doc_id: int) -> None:
    state = st.session_state[work_key(doc_id)]
    kept = " Your unsaved edits are kept as a draft." if state.changed else ""
    db, who = shared.get_db(), annotator.current()
    if who and login.still_logged_in(db, "Not skipped"):
        try:  # it moves to the end of this annotator's queue, and counts as skipped
            team_queue.record_skip(db, doc_id, who)
        except sqlite3.DatabaseError as error:
            flash("warning", errors.report(error, "Skip not recorded"))
    if go_next(doc_id):
        flash("info", f"Skipped document #{doc_id}.{kept}")
    else:
        flash("info", f"Document #{doc_id} is the last in this list.{kept}")


def draw_editor(doc_id: int, state: EditState) -> None:
    """The span editor; its commands are applied (and Enter saves, S skips) before the next run."""
    def on_commands() -> None:
        action = state.apply_commands(span_editor.sent_commands(editor_key(doc_id)))
        remember(shared.get_db(), st.session_state.get("annotator"), doc_id, state)
        if action == "accept":
            save(doc_id)
        elif action == "skip":
            skip(doc_id)

    span_editor.span_editor(state, editor_key(doc_id), on_commands)

"""The review panel (reviewers and admins): the review queue, flags first; the open document's
versions side by side with their differences outlined; accept one, merge span by span, or edit in
the span editor with the Correct screen's keys (Enter saves the edit). storage/reviews.py checks
the role again on every write, whatever this page drew."""
from __future__ import annotations

import streamlit as st

from storage import documents, reviews, team, team_versions
from storage.entity_types import known_labels
from ui import formats
from ui.correct import span_editor
from ui.correct.edit_state import EditState
from ui.draw.plain import md
from ui.team import diff

REASONS = {"flag": "flagged", "bad text": "marked bad text", "disputed": "versions differ"}


def _flash(kind: str, message: str) -> None:
    st.session_state["team_flash"] = (kind, message)


def show_flash() -> None:
    flash = st.session_state.pop("team_flash", None)
    if flash:
        getattr(st, flash[0])(flash[1])


def _label(row: dict, texts: dict[int, str]) -> str:
    figures = f" · {row['unmatched_spans']} span(s) differ" if row.get("unmatched_spans") else ""
    return f"#{row['id']} · {REASONS[row['reason']]}{figures} · {formats.preview(texts[row['id']])}"


def _decide(doc_id: int, who: str, spans, decision: str, accepted=None, seen=None) -> None:
    """A button's callback: write the decision, or keep why not for the next run to show."""
    from ui.shared import get_db

    try:
        reviews.resolve(get_db(), doc_id, who, [list(s) for s in spans], decision, accepted=accepted, seen_versions=seen)
    except documents.ConflictError:
        _flash("error", "Not saved: an annotator saved a new version meanwhile. Look again; nothing was written.")
        return
    except (ValueError, team.Forbidden) as error:
        _flash("error", f"Not saved: {md(error)}")
        return
    st.session_state.pop(f"team_edit_{doc_id}", None)
    _flash("success", f"Reviewed document #{doc_id} ({decision}): its version now trains.")


def _answer(flag_id: int, who: str, undo: bool) -> None:
    from ui.shared import get_db

    try:
        reviews.answer_flag(get_db(), flag_id, who, "not bad text" if undo else "confirmed", undo_bad_text=undo)
    except (ValueError, KeyError, team.Forbidden) as error:
        _flash("error", f"Not done: {md(error)}")
        return
    _flash("success", "The document is back in the queue." if undo else "Confirmed: it stays out of training.")


def _reopen(doc_id: int, who: str) -> None:
    from ui.shared import get_db

    try:
        reviews.reopen(get_db(), doc_id, who, st.session_state.get("team_reopen_reason", ""))
    except (ValueError, team.Forbidden) as error:
        _flash("error", f"Not reopened: {md(error)}")
        return
    _flash("success", f"Reopened document #{doc_id}: it is back in its annotators' queues and no longer trains.")


def reopen_panel(db, who: str) -> None:
    """Settled team documents (agreed or reviewed), the latest first: reopen one for its annotators."""
    settled = reviews.settled_documents(db, who)
    with st.expander(f"Settled documents: {len(settled)} · reopen one for its annotators"):
        if not settled:
            st.caption("No team document is settled yet.")
            return
        rows = {row["id"]: row for row in settled}
        doc_id = st.selectbox("Settled document", list(rows), key="team_reopen_doc", format_func=lambda i: (
            f"#{i} · {rows[i]['decision']} by {rows[i]['by']} · {formats.preview(rows[i]['text'])}"))
        for event in reviews.history_of(db, doc_id):
            st.caption(f"{event['at'][:16]} · {md(event['decision'])} by {md(event['by'] or '')}"
                       + (f" · {md(event['note'])}" if event["note"] else ""))
        st.text_input("Why (the annotators' history keeps it)", key="team_reopen_reason")
        st.button("Reopen: back to the annotators, stop training it", key=f"team_reopen_{doc_id}",
                  on_click=_reopen, args=(doc_id, who))


def review_panel(db, who: str) -> None:
    if not team.can_review(db, who):
        st.info("Reviewing is for reviewers and admins.")
        return
    show_flash()
    reopen_panel(db, who)
    rows = reviews.review_queue(db, who)
    if not rows:
        st.success("Nothing to review: no open flags, and every document's versions agree.")
        return
    texts = {row["id"]: documents.get_document(db, row["id"])["text"] for row in rows}
    ids = [row["id"] for row in rows]
    if st.session_state.get("team_review_doc") not in ids:
        st.session_state["team_review_doc"] = ids[0]
    labels = {row["id"]: _label(row, texts) for row in rows}
    doc_id = st.selectbox(f"Review queue: {len(rows)} document(s), flags first", ids, format_func=labels.get,
                          key="team_review_doc")
    row = next(r for r in rows if r["id"] == doc_id)
    doc = documents.get_document(db, doc_id)
    for flag in row["flags"]:
        box = st.container(border=True)
        box.markdown(f"**{md(flag['annotator'])}** {'marked it bad text' if flag['kind'] == 'bad text' else 'flagged it'}"
                     f": {md(flag['comment']) or '(no comment)'}")
        if flag["kind"] == "bad text":
            left, right = box.columns(2)
            left.button("Not bad text: back to the queue", key=f"team_flag_undo_{flag['id']}", on_click=_answer,
                        args=(flag["id"], who, True))
            right.button("Confirm: never train it", key=f"team_flag_ok_{flag['id']}", on_click=_answer,
                         args=(flag["id"], who, False))
    if doc["status"] == "rejected":
        return
    for comment in reviews.comments_of(db, doc_id, who):
        where = f" on {md(doc['text'][comment['start']:comment['end']])}" if comment["start"] is not None else ""
        st.caption(f"💬 {md(comment['author'])}{where}: {md(comment['body'])}")
    versions = {name: v["spans"] for name, v in team_versions.versions(db, doc_id, who).items()}
    seen = {name: v["id"] for name, v in team_versions.versions(db, doc_id, who).items()}
    if not versions:  # a flagged document with one version: the document's own
        versions = {"current": [list(s) for s in doc["spans"]]}
    columns = st.columns(len(versions))
    for column, (name, html_text) in zip(columns, diff.side_by_side(doc["text"], versions).items()):
        column.markdown(f"**{md(name)}** · {len(versions[name])} span(s)")
        column.html(html_text)
        if name != "current":
            column.button(f"Accept {name}'s version", key=f"team_accept_{doc_id}_{name}", on_click=_decide,
                          args=(doc_id, who, versions[name], "accepted", name, seen))
    merge_panel(doc_id, doc["text"], versions, who, seen)


def merge_panel(doc_id: int, text: str, versions: dict, who: str, seen: dict) -> None:
    """Span by span: tick the spans to keep (those every version has start ticked), save the merge,
    or edit it further in the span editor."""
    from ui.shared import get_db

    st.markdown("**Merge span by span**")
    choices = diff.merge_choices(text, versions)
    chosen = []
    for i, choice in enumerate(choices):
        start, end, label = choice["span"]
        by = "everyone" if choice["everyone"] else ", ".join(choice["by"])
        if st.checkbox(f"{label} {choice['text']} ({start}-{end}) · {by}", value=choice["everyone"],
                       key=f"team_merge_{doc_id}_{start}_{end}_{label}"):
            chosen.append(choice["span"])
    clashes = diff.overlapping(chosen)
    for a, b in clashes:
        st.warning(f"{md(text[a[0]:a[1]])} ({a[0]}-{a[1]}) and {md(text[b[0]:b[1]])} ({b[0]}-{b[1]}) overlap: keep one.")
    st.button("Save the merge", key=f"team_merge_save_{doc_id}", type="primary", disabled=bool(clashes),
              on_click=_decide, args=(doc_id, who, chosen, "merged", None, seen))
    if clashes:
        return
    key = f"team_edit_{doc_id}"
    if key not in st.session_state or st.session_state[key].text != text:
        st.session_state[key] = EditState(text, chosen, None, labels=known_labels(get_db()))
    state = st.session_state[key]
    if not state.changed and state.saved != sorted(tuple(s) for s in chosen):
        state.reload(chosen, None)  # the ticks moved: the editor starts from the new merge

    def on_commands() -> None:
        action = state.apply_commands(span_editor.sent_commands(f"team_editor_{doc_id}"))
        if action == "accept":
            _decide(doc_id, who, state.spans, "edited", None, seen)

    with st.expander("Edit the merge (the Correct screen's keys; Enter saves)", expanded=state.changed):
        span_editor.span_editor(state, f"team_editor_{doc_id}", on_commands)
        st.button("Save my edit", key=f"team_edit_save_{doc_id}", disabled=not state.changed, on_click=_decide,
                  args=(doc_id, who, state.spans, "edited", None, seen))

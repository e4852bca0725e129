"""Apply to all on the Correct screen: one string labelled everywhere it occurs, in the open
document (as an unsaved edit, undoable with Z) and in the documents still to review. The places
are listed first, each with what will happen there; the counts shown add up to that list."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.data import occurrences as places
from storage import apply_all
from ui.correct.exact import type_name
from ui.correct.edit_state import EditState, describe
from ui.draw.plain import md

PLAN_KEY = "correct_all_plan"


def _rows(doc_id: int, state: EditState, here, elsewhere) -> list[dict]:
    def row(document: str, text: str, o: places.Occurrence) -> dict:
        what = o.action + (f" (overlaps {describe(text, o.blocker)})" if o.blocker else "")
        return {"document": document, "where": places.context(text, o.start, o.end),
                "characters": f"{o.start}-{o.end}", "what happens": what}

    rows = [row(f"#{doc_id} (open, unsaved)", state.text, o) for o in here]
    for item in elsewhere:
        rows += [row(f"#{item['document']['id']}", item["document"]["text"], o) for o in item["occurrences"]]
    return rows


def counts(found) -> dict:
    return {action: sum(o.action == action for o in found) for action in (places.ADD, places.ALREADY, places.BLOCKED)}


def apply_to_all_tab(db, doc_id: int, state: EditState, who: str, model_version: str, after_edit) -> None:
    st.caption("Label every occurrence of a string: in this document (an unsaved edit; Z undoes it) and in the "
               "documents still to review (a new revision each, so their history can undo it). A span already "
               "there is never replaced: an occurrence that overlaps one is left alone. Team documents (several "
               "annotators each) are left out: nobody's bulk label may lead the others.")
    with st.form("correct_all_form", border=False):
        c1, c2 = st.columns([2, 1])
        fragment = c1.text_input("String", key="correct_all_text")
        label = c2.selectbox("Type", state.labels, format_func=type_name, key="correct_all_type")
        if st.form_submit_button("Show the places", key="correct_apply_all"):
            st.session_state[PLAN_KEY] = {"fragment": fragment, "label": label, "doc_id": doc_id}
    asked = st.session_state.get(PLAN_KEY)
    if not asked or asked != {"fragment": fragment, "label": label, "doc_id": doc_id}:
        return
    if not fragment:
        st.warning("Type the string to label first.")
        return
    here = places.plan(state.text, state.spans, fragment, label)
    elsewhere = apply_all.apply_plan(db, fragment, label, exclude_document_id=doc_id)
    found = here + [o for item in elsewhere for o in item["occurrences"]]
    if not found:
        left_out = apply_all.team_left_out(db, fragment, exclude_document_id=doc_id)
        st.info(f"{md(fragment)} occurs neither in this document nor in any document still to review"
                + (f" but {left_out} team document(s), left out: each annotator labels those alone until review."
                   if left_out else "."))
        return
    total = counts(found)
    st.dataframe(pd.DataFrame(_rows(doc_id, state, here, elsewhere)), hide_index=True, width="stretch",
                 key="correct_all_places")
    untouched = len(apply_all.occurrences(db, fragment, exclude_document_id=doc_id)) - sum(
        len(item["occurrences"]) for item in elsewhere)
    team_docs = apply_all.team_left_out(db, fragment, exclude_document_id=doc_id)
    st.caption(f"{len(found)} place(s): {total[places.ADD]} to label, {total[places.ALREADY]} already labelled, "
               f"{total[places.BLOCKED]} left alone (they overlap a span)."
               + (f" {untouched} more in {'corrected, imported or team' if team_docs else 'corrected or imported'} "
                  "documents are not changed." if untouched else "")
               + (f" {team_docs} team document(s) left out: each annotator labels those alone until review."
                  if team_docs else ""))
    if not total[places.ADD]:
        return
    if st.button(f"Label {total[places.ADD]} place(s) as {label}", key="correct_apply_confirm", type="primary"):
        mine = counts(here)[places.ADD]
        if mine:
            state.set_spans(places.with_planned(state.spans, here, label),
                            f"Labelled {fragment} as {label} in {mine} place(s) here (apply to all).")
        result = apply_all.apply_to_all(db, fragment, label, who, model_version=model_version,
                                        exclude_document_id=doc_id)
        st.session_state.pop(PLAN_KEY, None)
        st.session_state["correct_flash"] = (
            "success", f"{md(fragment)} as {label}: {mine + result['added']} span(s) added, {mine} in this document "
                       f"(unsaved) and {result['added']} in {result['changed']} other document(s); "
                       f"{total[places.ALREADY]} already labelled; {total[places.BLOCKED]} left alone"
                       + (f"; {team_docs} team document(s) left out." if team_docs else "."))
        after_edit()

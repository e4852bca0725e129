"""Exact edits on the Correct screen, for what the mouse makes fiddly: a span's bounds and type in
number fields, and a span added by typing its characters or its offsets. They change the same
EditState as the span editor (one undo step each) and say what they replaced."""
from __future__ import annotations

import pandas as pd
import streamlit as st

from core.labels import TYPE_NAMES
from ui import formats
from ui.correct.edit_state import EditState
from ui.draw.plain import md


def type_name(label: str) -> str:
    return f"{label} ({TYPE_NAMES.get(label, 'your own type')})"


def spans_tab(doc_id: int, state: EditState, after_edit) -> None:
    """The spans as a table, and number fields to move or retype one (after_edit() then reruns)."""
    text, spans = state.text, state.spans
    if not spans:
        st.caption("No spans: select characters above and press a type key, or add one in the next tab.")
        return
    st.dataframe(pd.DataFrame(formats.span_rows(text, spans)), hide_index=True, width="stretch",
                 key=f"correct_spans_table_{doc_id}")
    index = st.selectbox("Span to change", range(len(spans)), key=f"correct_pick_{doc_id}",
                         format_func=lambda i: "{0}-{1} {2} {3}".format(*spans[i], text[spans[i][0]:spans[i][1]]))
    index = min(index, len(spans) - 1)
    start, end, label = spans[index]
    with st.form(f"correct_edit_form_{doc_id}", border=False):
        suffix = f"{doc_id}_{start}_{end}_{label}"  # fresh inputs whenever another span is picked
        c1, c2, c3 = st.columns(3)
        new_start = c1.number_input("Start", 0, len(text) - 1, start, key=f"correct_edit_start_{suffix}")
        new_end = c2.number_input("End (exclusive)", 1, len(text), end, key=f"correct_edit_end_{suffix}")
        new_label = c3.selectbox("Type", state.labels, state.labels.index(label) if label in state.labels else 0,
                                 format_func=type_name, key=f"correct_edit_type_{suffix}")
        b1, b2 = st.columns(2)
        update = b1.form_submit_button("Update span", type="primary", key=f"correct_update_{doc_id}")
        delete = b2.form_submit_button("Delete span", key=f"correct_delete_{doc_id}")
    if update or delete:
        try:
            if delete:
                state.delete(start, end)
            else:
                state.replace((start, end, label), (new_start, new_end, new_label))
        except ValueError:
            st.error(f"{md(state.notice[1])} Change start or end and press Update again.")
            return
        after_edit()


def add_tab(doc_id: int, state: EditState, after_edit) -> None:
    """Add a span by its characters (first free occurrence, or every one) or by its offsets."""
    text = state.text
    with st.form(f"correct_add_form_{doc_id}", clear_on_submit=True, border=False):
        fragment = st.text_input("Characters to mark (as they appear in the text)", key=f"correct_add_text_{doc_id}",
                                 help="Enter adds the span. Leave empty to give start and end instead.")
        c1, c2, c3 = st.columns(3)
        add_start = c1.number_input("or start", 0, len(text) - 1, None, key=f"correct_add_start_{doc_id}")
        add_end = c2.number_input("and end (exclusive)", 1, len(text), None, key=f"correct_add_end_{doc_id}")
        add_label = c3.selectbox("Type", state.labels, format_func=type_name, key=f"correct_add_type_{doc_id}")
        every = st.checkbox("every occurrence in this document", key=f"correct_add_every_{doc_id}")
        add = st.form_submit_button("Add span", type="primary", key=f"correct_add_{doc_id}")
    if not add:
        return
    try:
        if fragment:
            starts = formats.find_fragment(text, fragment, state.spans)
            if not starts:
                raise ValueError(f"{fragment!r} does not occur in this document")
            new_spans = [(s, s + len(fragment), add_label) for s in (starts if every else starts[:1])]
        elif add_start is not None and add_end is not None:
            new_spans = [(int(add_start), int(add_end), add_label)]
        else:
            raise ValueError("type the characters to mark, or give both start and end")
        said = [state.label(*span) for span in new_spans]
    except ValueError as error:
        st.error(f"Not added: {md(error)}.")
        return
    state.notice = ("info", " ".join(said))
    st.session_state["correct_all_text"] = text[new_spans[0][0]:new_spans[0][1]]  # ready to apply to all
    after_edit()

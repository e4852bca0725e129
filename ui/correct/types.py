"""The Correct screen's entity types: the four built-in ones and the user's own; an admin adds one
(a name and a colour), corrections may use it at once, and the next retraining learns it."""
from __future__ import annotations

import streamlit as st

from storage import entity_types
from ui.draw import highlight
from ui.access import login
from ui.correct.editor import work_key
from ui.draw.plain import md


def types_panel(db, who: str) -> None:
    own = entity_types.own_types(db)
    st.html(highlight.legend_html(entity_types.known_labels(db)))
    if own:
        st.caption("Your own types are learned at the next retraining (Train: Improve the active model); "
                   "until then the model cannot suggest them.")
    if not login.is_admin(db):
        st.caption("An admin can add a type of your own here.")
        return
    with st.form("correct_types_form", border=False):
        name_col, colour_col = st.columns([3, 1])
        name = name_col.text_input("New type (letters and digits, e.g. PROD)", key="correct_type_name")
        colour = colour_col.color_picker("Colour", "#ffe066", key="correct_type_colour")
        if st.form_submit_button("Add the type", key="correct_type_add"):
            try:
                added = entity_types.add_type(db, name, colour, who)
            except ValueError as error:
                st.warning(md(str(error)))
                return
            highlight.use_own_types(entity_types.own_types(db))
            for key in [k for k in st.session_state if str(k).startswith(work_key(""))]:
                st.session_state[key].labels = entity_types.known_labels(db)  # open documents may use it now
            st.success(f"Added {md(added)}: press its key in the editor to label with it.")

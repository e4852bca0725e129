"""The admin's team controls: how many annotators see each document, assigning a batch (a search,
an import, a corpus draw) to annotators, and the studio's own guideline. storage checks the role
again on every write."""
from __future__ import annotations

import streamlit as st

from storage import accounts, assignments, team
from ui.draw.plain import md
from ui.team.review import _flash


def overlap_panel(db, who: str) -> None:
    current = team.overlap(db)
    with st.form("team_overlap_form"):
        value = st.number_input("Annotators per document (overlap)", min_value=1, max_value=team.MAX_OVERLAP,
                                value=current, step=1, key="team_overlap",
                                help="1: one person's save is the document's version, as before. 2 or 3 for a gold "
                                     "set: each annotator's version is kept apart, and the document trains once the "
                                     "versions agree or a reviewer settles them.")
        if st.form_submit_button("Set overlap"):
            try:
                team.set_overlap(db, who, int(value))
            except (ValueError, team.Forbidden) as error:
                st.error(f"Not set: {md(error)}")
                return
            _flash("success", f"Each document waiting for review now needs {int(value)} annotator(s).")
            st.rerun()


def assign_panel(db, who: str) -> None:
    names = [a["name"] for a in accounts.list_accounts(db)]
    if not names:
        st.caption("Assignment needs accounts: add them with `python -m storage.accounts add NAME --role annotator`.")
        return
    found = assignments.sources(db)
    kinds = ["a search over the text", *[f"source: {s}" for s in found]]
    with st.form("team_assign_form"):
        what = st.selectbox("Batch", kinds, key="team_assign_batch",
                            format_func=lambda k: k if k == kinds[0] else f"{k} ({found[k[len('source: '):]]} waiting)")
        search = st.text_input("Text contains (for a search)", key="team_assign_search")
        people = st.multiselect("Annotators", names, key="team_assign_people")
        overlap = st.number_input("Annotators per document", 1, team.MAX_OVERLAP, team.overlap(db), key="team_assign_k")
        if st.form_submit_button("Assign"):
            source = None if what == kinds[0] else what[len("source: "):]
            ids = assignments.batch_ids(db, search=search.strip(), source=source)
            if not ids:
                st.warning("No document waiting for review matches that batch.")
                return
            try:
                given = assignments.assign(db, who, ids, people, source or f"search: {search.strip()}", int(overlap))
            except (ValueError, team.Forbidden) as error:
                st.error(f"Not assigned: {md(error)}")
                return
            _flash("success", f"Assigned {len(ids)} document(s): "
                   + ", ".join(f"{md(name)} {n}" for name, n in given.items()) + ".")
            st.rerun()


def guidelines_panel(db, who: str) -> None:
    current = team.guidelines(db)
    st.caption("The studio's own guideline." if current["own"] else
               "The bundled guideline (docs/ANNOTATION.md) until you write the studio's own; blank goes back to it.")
    with st.form("team_guidelines_form"):
        text = st.text_area("Guideline (Markdown)", value=current["text"] if current["own"] else "", height=240,
                            key="team_guidelines_text", placeholder="Leave blank to use the bundled guideline")
        if st.form_submit_button("Save the guideline"):
            try:
                team.set_guidelines(db, who, text)
            except (ValueError, team.Forbidden) as error:
                st.error(f"Not saved: {md(error)}")
                return
            _flash("success", "Guideline saved: annotators see it in the editor.")
            st.rerun()

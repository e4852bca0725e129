"""Who is annotating: with accounts, the logged-in user (ui/access/login.py). Without, asked once, then
kept in the address (?annotator=NAME) as well as the session, so that a reload, a bookmark or a
second tab of the same address still knows. The name is stored with every correction."""
from __future__ import annotations

import streamlit as st

PARAM = "annotator"


def _accounts_on() -> bool:
    from storage.accounts import any_accounts
    from ui import shared

    return any_accounts(shared.get_db())


def current() -> str | None:
    """The logged-in account's name when there are accounts: nobody saves under another name, and
    the address cannot change it. Else the name from the session, else from the address (a reload
    starts a new session)."""
    if _accounts_on():
        from ui.access import login
        from ui import shared

        account = login.current(shared.get_db())
        st.session_state["annotator"] = account["name"] if account else None  # what a save records
        return st.session_state["annotator"]
    name = st.session_state.get("annotator")
    if not name:
        name = (st.query_params.get(PARAM) or "").strip()
        if name:
            st.session_state["annotator"] = name
    return name or None


def keep_in_url() -> None:
    """app.py, every page run: the address carries the name on every page, so any reload keeps it."""
    name = current()
    if name and _accounts_on():
        return  # the account names the annotator; the address plays no part
    if name and st.query_params.get(PARAM) != name:
        st.query_params[PARAM] = name


def forget() -> None:
    """"Not you?": ask again (with accounts: log out)."""
    from ui.access import login

    login.logout()
    st.session_state.pop("annotator", None)
    if PARAM in st.query_params:
        del st.query_params[PARAM]


def ask(prefix: str) -> str:
    """The annotator's name; until it is given, a form asking for it and nothing else (st.stop)."""
    name = current()
    if name:
        return name
    if _accounts_on():  # only reached by a page run outside app.py, which asks for the login first
        st.warning("Log in first.")
        st.stop()
    with st.form(f"{prefix}_annotator_form"):
        st.markdown("**Who is correcting?** Your name is stored with every correction you save, "
                    "and kept in this page's address so that a reload does not ask again.")
        typed = st.text_input("Your name", key=f"{prefix}_annotator_name")
        if st.form_submit_button("Start"):
            if typed.strip():
                st.session_state["annotator"] = typed.strip()
                st.query_params[PARAM] = typed.strip()
                st.rerun()
            st.warning("Type a name first.")
    st.stop()

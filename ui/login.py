"""Who is using the app, and as what. With accounts (storage/accounts.py) a visitor must log in;
with none, and the server listening on this machine only, the one local user is an admin.

Accounts with argon2 hashes rather than st.login (OIDC): the studio must work without a network
or an identity provider. Where an organisation has one, st.login can replace login_page()."""
from __future__ import annotations

import streamlit as st

from storage import accounts
from ui.plain import md

SESSION_KEY = "_login_account"  # no widget has this key, so no browser can set it
LOCAL = {"name": None, "role": "admin", "local": True}
LOCAL_ADDRESSES = ("127.0.0.1", "localhost", "::1")


def local_only() -> bool:
    """Whether the server listens on this machine only (.streamlit/config.toml's server.address)."""
    return (st.get_option("server.address") or "") in LOCAL_ADDRESSES


def current(db) -> dict | None:
    """{"name", "role", "local"} of this session's user, None for a visitor who has not logged in.

    The role is read again on every run, so a removed account or a changed role counts at once."""
    if not accounts.any_accounts(db):
        return dict(LOCAL) if local_only() else None
    name = st.session_state.get(SESSION_KEY)
    account = accounts.get_account(db, name) if name else None
    if account is None:
        st.session_state.pop(SESSION_KEY, None)
        return None
    return {**account, "local": False}


def is_admin(db) -> bool:
    user = current(db)
    return user is not None and user["role"] == "admin"


def job_owner(db) -> str:
    """The name the job limits count jobs under (the local user is "local")."""
    user = current(db) or {}
    return user.get("name") or "local"


def logout() -> None:
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop("annotator", None)  # the name saves record (ui/annotator.py)


def login_page() -> None:
    """The only page a visitor gets (app.py): the login form, or why there is none."""
    from ui.shared import get_db

    st.title("NER Studio")
    if not accounts.any_accounts(get_db()):
        st.error("This server can be reached from other machines and has no accounts yet, so nobody may use "
                 "it. On the server, add one with `python -m storage.accounts add NAME --role admin`, or "
                 "listen on 127.0.0.1 only (.streamlit/config.toml).")
        return
    with st.form("login_form"):
        name = st.text_input("Name", key="login_name")
        password = st.text_input("Password", type="password", key="login_password")
        if st.form_submit_button("Log in", type="primary"):
            try:
                account = accounts.authenticate(get_db(), name, password)
            except accounts.LockedOut as locked:
                st.error(f"Not logged in: {locked}.")
                return
            if account is None:
                st.error("Wrong name or password.")  # the same words for an unknown name
                return
            st.session_state[SESSION_KEY] = account["name"]
            st.rerun()


def sidebar(user: dict) -> None:
    """Who is logged in, with a way out; in local mode, say that there are no accounts."""
    if user["local"]:
        st.caption("Local mode: no accounts, so you (on this machine) are an admin. To serve a team, add "
                   "accounts with `python -m storage.accounts add NAME --role admin`.")
        return
    st.caption(f"Logged in as **{md(user['name'])}** ({user['role']})")
    st.button("Log out", key="login_logout", on_click=logout, type="tertiary")

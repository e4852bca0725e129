"""Who is using the app, and as what. With accounts (storage/accounts.py) a visitor must log in;
with none, and the server listening on this machine only, the one local user is an admin.

Accounts with argon2 hashes rather than st.login (OIDC): the studio must work without a network
or an identity provider. Where an organisation has one, st.login can replace login_page().
A login survives a reload through a random token the browser keeps in this server's localStorage,
not in a cookie, which every port's pages would get (ui/access/login_store.py; storage/login_sessions.py)."""
from __future__ import annotations

import streamlit as st

from storage import accounts, login_sessions
from ui.access import login_store
from ui.draw.plain import md

SESSION_KEY = "_login_account"  # no widget has this key, so no browser can set it
TOKEN_KEY = "_login_token"  # this tab's login session token (storage/login_sessions.py)
STORE_KEY = "_login_store"  # for the browser to keep, on the next page drawn: the token, or "" to forget it
ENDED_KEY = "_login_ended"  # why the login page shows: a write refused because this tab's login had ended
LOCAL = {"name": None, "role": "admin", "local": True}
LOCAL_ADDRESSES = ("127.0.0.1", "localhost", "::1")


def local_only() -> bool:
    """Whether the server listens on this machine only (.streamlit/config.toml's server.address)."""
    return (st.get_option("server.address") or "") in LOCAL_ADDRESSES


def current(db) -> dict | None:
    """{"name", "role", "local"} of this session's user, None for a visitor who has not logged in.

    The role is read again on every run, so a removed account or a changed role counts at once.
    A new tab or a reload starts as a visitor: its login page asks the browser for the token it
    keeps, which logs it in again (_restore_kept_login)."""
    if not accounts.any_accounts(db):
        return dict(LOCAL) if local_only() else None
    name = st.session_state.get(SESSION_KEY)
    if not login_sessions.is_open(db, st.session_state.get(TOKEN_KEY)):
        name = None  # ended by a logout in another tab using it, or by a new password
    account = accounts.get_account(db, name) if name else None
    if account is None:
        st.session_state.pop(SESSION_KEY, None)
        st.session_state.pop(TOKEN_KEY, None)
        return None
    return {**account, "local": False}


def still_logged_in(db, refused: str = "Not saved") -> bool:
    """Asked by every write from a callback, just before it writes: callbacks (Save, Enter in the
    editor) run before app.py checks the login, so a tab whose login ended (a logout in another tab
    using it, a new password, a removed account) would otherwise still write once. False: write
    nothing; the login page, drawn next, says why."""
    if current(db) is not None:
        return True
    st.session_state[ENDED_KEY] = (f"{refused}: your login has ended (a logout, a new password or a removed "
                                   "account), so nothing was written. Please log in again.")
    return False


def _client_address() -> str | None:
    """The TCP peer's address, whom failed logins slow (Streamlit reads no X-Forwarded-For, so a
    visitor cannot choose it); None on this machine."""
    address = st.context.ip_address
    return address if isinstance(address, str) else None  # AppTest answers with a stand-in object


def is_admin(db) -> bool:
    user = current(db)
    return user is not None and user["role"] == "admin"


def job_owner(db) -> str:
    """The name the job limits count jobs under (the local user is "local")."""
    user = current(db) or {}
    return user.get("name") or "local"


def logout() -> None:
    from ui.shared import get_db

    login_sessions.close(get_db(), st.session_state.pop(TOKEN_KEY, None))  # the kept token opens nothing now
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop("annotator", None)  # the name saves record (ui/access/annotator.py)
    st.session_state[STORE_KEY] = ""


def _restore_kept_login() -> None:
    """Draw the browser's login store, with what the last login (or logout) asked it to keep; a
    visitor's browser is asked, once a session, for the token it keeps (a reload, a new tab): a
    live session's token logs this session in."""
    from ui.shared import get_db

    token = login_store.mount(write=st.session_state.pop(STORE_KEY, None), ask=True)
    name = login_sessions.restore(get_db(), token)
    if name is not None and accounts.get_account(get_db(), name) is not None:
        st.session_state[SESSION_KEY], st.session_state[TOKEN_KEY] = name, token
        st.rerun()


def login_page() -> None:
    """The only page a visitor gets (app.py): the login form, or why there is none."""
    from ui.shared import get_db

    _restore_kept_login()
    st.title("NER Studio")
    ended = st.session_state.pop(ENDED_KEY, None)
    if ended:
        st.warning(ended)
    if not accounts.any_accounts(get_db()):
        st.error("This server can be reached from other machines and has no accounts yet, so nobody may use "
                 "it. On the server, add one with `python -m storage.accounts add NAME --role admin`, or "
                 "listen on 127.0.0.1 only (.streamlit/config.toml).")
        return
    with st.form("login_form"):
        name = st.text_input("Name", key="login_name", max_chars=accounts.MAX_NAME)
        password = st.text_input("Password", type="password", key="login_password")
        if st.form_submit_button("Log in", type="primary"):
            try:
                account = accounts.authenticate(get_db(), name, password, client=_client_address())
            except (accounts.LockedOut, accounts.Busy) as refused:
                st.error(f"Not logged in: {refused}.")
                return
            if account is None:
                st.error("Wrong name or password.")  # the same words for an unknown name
                return
            token = login_sessions.open_session(get_db(), account["name"])
            st.session_state[SESSION_KEY], st.session_state[TOKEN_KEY] = account["name"], token
            st.session_state[STORE_KEY] = token
            st.rerun()


def sidebar(user: dict) -> None:
    """Who is logged in, with a way out; in local mode, say that there are no accounts."""
    if user["local"]:
        st.caption("Local mode: no accounts, so you (on this machine) are an admin. To serve a team, add "
                   "accounts with `python -m storage.accounts add NAME --role admin`.")
        return
    if STORE_KEY in st.session_state:  # just logged in: the browser keeps the token
        login_store.mount(write=st.session_state.pop(STORE_KEY))
    st.caption(f"Logged in as **{md(user['name'])}** ({user['role']})")
    st.button("Log out", key="login_logout", on_click=logout, type="tertiary")

"""Who is using the app, and as what. With accounts (storage/accounts.py) a visitor must log in;
with none, and the server listening on this machine only, the one local user is an admin.

Accounts with argon2 hashes rather than st.login (OIDC): the studio must work without a network
or an identity provider. Where an organisation has one, st.login can replace login_page().
A login survives a reload through a cookie holding a random token (storage/login_sessions.py);
Streamlit reads cookies but cannot set them, so a small script on the page does."""
from __future__ import annotations

import streamlit as st

from storage import accounts, login_sessions
from ui.plain import md

SESSION_KEY = "_login_account"  # no widget has this key, so no browser can set it
TOKEN_KEY = "_login_token"  # this tab's login session token (storage/login_sessions.py)
COOKIE_KEY = "_login_cookie"  # a cookie to write on the next page drawn: the token, or "" to clear it
ENDED_KEY = "_login_ended"  # why the login page shows: a write refused because this tab's login had ended
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
    if not login_sessions.is_open(db, st.session_state.get(TOKEN_KEY)):
        name = None  # ended by a logout in another tab using it, or by a new password
    if name is None:  # a new tab or a reload: the browser may hold a live session's cookie
        token = _cookie_token()
        name = login_sessions.restore(db, token)
        if name is not None:
            st.session_state[SESSION_KEY], st.session_state[TOKEN_KEY] = name, token
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


def _cookie_token() -> str | None:
    token = st.context.cookies.get(login_sessions.COOKIE)
    return token if isinstance(token, str) else None  # AppTest, with no browser, answers with a stand-in object


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

    login_sessions.close(get_db(), st.session_state.pop(TOKEN_KEY, None))  # the cookie opens nothing now
    st.session_state.pop(SESSION_KEY, None)
    st.session_state.pop("annotator", None)  # the name saves record (ui/annotator.py)
    st.session_state[COOKIE_KEY] = ""


def write_cookie() -> None:
    """Set (or clear) the login cookie the last login (or logout) asked for, once."""
    token = st.session_state.pop(COOKIE_KEY, None)
    if token is None:
        return
    age = login_sessions.IDLE_S if token else 0  # a token is letters, digits, - and _ (token_urlsafe)
    st.html(f"""<script>document.cookie = "{login_sessions.COOKIE}={token}; path=/; max-age={age}; SameSite=Strict"
            + (location.protocol === "https:" ? "; Secure" : "");</script>""", unsafe_allow_javascript=True)


def login_page() -> None:
    """The only page a visitor gets (app.py): the login form, or why there is none."""
    from ui.shared import get_db

    st.title("NER Studio")
    write_cookie()
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
            st.session_state[COOKIE_KEY] = token
            st.rerun()


def sidebar(user: dict) -> None:
    """Who is logged in, with a way out; in local mode, say that there are no accounts."""
    if user["local"]:
        st.caption("Local mode: no accounts, so you (on this machine) are an admin. To serve a team, add "
                   "accounts with `python -m storage.accounts add NAME --role admin`.")
        return
    write_cookie()
    st.caption(f"Logged in as **{md(user['name'])}** ({user['role']})")
    st.button("Log out", key="login_logout", on_click=logout, type="tertiary")

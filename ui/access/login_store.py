"""Where the browser keeps a login across reloads: localStorage, written and read by a small
Streamlit v2 component (no iframe: it runs in the app's own page, so the storage is this server's).

Why not a cookie. Browsers do not separate cookies by port: every program serving pages on
127.0.0.1 (or on the server's name) is sent our cookies with each request, and its pages' scripts
read any cookie that is not HttpOnly. A page script cannot set HttpOnly and Streamlit sets no
cookie of ours from the server; SameSite does not help either (other ports are the same site).
So a page of another program read the token, and a fresh browser holding it was logged in
(issue 22). localStorage is kept per origin, port included, and no request carries it: only pages
of this server can read it, and this component hands it to a new session over the app's own
websocket.
What remains: a script running in this origin (a flaw in the studio's own pages, a browser
extension) can read it, as it could act in the page anyway; so can whoever reads the browser's
profile on disk. The database keeps only the token's SHA-256 (storage/login_sessions.py).
"""
from __future__ import annotations

import secrets

import streamlit as st

KEY = "login_store"  # the component's key
ASK_KEY = "_login_store_ask"  # this session's request for the stored token, answered once per session
STORAGE_ITEM = "ner_studio_login"
OLD_COOKIE = "ner_studio_session"  # where versions before issue 22 kept the token: cleared on sight

_JS = """
const ITEM = "%(item)s", OLD_COOKIE = "%(old)s";
const SEEN = (window.__nerLoginStore = window.__nerLoginStore || { asked: null });

export default function ({ data, setTriggerValue }) {
  try {
    if (typeof data?.write === "string") {
      if (data.write) localStorage.setItem(ITEM, data.write);
      else localStorage.removeItem(ITEM);
    }
    if (document.cookie.split("; ").some((c) => c.startsWith(OLD_COOKIE + "="))) {
      document.cookie = OLD_COOKIE + "=; path=/; max-age=0";  // readable from any port: issue 22
    }
    // Once per server session: a new tab, a reload, or the server restarted under an open page.
    if (data?.ask && SEEN.asked !== data.ask) {
      SEEN.asked = data.ask;
      const token = localStorage.getItem(ITEM);
      if (token) setTriggerValue("token", token);
    }
  } catch (error) {
    // No storage (some private windows refuse it): the login lasts as long as the tab's connection.
  }
}
""" % {"item": STORAGE_ITEM, "old": OLD_COOKIE}

_mount = st.components.v2.component("ner_studio_login_store", js=_JS)


def mount(write: str | None = None, ask: bool = False) -> str | None:
    """Draw the (invisible) store. write: a token to keep, or "" to forget it; ask: have the browser
    send the token it keeps, once in this session. Returns the token the browser sent for this run."""
    data = {}
    if write is not None:
        data["write"] = write
    if ask:
        data["ask"] = st.session_state.setdefault(ASK_KEY, secrets.token_hex(8))
    result = _mount(key=KEY, data=data, on_token_change=lambda: None, height=0)
    token = getattr(result, "token", None)
    return token if isinstance(token, str) and token else None

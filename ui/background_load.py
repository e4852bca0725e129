"""The active model starts loading in a background thread on the first page run after the server
starts (app.py calls start()), so no page waits for it to draw: a real model takes 15-20 s to load
on two CPU cores. Whoever needs the Tagger calls shared.load_tagger, which waits for that same load
(st.cache_resource computes a value once, other callers wait for it) under a spinner of its own."""
from __future__ import annotations

import threading

import streamlit as st

from ui import shared


def _load(model_folder: str) -> None:
    try:
        shared.load_tagger(model_folder)
    except Exception:  # a damaged or missing model: the page that needs it says so (shared.active_tagger)
        pass


@st.cache_resource(show_spinner=False)
def _loading(model_folder: str) -> threading.Thread:
    thread = threading.Thread(target=_load, args=(model_folder,), daemon=True, name="ner-studio-model-load")
    thread.start()
    return thread


def import_loader_modules() -> None:
    """Import (and so compile) every module of ours that loading a model imports, before the thread:
    CPython 3.11's compiler is not thread-safe, and a fresh checkout compiling them in the thread while
    Streamlit parses the page raised "AST constructor recursion depth mismatch" on the page (seen in
    the tests, twice). tests/test_background_load.py checks that the load then imports none."""
    import core.model.lac  # noqa: F401 (LAC's encoder: the fast model, a stacked model)
    import core.tagging.lite  # noqa: F401
    import core.tagging.predict  # noqa: F401


def start(db) -> None:
    """Begin loading the active version's model unless that has begun already; never raises."""
    import_loader_modules()
    try:
        _loading(shared.model_folder(shared.active_version(db)))
    except Exception:  # no model version: the sidebar says so
        pass

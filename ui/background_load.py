"""The active model starts loading in a background thread on the first page run after the server
starts (app.py calls start()), so no page waits for it to draw: a real model takes 15-20 s to load
on two CPU cores. Whoever needs the Tagger calls shared.load_tagger, which waits for that same load
(st.cache_resource computes a value once, other callers wait for it) under a spinner of its own."""
from __future__ import annotations

import json
import threading
from pathlib import Path

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


def import_loader_modules(model_folder=None) -> None:
    """Import what loading the model imports, before the thread, so that the thread parses no source.

    CPython 3.11 counts the AST builder's recursion depth in one interpreter-wide counter (gh-106905):
    a parse in the load thread beside Streamlit's parse of a page failed the page with "AST constructor
    recursion depth mismatch" (fresh-clone CI, four times). Our modules compile on import; a transformer
    encoder's first use imports about 1,600 modules, torch._dynamo among them, which parses builtins'
    signatures. tests/test_background_load.py checks that the load then calls ast.parse nowhere.
    """
    import core.model.lac  # noqa: F401 (LAC's encoder: the fast model, a stacked model)
    import core.tagging.lite  # noqa: F401
    import core.tagging.predict  # noqa: F401
    import safetensors.numpy  # noqa: F401 (the NumPy tagger's lazy imports)
    import threadpoolctl  # noqa: F401

    if model_folder is not None and _has_transformer(Path(model_folder)):
        # About 3 s on two cores, once per process. Importing the encoder's modeling module here as
        # well left a C++ thread that aborted this process and the ones it spawns at exit
        # ("terminate called without an active exception"), so the load thread still imports that
        # one: a module import compiles code but builds no AST objects.
        import torch._dynamo  # noqa: F401
        import transformers  # noqa: F401


def _has_transformer(folder: Path) -> bool:
    """Whether the model folder holds a transformer encoder (LAC-only models do not)."""
    try:
        return "encoder" in json.loads((folder / "config.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):  # no model: the load itself will say what is wrong
        return False


def start(db) -> None:
    """Begin loading the active version's model unless that has begun already; never raises."""
    try:
        folder = shared.model_folder(shared.active_version(db))
        import_loader_modules(folder)
        _loading(folder)
    except Exception:  # no model version: the sidebar says so
        pass

"""Cached resources the pages share: the database, the active model's tagger, the annotator.

Paths come from the environment so that tests can point the app at a tiny model and a
temporary database: NER_STUDIO_DB (SQLite file) and NER_STUDIO_MODEL (model folder used when
no version is active in the database).
"""
from __future__ import annotations

import os
from pathlib import Path

import streamlit as st

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = ROOT / "models" / "default"


def db_path() -> Path:
    return Path(os.environ.get("NER_STUDIO_DB", ROOT / "data" / "studio.db"))


def fallback_model_path() -> Path:
    return Path(os.environ.get("NER_STUDIO_MODEL", DEFAULT_MODEL))


@st.cache_resource(show_spinner="Loading the model…")
def load_tagger(model_path: str):
    """One Tagger per model folder for the whole server (plain str argument: cache key)."""
    from core.predict import Tagger

    return Tagger.from_folder(model_path)

"""Cached resources the pages share: the database, the active model's tagger, the annotator,
and the sidebar that app.py draws on every page.

Paths come from the environment so that tests can point the app at a tiny model and a
temporary database: NER_STUDIO_DB (SQLite file) and NER_STUDIO_MODEL (model folder used when
no version is active in the database).
"""
from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

import streamlit as st

from ui.formats import score_summary

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_MODEL = ROOT / "models" / "default"
ACTIVE_JOB_STATES = {"queued", "starting", "running"}


def db_path() -> Path:
    return Path(os.environ.get("NER_STUDIO_DB", ROOT / "data" / "studio.db"))


def fallback_model_path() -> Path:
    return Path(os.environ.get("NER_STUDIO_MODEL", DEFAULT_MODEL))


@st.cache_resource(show_spinner="Loading the model…")
def load_tagger(model_path: str):
    """One Tagger per model folder for the whole server (plain str argument: cache key)."""
    from core.predict import Tagger

    return Tagger.from_folder(model_path)


@st.cache_resource
def _connect(path: str):
    from storage.db import connect

    Path(path).parent.mkdir(parents=True, exist_ok=True)
    return connect(path)


def get_db():
    """The app's one SQLite database (NER_STUDIO_DB), opened once per server."""
    return _connect(str(db_path()))


def model_folder(version: dict) -> str:
    path = Path(version["path"])
    return str(path if path.is_absolute() else ROOT / path)


def active_version(db) -> dict:
    """The version marked active; on a fresh database the bundled model becomes that version."""
    from storage import versions

    version = versions.active_version(db)
    if version is None:
        versions.ensure_default_version(db, str(fallback_model_path()))
        version = versions.active_version(db)
    return version


def active_tagger(db):
    """(version dict, Tagger) of the active model version."""
    version = active_version(db)
    return version, load_tagger(model_folder(version))


def version_scores(version: dict) -> str | None:
    scores = version.get("scores_json")
    if isinstance(scores, str):
        try:
            scores = json.loads(scores)
        except json.JSONDecodeError:
            return None
    return score_summary(scores)


def annotator(prefix: str) -> str:
    """The annotator's name, asked once per browser session; stops the page until it is given."""
    name = st.session_state.get("annotator")
    if name:
        return name
    with st.form(f"{prefix}_annotator_form"):
        st.markdown("**Who is correcting?** Your name is stored with every correction you save.")
        typed = st.text_input("Your name", key=f"{prefix}_annotator_name")
        if st.form_submit_button("Start"):
            if typed.strip():
                st.session_state["annotator"] = typed.strip()
                st.rerun()
            st.warning("Type a name first.")
    st.stop()


def exported(write, db, *names) -> list[bytes]:
    """Bytes of the files write(db, *paths) produces: storage's exporters write paths, downloads want bytes."""
    with tempfile.TemporaryDirectory(prefix="ner-studio-") as folder:
        paths = [Path(folder) / name for name in names]
        write(db, *paths)
        return [path.read_bytes() if path.exists() else b"" for path in paths]


def _job_line(job: dict) -> str:
    state = job.get("state") or job.get("status") or "?"
    name = job.get("name") or f"job {job.get('id', '?')}"
    return f"**{name}** · {state}"


def _job_fraction(job: dict) -> float | None:
    progress = job.get("progress")
    if not isinstance(progress, (int, float)):
        return None
    return max(0.0, min(1.0, progress / 100 if progress > 1 else progress))


def draw_sidebar() -> None:
    """Model in use and running jobs; drawn by app.py before the page runs."""
    from storage import jobs

    db = get_db()
    with st.sidebar:
        try:
            version = active_version(db)
        except Exception as error:  # a broken store must not hide every page
            st.error(f"No model version: {error}")
            version = None
        if version:
            st.markdown(f"**Model in use:** `{version.get('name', '?')}`")
            scores = version_scores(version)
            st.caption(scores or "scores not measured yet")
        try:
            jobs.refresh_jobs(db)
            running = [j for j in jobs.list_jobs(db)
                       if (j.get("state") or j.get("status")) in ACTIVE_JOB_STATES]
        except Exception as error:
            st.caption(f"jobs unavailable: {error}")
            running = []
        for job in running:
            st.markdown(_job_line(job))
            fraction = _job_fraction(job)
            if fraction is not None:
                st.progress(fraction, text=f"{100 * fraction:.0f}%")
        if not running:
            st.caption("No training job running.")


# ---- added for the Train, Model and Data screens -------------------------------------------
def data_root() -> Path:
    """Folder holding corpora/ and encoders/ (NER_STUDIO_DATA; tests point it at a tiny copy)."""
    return Path(os.environ.get("NER_STUDIO_DATA", ROOT / "data"))


def experiments_root() -> Path:
    """Where `python -m core experiment <study>` writes <study>/results.json."""
    return Path(os.environ.get("NER_STUDIO_EXPERIMENTS", ROOT / "results" / "experiments"))

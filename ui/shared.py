"""Cached resources the pages share: the database, the active model's tagger, the annotator,
and the sidebar that app.py draws on every page.

Paths come from the environment (core/paths.py reads it) so that tests can point the app at a tiny
model and a temporary database: NER_STUDIO_DB (SQLite file), NER_STUDIO_MODEL (model folder used when
no version is active in the database) and NER_STUDIO_DATA (the data folder with the prepared corpora).
"""
from __future__ import annotations

import tempfile
from pathlib import Path

import streamlit as st

from storage.entity_types import own_types
from ui.draw import highlight
from ui.formats import score_summary
from ui.draw.plain import md
from ui.train.versions import duration, job_progress, version_scores

from core.paths import ROOT, data_dir, db_path, fallback_model_path  # noqa: F401 (the pages import them from here)

# The shell runs on every page view and sidebar poll of every visitor: the scans it makes there (the
# job processes under /proc, the models/ folder) run at most once in this many seconds per database,
# for the whole server. A vanished job is marked failed, a new folder offered, that much later.
SCAN_TTL_S = 3


@st.cache_resource(show_spinner="Loading the model…")
def load_tagger(model_path: str):
    """One tagger per model folder for the whole server (plain str argument: cache key): NumPy's
    for a LAC-encoder model such as models/fast, faster than torch's on it (core/tagging/lite.py)."""
    from core.tagging.lite import fastest_tagger

    return fastest_tagger(model_path)


def get_db():
    """This browser session's own connection to the studio database (NER_STUDIO_DB).

    One per session, never one per server: sqlite3 keeps one transaction per connection, so a
    connection shared by sessions' threads mixes their savepoints (saves failed, or half-committed).
    Streamlit runs one script run at a time per session, so this connection is never used by
    two threads at once.
    """
    from storage.db import connect

    path = str(db_path())
    held = st.session_state.get("_studio_db")
    if held is None or held[0] != path:  # a test may point the same session at another file
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        held = st.session_state["_studio_db"] = (path, connect(path))
    return held[1]


def model_folder(version: dict) -> str:
    path = Path(version["path"])
    return str(path if path.is_absolute() else ROOT / path)


def active_version(db) -> dict:
    """The version marked active; on a fresh database the bundled model becomes that version."""
    from storage import versions

    return versions.active_version(db) or versions.ensure_default_version(db, str(fallback_model_path()))


def offer_model_folders(db) -> None:
    """Register the model folders built beside the bundled one under models/ (the fast variant) as
    versions; a read, no write lock, when there is nothing new (app.py calls it on every page run,
    and it scans at most every SCAN_TTL_S seconds)."""
    _register_model_folders(str(db_path()), str(fallback_model_path().parent), db)


@st.cache_data(ttl=SCAN_TTL_S, show_spinner=False)
def _register_model_folders(db_file: str, models_root: str, _db) -> list[int]:
    """Keyed by the database's file and the folder (_db, this session's connection to it, is not hashed)."""
    from storage import versions

    return versions.register_model_folders(_db, models_root)


@st.cache_data(ttl=SCAN_TTL_S, show_spinner=False)
def reap_vanished_jobs(db_file: str, _db) -> list[int]:
    """launcher.refresh_jobs (running jobs whose process is gone become failed), at most every
    SCAN_TTL_S seconds per database file (_db, a connection to it, is not hashed); the ids it failed."""
    from launcher import refresh_jobs

    return refresh_jobs(_db)


def active_tagger(db):
    """(version dict, Tagger) of the active model version.

    A version whose folder fails its checksums (or cannot be read) is not used: the page says so,
    without the server's paths, and tags with the default model, so every visitor keeps working."""
    from core.model.integrity import DamagedModel

    version = active_version(db)
    try:
        return version, load_tagger(model_folder(version))
    except (DamagedModel, OSError, ValueError, KeyError, TypeError, RuntimeError) as error:
        reason = error.reason if isinstance(error, DamagedModel) else f"it cannot be read ({type(error).__name__})"
    fallback = _fallback_version(db)
    if model_folder(fallback) != model_folder(version):
        try:
            tagger = load_tagger(model_folder(fallback))
        except (DamagedModel, OSError, ValueError, KeyError, TypeError, RuntimeError):
            tagger = None
        if tagger is not None:
            st.warning(f"The active model {md(version['name'])} cannot be used: {md(reason)}. Tagging with "
                       f"{md(fallback['name'])} until an admin promotes another version on the Train page.")
            return fallback, tagger
    st.error(f"The model {md(version['name'])} cannot be used: {md(reason)}. Restore its folder, or ask an "
             "admin to promote another version on the Train page.")
    st.stop()


def _fallback_version(db) -> dict:
    from storage.versions import DEFAULT_NAME, find_version

    return find_version(db, DEFAULT_NAME) or {"name": DEFAULT_NAME, "path": str(fallback_model_path())}


def tagging_version(db) -> dict:
    """The version active_tagger tags with, known without loading it: the active one, or the
    default while the active one's folder is damaged (active_tagger says so)."""
    version = active_version(db)
    return version if model_problem(version) is None else _fallback_version(db)


@st.cache_data(show_spinner=False, max_entries=16)
def _folder_problem(folder: str, stamp: float) -> str | None:
    """Why a model folder cannot be used (checksums, missing files), None if it can; cached until
    the folder changes, so the sidebar can say it on every page without reading the weights each run."""
    from core.model.integrity import DamagedModel, verify

    try:
        verify(folder)
    except DamagedModel as error:
        return error.reason
    except (OSError, ValueError) as error:
        return f"it cannot be read ({type(error).__name__})"
    return None


def model_problem(version: dict) -> str | None:
    from core.scores.evaluation import folder_stamp

    folder = model_folder(version)
    try:
        stamp = folder_stamp(folder)
    except OSError:
        return "its folder is missing"
    return _folder_problem(folder, stamp)


def scores_caption(version: dict) -> str | None:
    """A version's headline scores as one line for the sidebar (None before they are measured)."""
    return score_summary(version_scores(version))


def exported(write, db, *names) -> list[bytes]:
    """Bytes of the files write(db, *paths) produces: storage's exporters write paths, downloads want bytes."""
    with tempfile.TemporaryDirectory(prefix="ner-studio-") as folder:
        paths = [Path(folder) / name for name in names]
        write(db, *paths)
        return [path.read_bytes() if path.exists() else b"" for path in paths]


def _job_line(job: dict) -> str:
    name = (job.get("params") or {}).get("name") or f"job {job.get('id', '?')}"
    return f"**Training {md(name)}** · {job.get('state', '?')}"


def _running_jobs(db) -> list[dict]:
    from storage import jobs

    reap_vanished_jobs(str(db_path()), db)  # a job whose process vanished is marked failed here
    return [job for job in jobs.list_jobs(db) if job.get("state") in jobs.ACTIVE_STATES]


def _show_jobs() -> None:
    from ui.access import login

    db = get_db()
    running = _running_jobs(db)
    if not running:
        st.rerun(scope="app")  # the job just ended: redraw everything (a new version may exist)
    # Read again on each poll: this fragment reruns without app.py, so a changed role or an ended
    # login counts here too; the launcher checks the role again when Cancel is clicked.
    may_cancel = login.is_admin(db)
    for job in running:
        st.markdown(_job_line(job))
        progress = job_progress(job)
        if progress["phase"] is None:
            st.caption("starting…")
        else:
            st.progress(progress["fraction"], text=f"{progress['phase_text']} · {100 * progress['fraction']:.0f}% · "
                                                   f"ETA {duration(progress['eta_s'])}")
        if may_cancel and st.button("Cancel", key=f"sidebar_cancel_{job['id']}", type="tertiary",
                                    icon=":material/cancel:"):
            from launcher import Refused, cancel_job

            try:
                cancel_job(db, job["id"], user=login.job_owner(db))
            except Refused as refused:
                st.error(f"Not cancelled: {md(refused)}.")
                continue
            st.rerun(scope="app")


def draw_sidebar() -> None:
    """Model in use and running training jobs; app.py draws it before the page runs."""
    db = get_db()
    highlight.use_own_types(own_types(db))  # the user's own types in their colours, on every page
    with st.sidebar:
        try:
            version = active_version(db)
            offer_model_folders(db)
        except ValueError as error:  # no model folder: say so on every page instead of failing
            st.error(f"No model to tag with: {error}")
            version = None
        problem = model_problem(version) if version else None
        if problem:  # every visitor learns it at once; tagging falls back to the default model
            st.warning(f"The active model {md(version['name'])} cannot be used: {md(problem)}. Pages tag with "
                       "the default model until an admin promotes another version on the Train page.")
        if version:
            st.markdown(f"**Model in use:** {md(version['name'])}")  # a folder's name: text, not Markdown
            st.caption(scores_caption(version) or "scores not measured yet")
        try:
            running = _running_jobs(db)
        except Exception as error:  # job bookkeeping must never take the pages down with it
            st.caption(f"Training jobs unavailable: {error}")
            return
        if running:
            st.fragment(run_every=3)(_show_jobs)()  # live progress while a job runs
        else:
            st.caption("No training job running.")

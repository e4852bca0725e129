"""Where the studio's files are: the repository root, the data folder, the bundled model, and the
NER_STUDIO_* environment variables that move them (tests and deployments point the app elsewhere).
The one module that reads those variables; command-line defaults stay relative to the working
folder (DATA_FOLDER), as their saved command lines recorded them."""
from __future__ import annotations

import os
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DATA_FOLDER = "data"  # under the repository (or the working folder, for the command line's defaults)
DEFAULT_MODEL = ROOT / "models" / "default"
DEFAULT_MAX_JOBS = 2  # two trainings already share a GPU or 2 CPU cores
ROOTS_VARIABLE = "NER_STUDIO_ROOTS"  # named to admins by the refusal of a folder outside them


def _setting(name: str) -> str | None:
    """NER_STUDIO_<name>, None when unset or blank."""
    value = os.environ.get(f"NER_STUDIO_{name}", "")
    return value if value.strip() else None


def data_dir() -> Path:
    """The data folder (corpora/ inside it, as scripts/setup.sh prepares it): NER_STUDIO_DATA or data/."""
    return Path(_setting("DATA") or ROOT / DATA_FOLDER)


def db_path() -> Path:
    """The studio database: NER_STUDIO_DB or data/studio.db."""
    return Path(_setting("DB") or ROOT / DATA_FOLDER / "studio.db")


def fallback_model_path() -> Path:
    """The model used when no version is active in the database: NER_STUDIO_MODEL or models/default."""
    return Path(_setting("MODEL") or DEFAULT_MODEL)


def experiments_dir() -> Path:
    """Where `python -m core experiment <study>` writes: NER_STUDIO_EXPERIMENTS or results/experiments."""
    return Path(_setting("EXPERIMENTS") or ROOT / "results" / "experiments")


def max_running_jobs() -> int:
    """The server's cap on training jobs at once: NER_STUDIO_MAX_JOBS or DEFAULT_MAX_JOBS."""
    return int(_setting("MAX_JOBS") or DEFAULT_MAX_JOBS)


def readable_roots() -> list[Path] | None:
    """NER_STUDIO_ROOTS (folders separated by os.pathsep), None when unset (ui/roots.py's defaults)."""
    raw = _setting(ROOTS_VARIABLE.removeprefix("NER_STUDIO_"))
    return [Path(part) for part in raw.split(os.pathsep) if part.strip()] if raw else None

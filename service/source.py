"""Which model the service tags with: a fixed folder (--model), or the studio's active version
(--studio), watched so that a promotion is served without a restart.

The watcher loads the new version in its own thread while the old one keeps answering, then swaps
them in one assignment: no request waits for a load, and none is tagged by half of each.
"""
from __future__ import annotations

import logging
import threading
from dataclasses import dataclass
from pathlib import Path

from core import paths
from core.model.model import SCORES_FILE, is_model_folder, read_json

log = logging.getLogger("service")
WATCH_EVERY_S = 2.0  # how soon a promotion is served; the check is one indexed read


@dataclass(frozen=True)
class Served:
    tagger: object  # core.tagging.predict.Tagger, or lite.LiteTagger for the fast model
    name: str  # the version's name (the folder's name for --model)
    folder: Path
    version_id: int | None = None


def load(folder, name: str, version_id=None, device: str = "cpu") -> Served:
    """The folder's tagger: on the CPU, the NumPy one for a LAC-encoder model (the fast model),
    which tags it faster than torch does (core/tagging/lite.py); torch's Tagger for the rest."""
    from core.tagging.lite import fastest_tagger

    folder = Path(folder)
    if not is_model_folder(folder):
        raise ValueError(f"{folder}: not a model folder (no config.json)")
    return Served(fastest_tagger(folder, device), name, folder, version_id)


def version_folder(version: dict) -> Path:
    path = Path(version["path"])
    return path if path.is_absolute() else paths.ROOT / path


class ModelSource:
    """current() is what the next batch is tagged with. With a studio, watch() follows its active
    version; a version that fails to load is logged and the one in use stays."""

    def __init__(self, folder=None, studio=None, device: str = "cpu", watch_every: float = WATCH_EVERY_S):
        self.studio, self.device, self.watch_every = studio, device, watch_every
        self.problem: str | None = None  # why the active version is not the one served, if it is not
        self._stop = threading.Event()
        self._thread = None
        if folder is not None:
            self._served = load(folder, Path(folder).name, device=device)
        else:
            self._served = self._load_active()

    def current(self) -> Served:
        return self._served

    def _load_active(self) -> Served:
        from storage.versions import active_version, ensure_default_version

        with self.studio.lock:
            version = active_version(self.studio.db) or ensure_default_version(self.studio.db, paths.DEFAULT_MODEL)
        return load(version_folder(version), version["name"], version["id"], self.device)

    def start(self) -> None:
        if self.studio is not None and self._served.version_id is not None and self._thread is None:
            self._thread = threading.Thread(target=self._watch, name="model-watcher", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        self._stop.set()

    def check(self) -> bool:
        """Load and serve the studio's active version if it changed; whether it did."""
        from storage.versions import active_version

        with self.studio.lock:
            version = active_version(self.studio.db)
        if version is None or version["id"] == self._served.version_id:
            return False
        try:
            served = load(version_folder(version), version["name"], version["id"], self.device)
        except Exception as error:  # a damaged folder must not stop the service: keep the old model
            self.problem = f"version {version['name']!r} could not be loaded ({type(error).__name__}: {error})"
            log.error("%s; still serving %s", self.problem, self._served.name)
            return False
        self._served, self.problem = served, None
        log.info("now serving version %s (%s)", served.name, served.folder)
        return True

    def _watch(self) -> None:
        while not self._stop.wait(self.watch_every):
            try:
                self.check()
            except Exception:  # a locked or damaged database: try again at the next tick
                log.exception("checking the studio's active version failed")


def model_info(served: Served) -> dict:
    """GET /v1/model: name, types, scores and the card's licence notes."""
    tagger = served.tagger
    return {"name": served.name, "version_id": served.version_id, "types": list(tagger.entity_types),
            "tags": list(tagger.tags), "scores": read_json(served.folder, SCORES_FILE),
            "licence": licence_notes(served.folder / "MODEL_CARD.md")}


def licence_notes(card: Path) -> str | None:
    """The card's bullet on licences (`- **Licences...`), else its lines that mention a licence or
    research use; None without a card."""
    if not card.is_file():
        return None
    lines = card.read_text(encoding="utf-8").splitlines()
    for i, line in enumerate(lines):
        if line.startswith("- **Licen"):
            end = next((j for j in range(i + 1, len(lines)) if not lines[j].startswith("  ")), len(lines))
            return " ".join(part.strip() for part in lines[i:end])
    found = [line.strip() for line in lines if "licen" in line.lower() or "research use" in line.lower()]
    return " ".join(found) or None

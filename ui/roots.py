"""Which server folders the app may read: paths typed into the app (the Train screen's corpus and
encoder folders) must lie under a configured root. Pure: no Streamlit.

NER_STUDIO_ROOTS (folders separated by os.pathsep; core/paths.py reads it) sets the roots; by default
they are the data folder (NER_STUDIO_DATA or data/) and the repository's models/.
"""
from __future__ import annotations

from pathlib import Path

from core import paths
from core.paths import ROOT


class OutsideRoots(ValueError):
    """A path outside every root. The message is the same whether the path exists or not: the app
    must not become a way to probe the server's file system."""


def configured_roots() -> list[Path]:
    roots = paths.readable_roots() or [paths.data_dir(), ROOT / "models"]
    return [Path(root).resolve() for root in roots]


def confine(typed: str, roots: list[Path] | None = None) -> Path:
    """The resolved path when it lies under a root; OutsideRoots otherwise.

    Resolved first (relative to the repository, symbolic links followed, '..' folded), so neither
    data/../../etc nor a link inside a root that points out of it gets through.
    """
    roots = configured_roots() if roots is None else roots
    path = Path(str(typed).strip())
    try:
        resolved = (path if path.is_absolute() else ROOT / path).resolve()
    except (OSError, RuntimeError):  # a link loop: refused like any other path
        resolved = None
    if str(typed).strip() and resolved is not None and any(resolved == root or resolved.is_relative_to(root) for root in roots):
        return resolved
    raise OutsideRoots(f"{str(typed).strip() or '(blank)'} is not under a folder this app may read "
                       f"({', '.join(_shown(root) for root in roots)}); ask an admin to add it to {paths.ROOTS_VARIABLE}")


def _shown(root: Path) -> str:
    return str(root.relative_to(ROOT)) + "/" if root.is_relative_to(ROOT) else str(root)

"""Where corpora live on disk: <data dir>/corpora/<name>/ for the bundled ones (or any folder),
each split a chars/TAG pair <split>.txt + <split>_TAG.txt (pair_paths). The one module that knows the layout.
"""
from __future__ import annotations

from pathlib import Path

DATA_DIR = Path("data")
# The bundled corpora, prepared by `python -m core prepare`, each with the entity types it does not
# annotate (MSRA has no time labels; the People's Daily data lost most organisations). The one place
# their names are written.
BUNDLED_UNANNOTATED = {"msra": frozenset({"T"}), "pd": frozenset({"ORG"})}
BUNDLED = tuple(BUNDLED_UNANNOTATED)
SPLITS = ("train", "dev", "test")


def corpora_root(data_dir=DATA_DIR) -> Path:
    return Path(data_dir) / "corpora"


def corpus_folder(name_or_dir: str, data_dir=DATA_DIR) -> Path:
    """A bundled corpus by name, or a folder of the user's."""
    return corpora_root(data_dir) / name_or_dir if name_or_dir in BUNDLED else Path(name_or_dir)


def pair_paths(folder, split: str) -> tuple[Path, Path]:
    """The chars and TAG files of a split inside a corpus folder."""
    return Path(folder) / f"{split}.txt", Path(folder) / f"{split}_TAG.txt"


def split_paths(name_or_dir: str, split: str, data_dir=DATA_DIR) -> tuple[Path, Path]:
    return pair_paths(corpus_folder(name_or_dir, data_dir), split)


def has_split(name_or_dir: str, split: str, data_dir=DATA_DIR) -> bool:
    return all(path.is_file() for path in split_paths(name_or_dir, split, data_dir))


def split_files(name_or_dir: str, split: str, data_dir=DATA_DIR) -> tuple[Path, Path]:
    """split_paths, or ValueError saying which files are missing and how to make them."""
    chars, tags = split_paths(name_or_dir, split, data_dir)
    if not chars.is_file() or not tags.is_file():
        hint = " (run the set-up: python -m core prepare)" if name_or_dir in BUNDLED else ""
        raise ValueError(f"corpus {name_or_dir!r} has no {split} split: {chars} / {tags} missing{hint}")
    return chars, tags


def prepared_corpora(data_dir=DATA_DIR) -> list[str]:
    """Folders under the corpora root with at least one split."""
    root = corpora_root(data_dir)
    if not root.is_dir():
        return []
    return sorted(folder.name for folder in root.iterdir()
                  if folder.is_dir() and any(has_split(str(folder), split) for split in SPLITS))

"""Writing files and folders so that a reader sees the old version or the new one, never half of either.

Everything is built beside its target (same file system, so the rename is atomic) under a name
that starts with a dot, which folder scans skip.
"""
from __future__ import annotations

import json
import os
import shutil
import stat
import tempfile
from pathlib import Path
from typing import Callable


def write_file(path, write: Callable[[Path], None]) -> Path:
    """Call write(tmp_path), then rename tmp_path onto path; nothing is left behind on failure."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    os.close(handle)
    try:
        write(Path(tmp))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


def write_output(path, write: Callable[[Path], None]) -> Path:
    """write_file for a path a user names (`tag -o`), which may be a link or a special file.

    A rename would put a regular file in the place of a symlink, a FIFO or a device (as root,
    `-o /dev/null` would replace the system's /dev/null), so: a character device or a FIFO is
    written straight through, as a shell's > writes it; a symlink's target is written atomically
    and the link stays. Returns the path written.
    """
    path = Path(path)
    if is_stream(path):
        write(path)
        return path
    return write_file(os.path.realpath(path) if path.is_symlink() else path, write)


def is_stream(path) -> bool:
    """A character device or a FIFO (through any symlinks): written as it comes, never replaced."""
    try:
        mode = os.stat(path).st_mode
    except OSError:  # absent, or a dangling link: a regular file will be made
        return False
    return stat.S_ISCHR(mode) or stat.S_ISFIFO(mode)


def write_text(path, text: str) -> Path:
    return write_file(path, lambda tmp: tmp.write_text(text, encoding="utf-8"))


def write_json(path, content) -> Path:
    return write_text(path, json.dumps(content, ensure_ascii=False, indent=1))


def write_folder(folder, build: Callable[[Path], None]) -> Path:
    """Call build(tmp_folder), then swap tmp_folder in for folder (an old one is removed after).

    Between the two renames the folder is briefly absent, never partial.
    """
    folder = Path(folder)
    folder.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{folder.name}.", dir=folder.parent))
    try:
        build(tmp)
        if folder.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{folder.name}.old.", dir=folder.parent))
            os.rename(folder, old / "previous")
            os.rename(tmp, folder)
            shutil.rmtree(old, ignore_errors=True)
        else:
            os.rename(tmp, folder)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return folder

"""A model folder's seal: checksums.json, written last, holds the SHA-256 of every file loading
reads and whether the run that wrote it had finished. Loading verifies the checksums, so damaged
weights fail loudly instead of tagging everything O; only a complete folder becomes a version.

    python -m core.model.integrity seal FOLDER     # seal a folder written before seals existed
    python -m core.model.integrity check FOLDER    # exit 1 and say what is wrong
"""
from __future__ import annotations

import hashlib
import json
import sys
from pathlib import Path

SEAL_FILE = "checksums.json"
_CHUNK = 1 << 20


class DamagedModel(ValueError):
    """A model folder that must not be loaded. reason says what is wrong without the server's
    paths (the app shows it to every visitor); str() adds the folder, for logs and the CLI."""

    def __init__(self, folder, reason: str):
        self.folder, self.reason = Path(folder), reason
        super().__init__(f"{folder}: {reason}")


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def seal(folder, names, complete: bool = True) -> Path:
    """Write SEAL_FILE with the checksums of the named files; call it after every other write."""
    folder = Path(folder)
    record = {"complete": bool(complete), "sha256": {name: sha256(folder / name) for name in sorted(names)}}
    path = folder / SEAL_FILE
    path.write_text(json.dumps(record, indent=1), encoding="utf-8")
    return path


def read_seal(folder) -> dict:
    """The folder's seal; DamagedModel when it is missing or not the JSON seal writes."""
    path = Path(folder) / SEAL_FILE
    if not path.is_file():
        raise DamagedModel(folder, f"{SEAL_FILE} is missing (an unfinished or damaged model folder)")
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise DamagedModel(folder, f"{SEAL_FILE} is not valid JSON ({error})") from None
    sums = record.get("sha256") if isinstance(record, dict) else None
    if not isinstance(sums, dict) or not sums or not all(isinstance(v, str) for v in sums.values()):
        raise DamagedModel(folder, f"{SEAL_FILE} lists no checksums")
    return record


def verify(folder) -> dict:
    """Check every sealed file against its checksum; returns the seal, or raises DamagedModel
    naming the first file that is missing or changed."""
    folder = Path(folder)
    record = read_seal(folder)
    for name, expected in record["sha256"].items():
        path = folder / name
        if Path(name).name != name:  # a seal naming ../ files is not one we wrote
            raise DamagedModel(folder, f"{SEAL_FILE} names a file outside the folder: {name!r}")
        if not path.is_file():
            raise DamagedModel(folder, f"{name} is missing")
        if sha256(path) != expected:
            raise DamagedModel(folder, f"{name} does not match its checksum (damaged or changed since it was saved)")
    return record


def is_complete(folder) -> bool:
    """Whether the folder's seal says the run that wrote it finished (checksums not verified: cheap)."""
    try:
        return read_seal(folder).get("complete") is True
    except DamagedModel:
        return False


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if len(argv) != 2 or argv[0] not in ("seal", "check"):
        print(__doc__, file=sys.stderr)
        return 2
    command, folder = argv[0], Path(argv[1])
    if command == "seal":
        from core.model.model import CURVES_FILE, SCORES_FILE, TRAINING_FILE  # here: core.model.model imports this module

        # What loading reads; curves, scores and the run's record are results, not the model.
        names = [p.name for p in folder.iterdir() if p.is_file() and p.suffix in (".json", ".safetensors")
                 and p.name not in (SEAL_FILE, CURVES_FILE, SCORES_FILE, TRAINING_FILE)]
        print(seal(folder, names))
        return 0
    try:
        verify(folder)
    except DamagedModel as error:
        print(f"damaged: {error}", file=sys.stderr)
        return 1
    print(f"{folder}: every checksum matches; complete: {is_complete(folder)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())

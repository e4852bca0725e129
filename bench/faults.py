"""Kill the studio's processes at random points (SIGKILL: no clean-up runs) and print what survived.

    .venv/bin/python bench/faults.py [--writers 8] [--jobs 3] [--seed 1]

On a fresh studio database in a temporary folder, with a tiny randomly initialised encoder and a
small corpus (so a training job takes seconds): writer processes save corrections through storage
and are killed mid-stream; training jobs started by the launcher are killed at random points; the
first killed job is then resumed. Checks: PRAGMA integrity_check; every correction a writer saw
committed is in the file; no killed job's folder became a version (only a sealed, complete folder
may); the resumed job finishes and registers a complete version. Exit 1 when a check fails.
"""
from __future__ import annotations

import argparse
import os
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from _common import ROOT  # noqa: I001

sys.path.insert(0, str(ROOT / "tests"))
from conftest import SENTENCES, make_tiny_bert  # noqa: E402

import launcher  # noqa: E402
from core.data.corpora import Sentence, write_pair  # noqa: E402
from core.model.integrity import is_complete  # noqa: E402
from core.labels import spans_to_tags  # noqa: E402
from storage import documents  # noqa: E402
from storage.db import connect  # noqa: E402
from storage.jobs import get_job  # noqa: E402
from storage.versions import find_version  # noqa: E402

# The writer: saves corrections until killed, printing each id only after save_correction returned
# (committed), so every printed id must be in the file afterwards.
WRITER = """
import sys
from storage import documents
from storage.db import connect
db = connect(sys.argv[1])
doc_id = int(sys.argv[2])
i = 0
while True:
    doc = documents.get_document(db, doc_id)
    print(documents.save_correction(db, doc_id, [[0, 1 + i % 2, "PER"]], "writer", base_revision=doc["revision"]),
          flush=True)
    i += 1
"""


def kill_writers(db_path: Path, rounds: int, rng: random.Random) -> tuple[int, int]:
    """(corrections seen committed, of them missing afterwards)."""
    db = connect(db_path)
    seen = set()
    for _ in range(rounds):
        doc_id = documents.add_document(db, SENTENCES[0][0], "faults")
        process = subprocess.Popen([sys.executable, "-c", WRITER, str(db_path), str(doc_id)], cwd=ROOT,
                                   stdout=subprocess.PIPE, text=True)
        time.sleep(rng.uniform(1.5, 4.0))  # start-up takes about a second: some die early, most mid-stream
        process.send_signal(signal.SIGKILL)
        seen |= {int(line) for line in process.communicate()[0].split()}
    stored = {row["id"] for row in db.query("SELECT id FROM corrections")}
    return len(seen), len(seen - stored)


def kill_jobs(db_path: Path, root: Path, encoder: Path, corpus: Path, count: int, rng: random.Random) -> list[dict]:
    db = connect(db_path)
    killed = []
    for n in range(count):
        name = f"killed{n}"
        params = {"data": [str(corpus)], "encoder": str(encoder), "layers": 1, "epochs": 3, "batch_size": 4,
                  "lr": 1e-3, "name": name}
        job_id = launcher.start_training(db_path, params, root=root)
        time.sleep(rng.uniform(3.0, 25.0))
        job = get_job(db, job_id)
        if job["state"] in ("queued", "running"):
            os.killpg(job["pid"], signal.SIGKILL)
        while get_job(db, job_id)["state"] in ("queued", "running"):
            launcher.refresh_jobs(db)
            time.sleep(0.2)
        job = get_job(db, job_id)
        folder = root / "data" / "models" / name
        killed.append({"job": job_id, "state": job["state"], "folder": folder.exists(),
                       "complete": folder.exists() and is_complete(folder),
                       "version": find_version(db, name) is not None,
                       "resume_point": folder.with_name(name + ".resume").exists()})
    return killed


def resume(db_path: Path, root: Path, job_id: int) -> dict:
    db = connect(db_path)
    new_id = launcher.resume_training(db_path, job_id, root=root)
    while get_job(db, new_id)["state"] in ("queued", "running"):
        launcher.refresh_jobs(db)
        time.sleep(0.5)
    job = get_job(db, new_id)
    version = find_version(db, job["params"]["name"])
    return {"job": new_id, "state": job["state"], "version": version is not None,
            "complete": version is not None and is_complete(version["path"])}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--writers", type=int, default=8, help="writer processes killed")
    parser.add_argument("--jobs", type=int, default=3, help="training jobs killed")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    with tempfile.TemporaryDirectory(prefix="ner-faults-") as tmp:
        root = Path(tmp)
        db_path = root / "studio.db"
        encoder = make_tiny_bert(root / "encoder", layers=1)
        corpus = root / "corpus"
        corpus.mkdir()
        sentences = [Sentence(list(text), spans_to_tags(spans, len(text))) for text, spans in SENTENCES] * 40
        for split in ("train", "dev", "test"):
            write_pair(sentences, corpus / f"{split}.txt", corpus / f"{split}_TAG.txt")

        seen, missing = kill_writers(db_path, args.writers, rng)
        print(f"writers killed: {args.writers}; corrections seen committed: {seen}; missing afterwards: {missing}")
        killed = kill_jobs(db_path, root, encoder, corpus, args.jobs, rng)
        for row in killed:
            print(f"job {row['job']}: {row['state']}; folder left: {row['folder']} (complete: {row['complete']}); "
                  f"resume point: {row['resume_point']}; registered as a version: {row['version']}")
        half = [row for row in killed if row["version"] and not row["complete"]]
        resumable = [row for row in killed if row["state"] == "failed"]
        resumed = resume(db_path, root, resumable[0]["job"]) if resumable else None
        if resumed:
            print(f"resumed job {resumable[0]['job']} as job {resumed['job']}: {resumed['state']}; "
                  f"version registered: {resumed['version']} (complete: {resumed['complete']})")
        integrity = connect(db_path).execute("PRAGMA integrity_check").fetchone()[0]
        print(f"PRAGMA integrity_check: {integrity}")
        ok = (integrity == "ok" and missing == 0 and seen > 0 and not half
              and (resumed is None or (resumed["state"] == "finished" and resumed["complete"])))
        print("PASS" if ok else "FAIL")
        return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

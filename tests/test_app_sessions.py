"""Several sessions at once on one studio file: writer processes saving corrections, one importing a
file in short transactions and one reading the queue, each with its own connection through storage's
own functions (as each browser session has its own). Every save lands exactly once, none fails.

Processes, not AppTest threads: AppTest swaps one global runtime, so two instances in threads
interfere with each other rather than with the database.
"""
import multiprocessing
import time

import pytest

from conftest import SENTENCES

pytestmark = pytest.mark.slow

WRITERS, SAVES = 4, 15


def writer(db_path: str, doc_id: int, name: str, results) -> None:
    from storage import documents
    from storage.db import connect

    db, failures = connect(db_path), []
    for i in range(SAVES):
        try:
            doc = documents.get_document(db, doc_id)
            spans = [[0, 1 + i % 2, "PER"]]
            documents.save_correction(db, doc_id, spans, name, base_revision=doc["revision"], note=f"save {i}")
        except Exception as error:  # noqa: BLE001 - any failed save counts
            failures.append(repr(error))
    results.put((name, failures))


def importer(db_path: str, chars: str, tags: str, results) -> None:
    from storage import files
    from storage.db import connect

    try:
        result = files.import_pair(connect(db_path), chars, tags, "import:big")
        results.put(("importer", [] if result["imported"] == 2000 and not result["refused"] else [repr(result)[:200]]))
    except Exception as error:  # noqa: BLE001
        results.put(("importer", [repr(error)]))


def reader(db_path: str, results) -> None:
    from storage import documents
    from storage.db import connect

    db, failures, deadline = connect(db_path), [], time.time() + 20
    while time.time() < deadline:
        try:
            documents.queue(db)
            documents.status_counts(db)
        except Exception as error:  # noqa: BLE001
            failures.append(repr(error))
        time.sleep(0.01)
    results.put(("reader", failures))


def test_concurrent_sessions_lose_no_save_and_fail_none(tmp_path):
    from core.data.corpora import Sentence, write_pair
    from core.labels import spans_to_tags
    from storage import documents
    from storage.db import connect

    db_path = str(tmp_path / "studio.db")
    db = connect(db_path)
    ids = [documents.add_document(db, text, "test") for text, _ in SENTENCES[:WRITERS]]
    big = [Sentence(list(text), spans_to_tags(spans, len(text))) for text, spans in SENTENCES] * 334
    write_pair(big[:2000], tmp_path / "big.txt", tmp_path / "big_TAG.txt")

    spawn = multiprocessing.get_context("spawn")  # fresh interpreters: no connection crosses a fork
    results = spawn.Queue()
    processes = [spawn.Process(target=writer, args=(db_path, doc_id, f"writer{i}", results))
                 for i, doc_id in enumerate(ids)]
    processes += [spawn.Process(target=importer, args=(db_path, str(tmp_path / "big.txt"),
                                                       str(tmp_path / "big_TAG.txt"), results)),
                  spawn.Process(target=reader, args=(db_path, results))]
    for process in processes:
        process.start()
    reports = dict(results.get(timeout=300) for _ in processes)
    for process in processes:
        process.join(timeout=60)

    assert {name: failures for name, failures in reports.items() if failures} == {}
    assert all(process.exitcode == 0 for process in processes)
    for i, doc_id in enumerate(ids):
        history = documents.history(db, doc_id)
        assert [h["note"] for h in history] == [f"save {n}" for n in range(SAVES)]  # none lost, none doubled
        assert {h["annotator"] for h in history} == {f"writer{i}"}
    assert documents.status_counts(db).get("imported") == 2000
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"

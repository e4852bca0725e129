"""A long import in short transactions: another writer keeps saving while it runs, never waiting
long, and nothing of either is lost; a finished job's registration outlasts a busy database."""
import threading
import time

from core.data.corpora import Sentence, write_pair
from core.labels import spans_to_tags
from storage import documents, files, jobs
from storage.db import connect, write_transaction
from storage.versions import list_versions

LINES = 20_000


def test_a_long_import_lets_another_writer_in_within_a_second(tmp_path):
    text = "张三在北京工作"
    sentence = Sentence(list(text), spans_to_tags([(0, 2, "PER"), (3, 5, "LOC")], len(text)))
    write_pair([sentence] * LINES, tmp_path / "big.txt", tmp_path / "big_TAG.txt")
    path = tmp_path / "studio.db"
    importer = connect(path)
    doc_id = documents.add_document(importer, text, "test")
    waits, done, errors = [], threading.Event(), []

    def saver():
        db = connect(path)
        base = None
        while not done.is_set():
            started = time.monotonic()
            try:
                base = documents.save_correction(db, doc_id, [], "ada", base_revision=base)
            except Exception as error:  # noqa: BLE001 - every failed save counts
                errors.append(repr(error))
            waits.append(time.monotonic() - started)
            time.sleep(0.02)

    thread = threading.Thread(target=saver)
    thread.start()
    started = time.monotonic()
    result = files.import_pair(importer, tmp_path / "big.txt", tmp_path / "big_TAG.txt", source="import:big")
    seconds = time.monotonic() - started
    done.set()
    thread.join()
    assert result["imported"] == LINES
    assert errors == []
    assert len(documents.history(importer, doc_id)) == len(waits)  # every save landed
    assert len(waits) > seconds / 1.5  # the saver kept getting turns during the import...
    assert max(waits) < 1.5, (max(waits), seconds)  # ...each within about a second


def test_a_finished_jobs_registration_waits_out_a_held_write_lock(tiny_model, tmp_path):
    path = tmp_path / "studio.db"
    db = connect(path)
    job_id = jobs.create_job(db, {"name": "v1"})
    sink = jobs.JobSink(path, job_id)
    sink.db.execute("PRAGMA busy_timeout = 100")  # give up on the lock fast, so retries are what wait
    holder = connect(path)
    release = threading.Event()

    def hold():
        with write_transaction(holder):  # a long write elsewhere (an import, a migration)
            release.wait(10)

    thread = threading.Thread(target=hold)
    thread.start()
    time.sleep(0.3)
    threading.Timer(1.5, release.set).start()
    sink({"event": "finished", "model": str(tiny_model), "scores": {}})  # would fail at once without retries
    thread.join()
    assert jobs.get_job(db, job_id)["state"] == "finished"
    assert [v["name"] for v in list_versions(db)] == [tiny_model.name]

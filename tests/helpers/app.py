"""Helpers the app's tests share (AppTest on app.py or a screen): opening the Correct screen as an
annotator, editing and saving there, the Train form and waiting for its job, logging in."""
import time

from streamlit.testing.v1 import AppTest

from conftest import ROOT
from ui.train.form import FOLDER_CHOICE

APP = str(ROOT / "app.py")
TRAIN_PAGE = str(ROOT / "screens" / "train.py")
SENTENCE = "我爱北京天安门"
NAME = "ada"
PASSWORD = "correct horse battery"


def open_correct(name: str = NAME) -> AppTest:
    """A browser tab on the Correct page, the annotator's name given."""
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    at.switch_page("screens/correct.py").run()
    assert not at.exception, at.exception
    at.text_input(key="correct_annotator_name").input(name)
    at.button[0].click().run()  # the form's Start button
    assert not at.exception, at.exception
    return at


def run(at: AppTest) -> AppTest:
    at.run()
    assert not at.exception, at.exception
    return at


def add_span(at: AppTest, doc_id: int, fragment: str, label: str) -> AppTest:
    at.text_input(key=f"correct_add_text_{doc_id}").input(fragment)
    at.selectbox(key=f"correct_add_type_{doc_id}").set_value(label)
    at.button(key=f"correct_add_{doc_id}").click()
    return run(at)


def save(at: AppTest, doc_id: int) -> AppTest:
    at.button(key=f"correct_save_{doc_id}").click()
    return run(at)


def fill_form(at, corpus, encoder, name, epochs=1):
    at.selectbox(key="train_corpus").set_value(FOLDER_CHOICE).run()
    at.text_input(key="train_corpus_folder").set_value(str(corpus))
    at.text_input(key="train_encoder").set_value(str(encoder)).run()
    at.text_input(key="train_name").set_value(name)
    at.number_input(key="train_layers").set_value(1)
    at.number_input(key="train_epochs").set_value(epochs)
    at.number_input(key="train_batch_size").set_value(6)
    at.number_input(key="train_lr").set_value(1e-3)
    return at


def wait_for_end(db_path, job_id, timeout=240):
    from storage.db import connect
    from launcher import refresh_jobs
    from storage.jobs import ACTIVE_STATES, get_job

    db = connect(db_path)
    deadline = time.time() + timeout
    while time.time() < deadline:
        refresh_jobs(db)
        job = get_job(db, job_id)
        if job["state"] not in ACTIVE_STATES:
            return job
        time.sleep(0.5)
    raise AssertionError(f"job {job_id} still {job['state']} after {timeout} s:\n{job['log_tail']}")


def browser_poll(at, key: str, shown):
    """The next poll as a browser makes it: the browser keeps the option it shows for a widget and
    sends it back, unless the server set a new value (set_value); AppTest alone reads the
    server's state, which hid that the panel fell back to the job picked before."""
    box = at.selectbox(key=key)
    return box.set_value(box.value if box.proto.set_value else shown).run()


def log_in(name, password=PASSWORD, query=None):
    at = AppTest.from_file(APP, default_timeout=60)
    for key, value in (query or {}).items():
        at.query_params[key] = value
    at.run()
    at.text_input(key="login_name").set_value(name)
    at.text_input(key="login_password").set_value(password)
    at.button[0].click().run()
    assert not at.exception, at.exception
    return at

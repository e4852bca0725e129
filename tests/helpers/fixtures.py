"""The fixtures several test modules share, registered for every module by conftest.py: a fresh
studio database (db, at db_path), the app on the tiny model with a database of its own (app_db), the
same for the Tag screen (tagging_studio), a data folder to train from with a default model claiming
perfect scores (studio), and that studio with two accounts (team)."""
import json
import shutil

import pytest

from conftest import write_corpus
from helpers.app import PASSWORD
from storage.db import connect


@pytest.fixture
def app_db(tmp_path, monkeypatch, tiny_model):
    """The app on the tiny model with a database of its own: the connection, to fill the queue."""
    monkeypatch.setenv("NER_STUDIO_DB", str(tmp_path / "studio.db"))
    monkeypatch.setenv("NER_STUDIO_MODEL", str(tiny_model))
    monkeypatch.setenv("NER_STUDIO_DATA", str(tmp_path / "data"))
    return connect(tmp_path / "studio.db")


@pytest.fixture
def tagging_studio(tmp_path, monkeypatch, tiny_model):
    """The app on the tiny model with an empty database, for the Tag screen: the folder of its studio.db."""
    monkeypatch.setenv("NER_STUDIO_DB", str(tmp_path / "studio.db"))
    monkeypatch.setenv("NER_STUDIO_MODEL", str(tiny_model))
    return tmp_path


def perfect_scores(corpus: str) -> dict:
    entities = {"micro": {"precision": 1.0, "recall": 1.0, "f1": 1.0, "support": 36}}
    # on the whole test split of write_corpus (SENTENCES three times), as a job scores it
    return {corpus: {"token_accuracy": 1.0, "entities": entities, "sentences": 18}}


@pytest.fixture
def studio(tiny_model, tiny_bert, tmp_path, monkeypatch):
    """A data folder with a tiny corpus and encoder, and a default model that claims perfect scores on it."""
    corpus = write_corpus(tmp_path / "data" / "corpora" / "tiny")
    encoder = shutil.copytree(tiny_bert, tmp_path / "data" / "encoders" / "tiny")  # under the roots (ui/roots.py)
    default = tmp_path / "default-model"
    shutil.copytree(tiny_model, default)
    (default / "scores.json").write_text(json.dumps(perfect_scores("tiny")), encoding="utf-8")
    monkeypatch.setenv("NER_STUDIO_DATA", str(tmp_path / "data"))
    monkeypatch.setenv("NER_STUDIO_DB", str(tmp_path / "studio.db"))
    monkeypatch.setenv("NER_STUDIO_MODEL", str(default))
    monkeypatch.delenv("NER_STUDIO_ROOTS", raising=False)  # the default roots: the data folder and models/
    return {"corpus": corpus, "db": tmp_path / "studio.db", "data": tmp_path / "data", "encoder": encoder}


@pytest.fixture
def team(studio):
    """The training studio with accounts: root (an admin) and ann (an annotator), both with PASSWORD."""
    from storage import accounts
    from storage.db import connect

    db = connect(studio["db"])
    accounts.add_account(db, "root", PASSWORD, "admin")
    accounts.add_account(db, "ann", PASSWORD, "annotator")
    return {**studio, "connection": db}


@pytest.fixture
def db_path(tmp_path):
    return tmp_path / "studio.db"


@pytest.fixture
def db(db_path):
    database = connect(db_path)
    yield database
    database.close()

"""`python -m storage.interchange import|export` on a real SQLite file: the Correct screen's rules
from the command line (suggestions unless --reviewed, a bad line named on stderr while the good
ones come in, who imported kept), plain text tagged by the active model, and exports read back."""
import json
import subprocess
import sys

import pytest

from conftest import ROOT
from core.data.interchange import read_doccano
from core.labels import ENTITY_TYPES
from storage import accounts, documents
from storage.db import connect
from storage.interchange_cli import main

TEXT = "😀今天　Tim Cook在北京访问了清华大学。🎉"
LABELS = [[4, 12, "PER"], [13, 15, "LOC"], [18, 22, "ORG"]]
PLAIN = ["我爱北京天安门", "张三在上海工作"]


@pytest.fixture
def files(tmp_path, monkeypatch, tiny_model):
    """A doccano file with a bad second line, plain text, and the studio file they go into."""
    monkeypatch.setenv("NER_STUDIO_MODEL", str(tiny_model))  # the active model of a fresh studio
    doccano = tmp_path / "team.jsonl"
    doccano.write_text(json.dumps({"text": TEXT, "label": LABELS, "annotator": "bo"}, ensure_ascii=False) + "\n"
                       + json.dumps({"text": "坏", "label": [[0, 1, "PROD"]]}, ensure_ascii=False) + "\n"
                       + json.dumps({"text": "王五去了广州", "label": [[0, 2, "PER"]]}, ensure_ascii=False) + "\n",
                       encoding="utf-8")
    plain = tmp_path / "news.txt"
    plain.write_text("\n".join(PLAIN) + "\n", encoding="utf-8")
    return {"doccano": doccano, "plain": plain, "db": tmp_path / "studio.db"}


def test_the_command_imports_the_good_lines_as_suggestions_and_names_the_bad_one(files):
    done = subprocess.run([sys.executable, "-m", "storage.interchange", "import", str(files["doccano"]),
                           "--db", str(files["db"]), "--as", "ada"], cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 1, done.stderr
    assert done.stderr.strip() == f"{files['doccano']}: line 2: label 'PROD' is not a studio type (PER, LOC, ORG, T); " \
                                  "add it under Entity types, or rename it"
    assert "imported 2 document(s)" in done.stdout and "2 with the file's annotations as suggestions" in done.stdout
    db = connect(files["db"])
    assert documents.reviewed_documents(db) == []
    [first, second] = documents.documents_in(db, ("imported",))
    assert (first["text"], first["spans"], first["source"]) == (TEXT, LABELS, "import:team.jsonl by ada")
    assert second["spans"] == [[0, 2, "PER"]]


def test_reviewed_makes_corrections_by_the_importer(files):
    assert main(["import", str(files["doccano"]), "--db", str(files["db"]), "--as", "ada", "--reviewed"]) == 1
    db = connect(files["db"])
    [first, _] = documents.reviewed_documents(db)
    [saved] = documents.history(db, first["id"])
    assert (saved["annotator"], saved["spans"]) == ("ada", LABELS)
    assert saved["note"] == "imported from team.jsonl, line 1; annotated by bo"


def test_plain_text_gets_the_active_models_suggestions(files, tiny_model, capsys):
    from core.tagging.predict import Tagger

    expected = Tagger.from_folder(tiny_model).tag_texts(PLAIN)
    assert main(["import", str(files["plain"]), "--db", str(files["db"]), "--as", "ada"]) == 0
    assert "2 document(s) tagged by default" in capsys.readouterr().out
    db = connect(files["db"])
    docs = [documents.find_text(db, text) for text in PLAIN]
    assert [(d["status"], d["predicted_by"], d["source"]) for d in docs] == [("new", "default", "import:news.txt by ada")] * 2
    assert [d["spans"] for d in docs] == [[list(s) for s in t.spans] for t in expected]
    assert [d["confidence"] for d in docs] == [t.lowest_confidence for t in expected]


def test_no_suggest_leaves_plain_text_untagged(files):
    assert main(["import", str(files["plain"]), "--db", str(files["db"]), "--as", "ada", "--no-suggest"]) == 0
    doc = documents.find_text(connect(files["db"]), PLAIN[0])
    assert (doc["predicted_by"], doc["spans"]) == (None, [])


def test_with_accounts_the_importer_must_be_one_and_nothing_comes_in_otherwise(files, capsys):
    db = connect(files["db"])
    accounts.add_account(db, "ada", "a long password", "annotator")
    assert main(["import", str(files["doccano"]), "--db", str(files["db"]), "--as", "eve"]) == 2
    assert "no account named 'eve'" in capsys.readouterr().err
    assert documents.status_counts(db)["imported"] == 0
    assert main(["import", str(files["doccano"]), "--db", str(files["db"]), "--as", "ada"]) == 1
    assert documents.status_counts(db)["imported"] == 2


def test_a_file_whose_format_cannot_be_told_or_that_is_missing_is_refused_before_the_database(files, capsys):
    odd = files["doccano"].with_suffix(".data")
    odd.write_text("x\n", encoding="utf-8")
    assert main(["import", str(odd), "--db", str(files["db"]), "--as", "ada"]) == 2
    assert "pass --format" in capsys.readouterr().err
    assert main(["import", str(odd.with_name("gone.txt")), "--db", str(files["db"]), "--as", "ada"]) == 2
    assert "gone.txt: no such file" in capsys.readouterr().err
    assert not files["db"].exists()
    assert main(["import", str(odd), "--format", "text", "--no-suggest", "--db", str(files["db"]), "--as", "ada"]) == 0


def test_export_writes_what_was_imported_with_who_annotated(files, tmp_path):
    main(["import", str(files["doccano"]), "--db", str(files["db"]), "--as", "ada", "--reviewed"])
    out = tmp_path / "out.jsonl"
    assert main(["export", "--db", str(files["db"]), "--format", "doccano", "-o", str(out)]) == 0
    records = [record for _, record, problem in read_doccano(out, ENTITY_TYPES) if problem is None]
    assert [(r.text, [list(s) for s in r.spans], r.annotator) for r in records] == [
        (TEXT, LABELS, "ada"), ("王五去了广州", [[0, 2, "PER"]], "ada")]
    conll = tmp_path / "out.conll"
    assert main(["export", "--db", str(files["db"]), "--format", "conll", "-o", str(conll), "--no-provenance"]) == 0
    assert conll.read_text(encoding="utf-8").startswith("😀\tO\n今\tO\n天\tO\n<U+3000>\tO\nT\tB-PER\n")

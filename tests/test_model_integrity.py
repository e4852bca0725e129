"""Damaged model folders, table-driven: each one refuses to load with a message naming what is
wrong (never a traceback, never a model that silently tags everything O); an unfinished run's
folder never becomes a version; a damaged active version leaves the app on the default model."""
import re
import shutil

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT, damage
from core.model.integrity import SEAL_FILE, DamagedModel, is_complete, verify
from core.model.model import load_model
from storage.db import connect
from storage.versions import ensure_default_version, list_versions, register_model_folders, register_version, set_active


CASES = {  # how the folder is damaged -> what the message must name
    "weights truncated": "model.safetensors",
    "weights empty": "model.safetensors",
    "4 KB of weights flipped": "model.safetensors",
    "one header byte flipped": "model.safetensors",
    "model.safetensors missing": "model.safetensors is missing",
    "char_vocab.json missing": "char_vocab.json is missing",
    f"{SEAL_FILE} missing": f"{SEAL_FILE} is missing",
    "config.json missing": "config.json is missing",
    "config.json is bad JSON": "config.json does not match",
    "char_vocab.json is bad JSON": "char_vocab.json does not match",
    f"{SEAL_FILE} is bad JSON": "not valid JSON",
    "seal lists nothing": "lists no checksums",
    "seal names a file outside": "outside the folder",
}


@pytest.mark.parametrize("how", CASES)
def test_a_damaged_model_folder_refuses_to_load_and_says_what_is_wrong(tiny_model, tmp_path, how):
    folder = shutil.copytree(tiny_model, tmp_path / "model")
    load_model(folder)  # intact: loads
    damage(folder, how)
    with pytest.raises(ValueError, match=CASES[how]):
        load_model(folder)


def test_a_runs_best_so_far_save_is_not_complete_and_never_becomes_a_version(tiny_model, tmp_path):
    from core.model.model import load_model as load

    root = tmp_path / "models"
    default = shutil.copytree(tiny_model, root / "default")
    load(tiny_model).save(root / "half", complete=False)  # what a killed train_job.py --out leaves
    load(tiny_model).save(root / "whole")
    db = connect(tmp_path / "studio.db")
    ensure_default_version(db, default)
    register_model_folders(db, root)
    assert sorted(v["name"] for v in list_versions(db)) == ["default", "whole"]
    assert not is_complete(root / "half") and is_complete(root / "whole")
    verify(root / "half")  # complete or not, its checksums hold: a run may still load it to score it


def test_a_damaged_active_version_leaves_every_visitor_on_the_default_model(tiny_model, tmp_path, monkeypatch):
    monkeypatch.setenv("NER_STUDIO_DB", str(tmp_path / "studio.db"))
    monkeypatch.setenv("NER_STUDIO_MODEL", str(tiny_model))
    db = connect(tmp_path / "studio.db")
    ensure_default_version(db, tiny_model)
    broken = shutil.copytree(tiny_model, tmp_path / "secret-server-path" / "v2")
    set_active(db, register_version(db, "v2", broken))
    damage(broken, "4 KB of weights flipped")

    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    shown = [re.sub(r"\\(.)", r"\1", e.value) for e in (*at.warning, *at.error, *at.markdown, *at.caption)]
    assert any("v2 cannot be used" in text and "model.safetensors does not match" in text for text in shown)
    assert not any("secret-server-path" in text for text in shown)
    at.text_area(key="predict_text").input("我爱北京天安门")
    at.button(key="predict_tag").click().run()
    assert not at.exception, at.exception
    assert any("default" in c.value for c in at.caption)  # tagged by the default model


def test_damage_is_a_value_error_carrying_a_reason_without_the_path(tiny_model, tmp_path):
    folder = shutil.copytree(tiny_model, tmp_path / "model")
    damage(folder, "weights truncated")
    with pytest.raises(DamagedModel) as raised:
        verify(folder)
    assert str(tmp_path) not in raised.value.reason and str(tmp_path) in str(raised.value)

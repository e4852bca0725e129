"""The service over a real studio file: API tokens when accounts exist, and the active version
followed after a promotion without a restart."""
import shutil
import time

import pytest
from serving import call, serving

from service.access import Studio
from service.app import build_app
from service.source import ModelSource
from storage import accounts, versions


@pytest.fixture
def studio(tmp_path, tiny_model):
    studio = Studio(tmp_path / "studio.db")
    version = versions.register_version(studio.db, "first", tiny_model)
    versions.set_active(studio.db, version)
    return studio


def issued_token(studio, capsys, name="ada") -> str:
    accounts.add_account(studio.db, name, "a long password", "annotator")
    assert accounts.main(["--db", str(studio.path), "token", name, "--note", "bench"]) == 0
    return capsys.readouterr().out.strip()


def test_a_token_is_shown_once_and_stored_hashed(studio, capsys):
    token = issued_token(studio, capsys)
    assert token.startswith("nst_") and len(token) > 40
    rows = list(studio.db.query("SELECT * FROM api_tokens"))
    assert [(r["name"], r["note"]) for r in rows] == [("ada", "bench")] and rows[0]["token_hash"] != token
    assert token.encode() not in studio.path.read_bytes()
    assert accounts.main(["--db", str(studio.path), "token", "nobody"]) == 2


def test_with_accounts_every_call_but_health_needs_a_token(studio, capsys):
    token = issued_token(studio, capsys)
    with serving(build_app(ModelSource(studio=studio), studio)) as url:
        body = {"texts": ["张三在上海"]}
        status, answer = call(f"{url}/v1/tag", body)
        assert status == 401 and "storage.accounts token" in answer["detail"]
        assert call(f"{url}/v1/tag", body, token="nst_" + "x" * 43)[0] == 401
        assert call(f"{url}/v1/tag", body, token=token)[0] == 200
        assert call(f"{url}/predict", {"tasks": [], "label_config": "<View/>"}, basic=token)[0] == 422  # past the gate
        assert call(f"{url}/v1/model", token=token)[0] == 200 and call(f"{url}/v1/model")[0] == 401
        assert call(f"{url}/v1/health")[0] == 200 and call(f"{url}/health")[0] == 200
        accounts.remove_account(studio.db, "ada")
        accounts.add_account(studio.db, "bo", "a long password", "annotator")  # accounts still exist
        assert call(f"{url}/v1/tag", body, token=token)[0] == 401
        accounts.add_account(studio.db, "ada", "another password", "admin")  # the same name again
        assert call(f"{url}/v1/tag", body, token=token)[0] == 401


def test_a_promoted_version_is_served_without_a_restart(studio, tiny_model, tmp_path):
    second = shutil.copytree(tiny_model, tmp_path / "second")
    source = ModelSource(studio=studio, watch_every=0.2)
    with serving(build_app(source, studio)) as url:
        assert call(f"{url}/v1/tag", {"texts": ["张三"]})[1]["results"][0]["model_version"] == "first"
        versions.set_active(studio.db, versions.register_version(studio.db, "second", second))
        deadline = time.monotonic() + 30
        while call(f"{url}/v1/health")[1]["model_version"] != "second" and time.monotonic() < deadline:
            time.sleep(0.1)
        assert call(f"{url}/v1/tag", {"texts": ["张三"]})[1]["results"][0]["model_version"] == "second"


def test_a_promoted_version_that_cannot_load_leaves_the_old_one_serving(studio, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "config.json").write_text("{not json", encoding="utf-8")
    source = ModelSource(studio=studio)
    versions.set_active(studio.db, versions.register_version(studio.db, "broken", broken))
    assert source.check() is False
    assert source.current().name == "first" and "'broken' could not be loaded" in source.problem

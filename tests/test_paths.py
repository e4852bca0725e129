"""core/paths.py: the one reader of the NER_STUDIO_* variables, with the repository's defaults."""
from core import paths
from ui import roots


def test_unset_or_blank_variables_give_the_repository_defaults(monkeypatch):
    for name in ("DATA", "DB", "MODEL", "EXPERIMENTS", "MAX_JOBS", "ROOTS"):
        monkeypatch.setenv(f"NER_STUDIO_{name}", " ")
    assert paths.data_dir() == paths.ROOT / "data" and paths.db_path() == paths.ROOT / "data" / "studio.db"
    assert paths.fallback_model_path() == paths.ROOT / "models" / "default"
    assert paths.experiments_dir() == paths.ROOT / "results" / "experiments"
    assert paths.max_running_jobs() == 2 and paths.readable_roots() is None
    assert roots.configured_roots() == [(paths.ROOT / "data").resolve(), (paths.ROOT / "models").resolve()]


def test_the_variables_move_them(monkeypatch, tmp_path):
    monkeypatch.setenv("NER_STUDIO_DATA", str(tmp_path / "d"))
    monkeypatch.setenv("NER_STUDIO_MAX_JOBS", "5")
    monkeypatch.setenv("NER_STUDIO_ROOTS", f"{tmp_path / 'a'}:{tmp_path / 'b'}")
    assert paths.data_dir() == tmp_path / "d" and paths.max_running_jobs() == 5
    assert roots.configured_roots() == [(tmp_path / "a").resolve(), (tmp_path / "b").resolve()]
    monkeypatch.delenv("NER_STUDIO_ROOTS")
    assert roots.configured_roots()[0] == (tmp_path / "d").resolve()  # the data folder is a root

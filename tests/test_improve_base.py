"""core.training.improve.improvement_base: an improvement of an improvement starts from the same base, so the
corrections are learned once, all together; anything else is its own base."""
import json

from core.training.improve import improve_params, improvement_base
from core.model.integrity import seal
from core.model.model import CONFIG_FILE, TRAINING_FILE


def folder(path, training=None, complete=True):
    path.mkdir()
    (path / CONFIG_FILE).write_text("{}", encoding="utf-8")
    names = [CONFIG_FILE]
    if training is not None:
        (path / TRAINING_FILE).write_text(json.dumps(training), encoding="utf-8")
        names.append(TRAINING_FILE)
    seal(path, names, complete=complete)
    return path


def test_an_improvement_starts_from_its_base_and_anything_else_from_itself(tmp_path):
    base = folder(tmp_path / "default")
    first = folder(tmp_path / "v1", {"init_from": str(base), "improves": str(base)})
    second = folder(tmp_path / "v2", {"init_from": str(base), "improves": str(first)})
    tuned = folder(tmp_path / "tuned", {"init_from": str(base)})  # the advanced options' fine-tuning
    assert improvement_base(base) == base
    assert improvement_base(first) == base and improvement_base(second) == base
    assert improvement_base(tuned) == tuned
    params = improve_params(str(second), corrections=40, gpu=False)
    assert params["init_from"] == str(base) and params["improves"] == str(second)


def test_a_base_that_is_gone_or_unfinished_leaves_the_active_model(tmp_path):
    unfinished = folder(tmp_path / "unfinished", complete=False)
    on_unfinished = folder(tmp_path / "v1", {"init_from": str(unfinished), "improves": str(unfinished)})
    on_nothing = folder(tmp_path / "v2", {"init_from": str(tmp_path / "deleted"), "improves": str(tmp_path / "x")})
    assert improvement_base(on_unfinished) == on_unfinished
    assert improvement_base(on_nothing) == on_nothing

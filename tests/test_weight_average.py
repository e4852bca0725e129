"""core/model/weight_average.py: the start's share mixed back into a fine-tuned model (WiSE-FT)."""
import pytest
import torch

from conftest import write_corpus
from core.model.build import extend_tags
from core.model.model import load_model
from core.model.weight_average import mix_in_start


def test_mixing_moves_each_weight_the_given_share_back_to_the_start(tiny_model):
    start = load_model(tiny_model)
    tuned = load_model(tiny_model)
    with torch.no_grad():
        for parameter in tuned.parameters():
            parameter.add_(1.0)
    extend_tags(tuned, ["PROD"])  # new rows the start never had
    new_rows = tuned.crf.transitions[len(start.tags):].detach().clone()
    mix_in_start(tuned, tiny_model, 0.25)
    before = dict(start.named_parameters())
    for name, parameter in tuned.named_parameters():
        old = before[name]
        part = parameter[tuple(slice(0, size) for size in old.shape)]
        assert torch.allclose(part, old + 0.75, atol=1e-5), name  # 0.75 x (old + 1) + 0.25 x old
    assert torch.equal(tuned.crf.transitions[len(start.tags):], new_rows)  # the new type's rows are kept


def test_a_share_of_zero_changes_nothing_and_a_bad_share_is_refused(tiny_model):
    model = load_model(tiny_model)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    mix_in_start(model, tiny_model, 0.0)
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        mix_in_start(model, tiny_model, 1.0)


def test_the_command_writes_the_mix_as_a_loadable_folder(tiny_model, tmp_path):
    import json

    from core.training.mix import main

    tuned = load_model(tiny_model)
    with torch.no_grad():
        for parameter in tuned.parameters():
            parameter.add_(1.0)
    tuned.save(tmp_path / "tuned")
    write_corpus(tmp_path / "data" / "corpora" / "msra", splits=("test",))  # the fixed evaluation set's test
    assert main([str(tmp_path / "tuned"), "--start", str(tiny_model), "--share", "0.5", "--out", str(tmp_path / "soup"),
                 "--save-dtype", "float16", "--score", "--data-dir", str(tmp_path / "data")]) == 0
    soup, start = load_model(tmp_path / "soup"), dict(load_model(tiny_model).named_parameters())
    for name, parameter in soup.named_parameters():
        assert torch.allclose(parameter, start[name] + 0.5, atol=2e-3), name  # float16 on disk
    assert json.loads((tmp_path / "soup" / "mixed.json").read_text())["start_share"] == 0.5
    scores = json.loads((tmp_path / "soup" / "scores.json").read_text())
    assert list(scores) == ["msra"] and scores["msra"]["sentences"] == 18  # SENTENCES three times
    assert main([str(tmp_path / "tuned"), "--start", str(tmp_path / "nowhere"), "--share", "0.5",
                 "--out", str(tmp_path / "bad")]) == 2 and not (tmp_path / "bad").exists()

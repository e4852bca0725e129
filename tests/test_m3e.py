"""m3e-small out of the installed package: a complete BERT folder, every weight used, one id per character."""
from pathlib import Path

import pytest

from core.model import m3e

FOLDER = Path(__file__).resolve().parent.parent / m3e.FOLDER


@pytest.fixture(scope="module")
def folder():
    if not (FOLDER / "model.safetensors").is_file():
        pytest.fail(f"{FOLDER} is missing: the set-up (python -m core prepare) builds it")
    return FOLDER


def test_prepared_folder_loads_with_no_missing_or_unused_weights(folder):
    from transformers import BertModel

    model, info = BertModel.from_pretrained(str(folder), add_pooling_layer=False, output_loading_info=True)
    assert not info["missing_keys"] and not info["unexpected_keys"]
    assert model.config.num_hidden_layers == 4 and model.config.hidden_size == 512


def test_chinese_characters_get_one_known_id_each(folder):
    from core.text import CharVocab

    vocab = CharVocab.from_tokenizer(__import__("transformers").AutoTokenizer.from_pretrained(str(folder)))
    ids = [vocab.chars.get(char) for char in "华为公司在深圳发布了新手机"]
    assert None not in ids and len(set(ids)) == len(set("华为公司在深圳发布了新手机"))


def test_card_licence_says_research_use_only(folder):
    import json

    info = json.loads((folder / "encoder_info.json").read_text(encoding="utf-8"))
    assert "research use only" in info["licence"]


def test_rebuild_from_the_same_files_leaves_the_folder_alone(folder):
    before = (folder / "model.safetensors").stat().st_mtime_ns
    m3e.build_m3e_folder(folder)
    assert (folder / "model.safetensors").stat().st_mtime_ns == before


@pytest.mark.slow
def test_m3e_with_lac_stacked_trains_on_silver_news_saves_and_tags(folder, tmp_path):
    """The default-model recipe's path end to end, a few steps: m3e-small + LAC's features + CRF on a
    silver corpus whose characters may carry a set of tags."""
    from conftest import ROOT

    from core.training import teachers
    from core.model.model import load_model
    from core.tagging.predict import Tagger
    from core.training.options import RunOptions
    from core.training.run import run
    from core.training.settings import TrainSettings

    lac = ROOT / "data" / "encoders" / "lac"
    if not (lac / "model.safetensors").is_file():
        pytest.fail(f"{lac} is missing: the set-up (python -m core prepare) builds it")
    sentences = ["华为公司在深圳发布了新手机。", "埃隆·马斯克今天抵达北京。"] * 50
    first = [["B_ORG", "I_ORG", "I_ORG", "I_ORG", "O", "B_LOC", "I_LOC"] + ["O"] * 7,
             ["B_PER"] + ["I_PER"] * 5 + ["B_T", "I_T", "O", "O", "B_LOC", "I_LOC", "O"]] * 50
    second = [["B_ORG", "I_ORG", "O", "O", "O", "B_LOC", "I_LOC"] + ["O"] * 7, first[1]] * 50
    silver = tmp_path / "silver"
    teachers.combine(sentences, {"a": first, "b": second}, silver)
    out = tmp_path / "model"
    options = RunOptions(out=str(out), data=str(silver), encoder=str(folder), stack="lac", no_test=True,
                         settings=TrainSettings(epochs=1, batch_size=8, max_steps=3))
    assert run(options) == 0
    tagged = Tagger(load_model(out)).tag("华为公司在深圳发布了新手机。")
    assert len(tagged.tags) == len("华为公司在深圳发布了新手机。")

"""m3e-small out of the installed package: a complete BERT folder, every weight used, one id per character."""
from pathlib import Path

import pytest

from core import m3e

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

"""Shared fixtures and helpers: a tiny randomly initialised BERT that tokenises exactly like
bert-base-chinese, a tiny model trained on SENTENCES, a corpus of them, a damaged model folder; the
app's fixtures (helpers/fixtures.py) are registered here for every module."""
from __future__ import annotations

import importlib.util
import json
import shutil
from pathlib import Path

import pytest

from core.data.corpora import Sentence, write_pair
from core.labels import spans_to_tags
from core.model.integrity import SEAL_FILE

ROOT = Path(__file__).resolve().parent.parent

SENTENCES = [
    ("我爱北京天安门", [(2, 4, "LOC"), (4, 7, "LOC")]),
    ("张三在上海工作", [(0, 2, "PER"), (3, 5, "LOC")]),
    ("新华社记者李四报道", [(0, 3, "ORG"), (5, 7, "PER")]),
    ("一九九八年元旦北京很冷", [(0, 7, "T"), (7, 9, "LOC")]),
    ("王五去了广州", [(0, 2, "PER"), (4, 6, "LOC")]),
    ("联合国总部在纽约", [(0, 3, "ORG"), (6, 8, "LOC")]),
]


def bert_chinese_vocab() -> Path:
    spec = importlib.util.find_spec("berserker")
    return Path(list(spec.submodule_search_locations)[0]) / "assets" / "vocab.txt"


def make_tiny_bert(folder: Path, layers: int = 1) -> Path:
    from transformers import BertConfig, BertModel

    config = BertConfig(vocab_size=21128, hidden_size=32, num_hidden_layers=layers, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=64)
    BertModel(config, add_pooling_layer=False).save_pretrained(folder)
    shutil.copy(bert_chinese_vocab(), folder / "vocab.txt")
    (folder / "tokenizer_config.json").write_text(
        json.dumps({"tokenizer_class": "BertTokenizer", "do_lower_case": True}), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def tiny_bert(tmp_path_factory) -> Path:
    return make_tiny_bert(tmp_path_factory.mktemp("tiny-bert"), layers=2)


def train_tiny_model(encoder_dir: Path, out: Path, epochs: int = 12) -> Path:
    """A real (tiny) training run on SENTENCES: enough to tag them back, in a few seconds."""
    import torch

    from core.labels import spans_to_tags
    from core.model.model import CURVES_FILE, NerConfig
    from core.model.build import build_model
    from core.data.training_data import Example
    from core.training.settings import TrainSettings
    from core.training.train import train

    torch.manual_seed(0)
    model = build_model(encoder_dir, NerConfig())
    examples = [Example(list(text), spans_to_tags(spans, len(text))) for text, spans in SENTENCES]
    settings = TrainSettings(epochs=epochs, batch_size=6, lr=1e-3, crf_lr_multiplier=10, classifier_lr_multiplier=1,
                             patience=epochs, log_every=1000)
    history = [event for event in train(model, examples * 8, examples, settings) if event["event"] == "epoch"]
    return model.save(out, {CURVES_FILE: history})


@pytest.fixture(scope="session")
def tiny_model(tiny_bert, tmp_path_factory) -> Path:
    return train_tiny_model(tiny_bert, tmp_path_factory.mktemp("models") / "tiny")


def write_corpus(folder, splits=("train", "dev", "test"), repeat=3):
    """A chars/TAG corpus made of SENTENCES (repeated) in every split."""
    folder.mkdir(parents=True, exist_ok=True)
    sentences = [Sentence(list(text), spans_to_tags(spans, len(text))) for text, spans in SENTENCES] * repeat
    for split in splits:
        write_pair(sentences, folder / f"{split}.txt", folder / f"{split}_TAG.txt")
    return folder


def flip(path, offset, count):
    data = bytearray(path.read_bytes())
    for i in range(offset, min(offset + count, len(data))):
        data[i] ^= 0xFF
    path.write_bytes(bytes(data))


def damage(folder, how):
    """Break a model folder as `how` says (tests/test_model_integrity.py's cases)."""
    weights = folder / "model.safetensors"
    if how == "weights truncated":
        weights.write_bytes(weights.read_bytes()[: weights.stat().st_size // 2])
    elif how == "weights empty":
        weights.write_bytes(b"")
    elif how == "4 KB of weights flipped":
        flip(weights, weights.stat().st_size // 2, 4096)
    elif how == "one header byte flipped":
        flip(weights, 20, 1)
    elif how.endswith(" missing"):
        (folder / how.removesuffix(" missing")).unlink()
    elif how.endswith(" is bad JSON"):
        (folder / how.removesuffix(" is bad JSON")).write_text('{"cut": ', encoding="utf-8")
    elif how == "seal lists nothing":
        (folder / SEAL_FILE).write_text(json.dumps({"complete": True, "sha256": {}}), encoding="utf-8")
    elif how == "seal names a file outside":
        (folder / SEAL_FILE).write_text(json.dumps({"complete": True, "sha256": {"../x": "0"}}), encoding="utf-8")
    else:
        raise AssertionError(how)


# The fixtures several modules share, for every module (helpers/fixtures.py); imported last, as they
# import this module's names.
from helpers.fixtures import app_db, db, db_path, studio, tagging_studio, team  # noqa: E402,F401
from helpers.browser import browser, page, server, studio_db  # noqa: E402,F401 (module-scoped: a server per module)

"""CI re-evaluates the committed fast model (LAC's embedding + BiGRU, our linear layer + CRF) and
checks the figures its model card states (MSRA test, People's Daily T, our modern test). The whole MSRA
test takes seconds with this model."""
import json

import pytest

from conftest import ROOT
from model_cards import card_figures, evaluate

FAST = ROOT / "models" / "fast"
CARD = FAST / "MODEL_CARD.md"


def test_fast_model_is_small_and_self_contained():
    assert sum(path.stat().st_size for path in FAST.iterdir()) <= 20 * 1024 * 1024
    config = json.loads((FAST / "config.json").read_text(encoding="utf-8"))
    assert config["ner"]["encoder_type"] == "lac" and "lac" in config
    assert (FAST / "lac_vocab.json").is_file()  # loading never reads data/encoders/lac


@pytest.mark.slow
def test_card_msra_figure_is_reproduced():
    assert round(evaluate(FAST, "msra", "T")["micro"]["f1"], 4) == card_figures(CARD)["msra_test_micro_f1"]


@pytest.mark.slow
def test_card_time_figure_is_reproduced():
    assert round(evaluate(FAST, "pd", "ORG")["T"]["f1"], 4) == card_figures(CARD)["pd_test_T_f1"]


@pytest.mark.slow
def test_card_modern_text_figure_is_reproduced():
    """Our modern-text set's test part (eval/modern): the figure the card puts beside LAC's."""
    from model_cards import evaluate_spans

    micro = evaluate_spans(FAST, ROOT / "eval" / "modern" / "test.jsonl")["micro"]["f1"]
    assert round(micro, 4) == card_figures(CARD)["modern_test_micro_f1"]

"""CI re-evaluates the bundled default model and checks the figures its model card states."""
import pytest

from conftest import ROOT
from model_cards import card_figures, evaluate, evaluate_spans

pytestmark = pytest.mark.slow

DEFAULT = ROOT / "models" / "default"
CARD = DEFAULT / "MODEL_CARD.md"


def test_card_msra_figure_is_reproduced():
    assert round(evaluate(DEFAULT, "msra", "T")["micro"]["f1"], 4) == card_figures(CARD)["msra_test_micro_f1"]


def test_card_modern_text_figure_is_reproduced():
    """Our own modern-text set's test part (eval/modern), the figure the card puts beside LAC's."""
    micro = evaluate_spans(DEFAULT, ROOT / "eval" / "modern" / "test.jsonl")["micro"]["f1"]
    assert round(micro, 4) == card_figures(CARD)["modern_test_micro_f1"]


def test_card_time_figure_is_reproduced():
    assert round(evaluate(DEFAULT, "pd", "ORG")["T"]["f1"], 4) == card_figures(CARD)["pd_test_T_f1"]

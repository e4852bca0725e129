"""Agreement between annotators (core/scores/agreement.py), against figures worked out by hand in
the comments, and against seqeval's and scikit-learn's own F1 and kappa as independent oracles."""
from fractions import Fraction

import pytest
from seqeval.metrics import f1_score as seqeval_f1
from sklearn.metrics import cohen_kappa_score

from core.labels import spans_to_tags, to_seqeval
from core.scores.agreement import compare, compare_files, rank_by_disagreement, team_agreement

# Two annotators disagree on a type. 张三在上海工作, 7 characters:
#   A: B_PER I_PER O B_LOC I_LOC O O
#   B: B_PER I_PER O B_ORG I_ORG O O
# Same tag on 5 of 7 characters: p_o = 5/7.
# Tag counts: A {B_PER 1, I_PER 1, O 3, B_LOC 1, I_LOC 1}, B {B_PER 1, I_PER 1, O 3, B_ORG 1, I_ORG 1}.
# p_e = (1*1 + 1*1 + 3*3) / 49 = 11/49; kappa = (35/49 - 11/49) / (38/49) = 24/38 = 12/19.
# Spans: 2 each, 1 the same (0, 2, PER): F1 = 2*1 / (2+2) = 1/2; PER 1.0, LOC 0/(1+0) = 0, ORG 0.
TYPE_TEXT = "张三在上海工作"
TYPE_A = [[0, 2, "PER"], [3, 5, "LOC"]]
TYPE_B = [[0, 2, "PER"], [3, 5, "ORG"]]

# Two annotators disagree on a boundary. 新华社记者李四报道, 9 characters:
#   A: B_ORG I_ORG I_ORG O O B_PER I_PER O O
#   B: B_ORG I_ORG O     O O B_PER I_PER O O
# p_o = 8/9. Counts A {B_ORG 1, I_ORG 2, O 4, B_PER 1, I_PER 1}, B {B_ORG 1, I_ORG 1, O 5, B_PER 1, I_PER 1}.
# p_e = (1 + 2*1 + 4*5 + 1 + 1) / 81 = 25/81; kappa = (72/81 - 25/81) / (56/81) = 47/56.
# Spans: (5, 7, PER) in both, ORG differs in its end: F1 = 2/4 = 1/2; ORG 0, PER 1.
EDGE_TEXT = "新华社记者李四报道"
EDGE_A = [[0, 3, "ORG"], [5, 7, "PER"]]
EDGE_B = [[0, 2, "ORG"], [5, 7, "PER"]]


def test_a_type_disagreement_by_hand():
    result = compare(len(TYPE_TEXT), TYPE_A, TYPE_B)
    assert result.f1 == pytest.approx(0.5)
    assert result.per_type == {"LOC": 0.0, "ORG": 0.0, "PER": 1.0}
    assert result.kappa == pytest.approx(float(Fraction(12, 19)))


def test_a_boundary_disagreement_by_hand():
    result = compare(len(EDGE_TEXT), EDGE_A, EDGE_B)
    assert result.f1 == pytest.approx(0.5)
    assert result.per_type == {"ORG": 0.0, "PER": 1.0}
    assert result.kappa == pytest.approx(float(Fraction(47, 56)))
    assert (result.unmatched, result.differing_characters) == (2, 1)


def test_two_documents_pool_their_counts_not_their_figures():
    # Pooled, 16 characters, the same tag on 5 + 8 = 13: p_o = 13/16.
    # Counts A {B_PER 2, I_PER 2, O 7, B_LOC 1, I_LOC 1, B_ORG 1, I_ORG 2},
    #        B {B_PER 2, I_PER 2, O 8, B_ORG 2, I_ORG 2}.
    # p_e = (2*2 + 2*2 + 7*8 + 1*2 + 2*2) / 256 = 70/256; kappa = (208 - 70) / (256 - 70) = 138/186 = 23/31,
    # not the mean of 12/19 and 47/56 (0.7355). Spans: 2 of 4 and 4 matched: F1 = 4/8 = 1/2;
    # ORG: 0 matched of 1 + 2, so 0.
    pooled = compare(len(TYPE_TEXT), TYPE_A, TYPE_B) + compare(len(EDGE_TEXT), EDGE_A, EDGE_B)
    assert pooled.kappa == pytest.approx(float(Fraction(23, 31)))
    assert pooled.f1 == pytest.approx(0.5)
    assert pooled.per_type == {"LOC": 0.0, "ORG": 0.0, "PER": 1.0}
    assert pooled.documents == 2


def test_one_annotator_marks_nothing_kappa_is_zero():
    # 今天下雨: A all O; B: B_T I_T O O. p_o = 2/4; p_e = (4*2)/16 = 1/2; kappa = (1/2 - 1/2) / (1/2) = 0.
    result = compare(4, [], [[0, 2, "T"]])
    assert result.kappa == pytest.approx(0.0)
    assert result.f1 == 0.0
    assert result.per_type == {"T": 0.0}


def test_nothing_to_agree_on_is_undefined_not_perfect():
    result = compare(4, [], [])
    assert result.f1 is None and result.kappa is None and result.per_type == {}


def test_identical_versions_agree_fully():
    result = compare(len(TYPE_TEXT), TYPE_A, list(TYPE_A))
    assert (result.f1, result.kappa, result.unmatched) == (1.0, 1.0, 0)


def test_bad_spans_are_refused_with_the_span():
    with pytest.raises(ValueError, match="overlaps"):
        compare(7, [[0, 3, "PER"], [2, 4, "LOC"]], [])
    with pytest.raises(ValueError, match="outside the text"):
        compare(7, [], [[5, 9, "LOC"]])


@pytest.mark.parametrize("text, a, b", [(TYPE_TEXT, TYPE_A, TYPE_B), (EDGE_TEXT, EDGE_A, EDGE_B),
                                        ("今天下雨", [], [[0, 2, "T"]])])
def test_seqeval_and_sklearn_agree_with_us(text, a, b):
    tags_a, tags_b = spans_to_tags(a, len(text)), spans_to_tags(b, len(text))
    result = compare(len(text), a, b)
    assert result.f1 == pytest.approx(seqeval_f1([to_seqeval(tags_a)], [to_seqeval(tags_b)]))
    assert result.kappa == pytest.approx(cohen_kappa_score(tags_a, tags_b))


def three_annotators():
    # Document 1: ada and bo as above (type disagreement), cy the same as ada.
    # Document 2: only ada and bo (boundary disagreement). Document 3: ada alone, counted nowhere.
    return [{"id": 1, "text": TYPE_TEXT, "versions": {"ada": TYPE_A, "bo": TYPE_B, "cy": TYPE_A}},
            {"id": 2, "text": EDGE_TEXT, "versions": {"ada": EDGE_A, "bo": EDGE_B}},
            {"id": 3, "text": "王五去了广州", "versions": {"ada": [[0, 2, "PER"]]}}]


def test_pairs_and_overall_over_three_annotators():
    result = team_agreement(three_annotators())
    pairs = result["pairs"]
    assert list(pairs) == [("ada", "bo"), ("ada", "cy"), ("bo", "cy")]
    assert pairs[("ada", "bo")].kappa == pytest.approx(float(Fraction(23, 31)))  # the pooled case above
    assert pairs[("ada", "cy")].kappa == 1.0 and pairs[("ada", "cy")].documents == 1
    assert pairs[("bo", "cy")].kappa == pytest.approx(float(Fraction(12, 19)))
    # Overall pools the three pairs: spans matched 2 + 2 + 1 = 5 of (4+4) + (2+2) + (2+2) = 16 on each
    # side's count: F1 = 2*5 / 16 = 5/8.
    assert result["overall"].f1 == pytest.approx(5 / 8)
    assert result["overall"].documents == 2
    # bo is in two pairs: 2 + 1 matched of 8 + 4 spans: F1 = 6/12.
    assert result["annotators"]["bo"].f1 == pytest.approx(0.5)
    assert result["annotators"]["cy"].f1 == pytest.approx(2 * 3 / 8)  # (ada, cy) 2 of 4, (bo, cy) 1 of 4


def test_documents_rank_by_disagreement():
    # Document 1: pairs (ada, bo) and (bo, cy) each leave 2 spans unmatched, (ada, cy) none: 4.
    # Document 2: 2 unmatched. Document 3 has one version and is not ranked.
    ranked = rank_by_disagreement(three_annotators())
    assert [(row["id"], row["unmatched_spans"], row["differing_characters"]) for row in ranked] == [(1, 4, 4), (2, 2, 1)]
    assert ranked[0]["annotators"] == ["ada", "bo", "cy"]


def test_files_must_hold_the_same_texts():
    with pytest.raises(ValueError, match="text 2 differs"):
        compare_files(["甲", "乙"], [[], []], ["甲", "丙"], [[], []])
    with pytest.raises(ValueError, match="1 texts and .* 2"):
        compare_files(["甲"], [[]], ["甲", "乙"], [[], []])
    overall, ranked = compare_files([TYPE_TEXT, EDGE_TEXT], [TYPE_A, EDGE_A], [TYPE_TEXT, EDGE_TEXT], [TYPE_B, EDGE_B],
                                    names=("same.jsonl", "same.jsonl"))
    assert overall.kappa == pytest.approx(float(Fraction(23, 31)))
    assert [row["id"] for row in ranked] == [1, 2]

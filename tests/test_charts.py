"""Figure builders and the statistics behind them, on hand-made data (no model, no Streamlit)."""
import math

import pytest

from core.data.corpora import Sentence
from core.labels import DEFAULT_TAGS, allowed_starts, allowed_transitions, spans_to_tags
from ui.draw import charts
from core.data.corpus_stats import describe, documents_to_sentences, mean_and_std, share_above
from ui.draw.fonts import find_cjk_font, missing_glyphs
from core.scores.evaluation import saved_confusion
from ui.draw.wordclouds import drawable, entity_cloud


def _outlined(figure) -> set[tuple[int, int]]:
    """(row, column) of every rectangle drawn on a heatmap (cells are centred on integers)."""
    return {(round(s.y0 + 0.5), round(s.x0 + 0.5)) for s in figure.layout.shapes if s.type == "rect"}


def test_heatmap_outlines_exactly_the_transitions_bio_forbids():
    tags = DEFAULT_TAGS
    zeros = [[0.0] * len(tags) for _ in tags]
    figure = charts.transition_heatmap(zeros, tags)
    allowed = set(allowed_transitions(tags))
    expected = {(i, j) for i in range(len(tags)) for j in range(len(tags)) if (i, j) not in allowed}
    assert _outlined(figure) == expected
    # By hand: O -> I_PER is impossible, B_PER -> I_PER and I_LOC -> B_PER are not.
    o, b_per, i_per, i_loc = (tags.index(t) for t in ("O", "B_PER", "I_PER", "I_LOC"))
    assert (o, i_per) in expected and (b_per, i_per) not in expected and (i_loc, b_per) not in expected
    assert len(expected) == 4 * (len(tags) - 2)  # each I_X is reachable from 2 of the 9 tags


def test_heatmap_start_row_marks_i_tags_and_end_column_marks_nothing():
    tags = ["O", "B_PER", "I_PER"]
    figure = charts.transition_heatmap([[1, 2, 3], [4, 5, 6], [7, 8, 9]], tags, start=[0.1, 0.2, 0.3],
                                       end=[0.4, 0.5, 0.6])
    heatmap = figure.data[0]
    assert list(heatmap.y) == ["START", "O", "B_PER", "I_PER"]
    assert list(heatmap.x) == ["O", "B_PER", "I_PER", "END"]
    assert list(heatmap.z[0]) == [0.1, 0.2, 0.3, None]
    assert list(heatmap.z[1]) == [1, 2, 3, 0.4]
    # START -> I_PER (row 0) and O -> I_PER (row 1); nothing in the END column (3).
    assert _outlined(figure) == {(0, 2), (1, 2)}
    assert {j for j in range(3) if j not in allowed_starts(tags)} == {2}


def test_heatmap_rejects_a_matrix_of_the_wrong_size():
    with pytest.raises(ValueError, match="3x3"):
        charts.transition_heatmap([[0, 0], [0, 0]], ["O", "B_PER", "I_PER"])


def test_three_sigma_line_sits_at_mean_plus_three_std():
    lengths = [1, 2, 2, 3, 3, 3, 4, 4, 50]
    figure = charts.length_histogram(lengths)
    mean = sum(lengths) / len(lengths)
    std = math.sqrt(sum((x - mean) ** 2 for x in lengths) / len(lengths))
    lines = {s.name: s.x0 for s in figure.layout.shapes}
    assert lines["mean"] == pytest.approx(mean)
    assert lines["mean+3sigma"] == pytest.approx(mean + 3 * std)
    bars = figure.data[0]
    assert dict(zip(bars.x, bars.y)) == {1: 1, 2: 2, 3: 3, 4: 2, 50: 1}


def test_mean_and_std_and_share_above():
    assert mean_and_std([2, 4, 4, 4, 5, 5, 7, 9]) == (5.0, 2.0)
    assert mean_and_std([]) == (0.0, 0.0)
    assert share_above([1, 2, 3, 4], 2) == 0.5


def test_confusion_rows_are_normalised_and_empty_rows_stay_zero():
    figure = charts.confusion_heatmap([[3, 1, 0], [0, 0, 0], [1, 1, 2]], ["O", "B_PER", "I_PER"])
    z = [list(row) for row in figure.data[0].z]
    assert z == [[0.75, 0.25, 0.0], [0.0, 0.0, 0.0], [0.25, 0.25, 0.5]]


def test_training_curves_draw_four_series_per_run():
    curves = [{"epoch": 1, "train_loss": 3.0, "dev_loss": 2.0, "dev_token_accuracy": 0.8, "dev_f1": 0.5},
              {"epoch": 2, "train_loss": 2.0, "dev_loss": 1.5, "dev_token_accuracy": 0.9, "dev_f1": 0.7}]
    figure = charts.training_curves({"a": curves, "b": curves[:1]})
    names = [trace.name for trace in figure.data]
    assert names == ["a: train loss", "a: dev loss", "a: dev token accuracy", "a: dev F1",
                     "b: train loss", "b: dev loss", "b: dev token accuracy", "b: dev F1"]
    assert list(figure.data[3].y) == [0.5, 0.7]


def test_two_runs_with_the_same_curves_are_both_seen():
    """Issue 22: on Compare, an improved version's curves (which carry its parent's) hid the parent's
    exactly. Each run is drawn wider and paler than the next, with its own marker."""
    curves = [{"epoch": 1, "train_loss": 3.0, "dev_loss": 2.0, "dev_token_accuracy": 0.8, "dev_f1": 0.5}]
    figure = charts.training_curves({"parent": curves, "improved": curves})
    under, over = figure.data[:4], figure.data[4:]
    for a, b in zip(under, over):
        assert list(a.y) == list(b.y)  # the same points...
        assert a.line.width > b.line.width and a.opacity < b.opacity  # ...one drawn inside the other's band
        assert a.marker.symbol != b.marker.symbol and a.line.color != b.line.color
    alone = charts.training_curves({"parent": curves}).data[0]
    assert alone.line.width == 2 and alone.opacity == 1.0  # one run: drawn as before


def test_per_type_scores_put_micro_last():
    entities = {"micro": {"precision": 0.5, "recall": 0.5, "f1": 0.5, "support": 3},
                "PER": {"precision": 1.0, "recall": 0.5, "f1": 2 / 3, "support": 2},
                "LOC": {"precision": 0.0, "recall": 0.0, "f1": 0.0, "support": 1}}
    figure = charts.per_type_scores(entities)
    assert [t.name for t in figure.data] == ["precision", "recall", "f1"]
    assert list(figure.data[1].x) == ["LOC", "PER", "micro"]
    assert list(figure.data[1].y) == [0.0, 0.5, 0.5]


def test_scores_comparison_has_one_series_per_version():
    scores = {"msra": {"entities": {"PER": {"f1": 0.9}, "micro": {"f1": 0.8}}}}
    figure = charts.scores_comparison({"v1": scores, "v2": {"msra": {"entities": {"PER": {"f1": 0.7},
                                                                                  "micro": {"f1": 0.6}}}}})
    assert [t.name for t in figure.data] == ["v1", "v2"]
    assert list(figure.data[0].x) == ["MSRA test (size not recorded) PER", "MSRA test (size not recorded) micro"]
    assert list(figure.data[1].y) == [0.7, 0.6]


def test_experiment_table_reads_the_rows_core_experiment_writes():
    rows = [{"variant": "crf", "dev_f1": 0.8, "seconds": 12.0,
             "test": {"msra": {"entities": {"micro": {"f1": 0.7}}}, "pd": {"entities": {"micro": {"f1": 0.6}}}}},
            {"variant": "softmax", "dev_f1": 0.75, "test": {"msra": {"entities": {"micro": {"f1": 0.65}}}}}]
    table = charts.experiment_table(rows)
    assert table == [{"variant": "crf", "dev F1": 0.8, "msra F1": 0.7, "pd F1": 0.6, "seconds": 12.0},
                     {"variant": "softmax", "dev F1": 0.75, "msra F1": 0.65}]
    figure = charts.experiment_bars(rows, "head")
    assert [t.name for t in figure.data] == ["dev F1", "msra F1", "pd F1"]
    assert list(figure.data[2].y) == [0.6, None]


def test_describe_counts_labels_lengths_and_entities():
    sentences = [Sentence(list("张三在北京"), spans_to_tags([(0, 2, "PER"), (3, 5, "LOC")], 5)),
                 Sentence(list("北京很冷"), spans_to_tags([(0, 2, "LOC")], 4))]
    stats = describe(sentences)
    assert stats["sentences"] == 2 and stats["characters"] == 9
    assert stats["entity_counts"] == {"LOC": 2, "PER": 1}
    assert stats["tag_counts"] == {"B_LOC": 2, "B_PER": 1, "I_LOC": 2, "I_PER": 1, "O": 3}
    assert stats["sentence_lengths"] == [5, 4]
    assert stats["entity_lengths"] == {"LOC": {2: 2}, "PER": {2: 1}}
    assert stats["entity_texts"] == {"LOC": {"北京": 2}, "PER": {"张三": 1}}
    assert stats["distinct_entities"] == {"LOC": 1, "PER": 1}


def test_documents_are_cut_into_sentences_with_their_spans():
    sentences = documents_to_sentences([{"text": "张三来了。李四在北京。", "spans": [[0, 2, "PER"], [5, 7, "PER"],
                                                                         [8, 10, "LOC"]]}])
    assert [s.text for s in sentences] == ["张三来了。", "李四在北京。"]
    assert sentences[1].tags == ["B_PER", "I_PER", "O", "B_LOC", "I_LOC", "O"]


def test_saved_confusion_sums_the_corpora():
    scores = {"a": {"confusion": {"tags": ["O", "B_T"], "counts": [[1, 2], [3, 4]]}},
              "b": {"confusion": {"tags": ["O", "B_T"], "counts": [[1, 0], [0, 1]]}}, "c": {}}
    assert saved_confusion(scores) == {"tags": ["O", "B_T"], "counts": [[2, 2], [3, 5]]}
    assert saved_confusion({"a": {"token_accuracy": 1.0}}) is None


def test_word_cloud_draws_chinese_with_a_font_that_has_the_glyphs(tmp_path):
    font = find_cjk_font()
    assert font is not None, "install fonts-noto-cjk (Debian) so word clouds can draw Chinese"
    words = {"北京": 10, "上海": 5, "天安门": 3, "😀": 2}
    kept, dropped = drawable(words, font)
    assert dropped == ["😀"] and missing_glyphs(font, "".join(kept)) == ""
    image = entity_cloud(kept, font, "LOC")
    image.save(tmp_path / "cloud.png")
    assert image.size == (480, 300)
    # Something was drawn: a white canvas has a single colour.
    assert len(image.convert("RGB").getcolors(maxcolors=100_000) or []) > 10
    with pytest.raises(ValueError, match="no glyph"):
        entity_cloud(words, font, "LOC")

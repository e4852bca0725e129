"""ui.draw.highlight: every character shown once, in place, escaped; one mark per entity."""
import re

import pytest

from core.tagging.predict import Entity
from ui.draw.highlight import TYPE_COLOURS, colour, escape_text, highlight_html, legend_html


def marks(html: str) -> list[tuple[str, str, str, str]]:
    """(label, start, end, inner text without badge) of each entity mark."""
    return re.findall(r'<mark class="ner-ent ner-(\w+)[^"]*" data-label="\w+" data-start="(\d+)" data-end="(\d+)"'
                      r'[^>]*>(.*?)<span class="ner-badge">', html)


def test_each_entity_is_one_mark_with_its_type_offsets_and_confidence():
    html = highlight_html("我爱北京天安门", [Entity(2, 4, "LOC", "北京", 0.91), Entity(4, 7, "LOC", "天安门", 0.3)])
    assert marks(html) == [("LOC", "2", "4", "北京"), ("LOC", "4", "7", "天安门")]
    assert "LOC 91.0%" in html and "LOC 30.0%" in html  # percent, one decimal, as every score
    assert html.count("ner-ent ner-LOC ner-unsure") == 1  # 0.3 is below the threshold, drawn dashed
    assert '<div class="ner-text">我爱<mark' in html


def test_storage_spans_without_confidence_are_drawn_too():
    html = highlight_html("张三在上海", [[3, 5, "LOC"], [0, 2, "PER"]], style=False)
    assert marks(html) == [("PER", "0", "2", "张三"), ("LOC", "3", "5", "上海")]
    assert '<span class="ner-badge">PER</span>' in html
    assert not html.startswith("<style>")


def test_markup_in_the_text_is_escaped_not_interpreted():
    assert escape_text('<script>alert("x")</script> & y') == '&lt;script&gt;alert("x")&lt;/script&gt; &amp; y'


@pytest.mark.parametrize("text, shown", [
    ("a\nb", "a<br>b"),
    ("a\r\nb", "a<br>b"),
    ("a\u2028b", "a<br>b"),
    ("a\tb  c", "a\tb  c"),  # tabs and runs of spaces kept (the container is white-space: pre-wrap)
    ("😀ＡＢ１２\u3000x", "😀ＡＢ１２\u3000x"),
    ("👩\u200d💻", "👩\u200d💻"),  # a zero-width joiner is part of the emoji, not a control character
])
def test_breaks_blanks_and_wide_characters_stay_in_place(text, shown):
    assert escape_text(text) == shown


def test_control_characters_are_shown_as_visible_boxes():
    shown = escape_text("a\x07b\x00")
    assert shown.count('class="ner-ctrl"') == 2
    assert "&lt;U+0007&gt;" in shown and "&lt;U+0000&gt;" in shown
    assert "\x07" not in shown and "\x00" not in shown


def test_entities_outside_the_text_raise_and_overlaps_are_drawn_once():
    with pytest.raises(ValueError, match="outside text of length 2"):
        highlight_html("北京", [[0, 3, "LOC"]])
    html = highlight_html("北京天安门", [[0, 2, "LOC"], [1, 3, "ORG"]])
    assert [m[0] for m in marks(html)] == ["LOC"]
    assert "天安门" in html


def test_legend_has_a_chip_per_type_in_its_colour():
    html = legend_html(["PER", "LOC", "ORG", "T"])
    for label, background in TYPE_COLOURS.items():
        assert f'ner-chip ner-{label}" style="background:{background}"' in html
    assert colour("GPE") == colour("GPE") and colour("GPE") not in TYPE_COLOURS.values()

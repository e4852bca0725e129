"""The Tag page through the whole app (router, sidebar, page) on a tiny model and a temporary database."""
from html.parser import HTMLParser

import pytest
from streamlit.testing.v1 import AppTest

from conftest import ROOT
from core.tagging.predict import Tagger
from helpers.app import SENTENCE
from storage import documents, jobs
from storage.db import connect


def tag(text: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    at.text_area(key="predict_text").input(text)
    at.button(key="predict_tag").click().run()
    assert not at.exception, at.exception
    return at


class VisibleText(HTMLParser):
    """The text a reader sees in highlight_html's output: badges and styles left out, <br> as a line break."""

    def __init__(self):
        super().__init__()
        self.parts, self.skip = [], []

    def handle_starttag(self, tag, attrs):
        if tag == "br":
            self.parts.append("\n")
        elif tag != "br":
            self.skip.append(tag == "style" or dict(attrs).get("class") == "ner-badge" or bool(self.skip and self.skip[-1]))

    def handle_endtag(self, tag):
        if tag != "br":
            self.skip.pop()

    def handle_data(self, data):
        if not (self.skip and self.skip[-1]):
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = VisibleText()
    parser.feed(html)
    return "".join(parser.parts)


def page_html(at: AppTest) -> str:
    return "\n".join(element.proto.body for element in at.get("html"))


def test_sidebar_shows_the_active_model_and_no_job(tagging_studio):
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert "**Model in use:** default" in [m.value for m in at.sidebar.markdown]  # the name as text, escaped
    assert "No training job running." in [c.value for c in at.sidebar.caption]


def test_sidebar_names_the_set_and_size_each_score_was_measured_on(tagging_studio, tiny_model):
    """Issue 22: after promotion the sidebar said 'MSRA test F1 92.4%' for a 300-sentence sample."""
    from storage.versions import register_version, set_active

    db = connect(tagging_studio / "studio.db")
    scores = {"msra": {"entities": {"micro": {"f1": 0.924}}, "sentences": 300, "sample_of": 4620}}
    set_active(db, register_version(db, "improved", tiny_model, scores=scores))
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert "MSRA test (300-sentence sample) F1 92.4%" in [c.value for c in at.sidebar.caption]


def test_sidebar_shows_a_running_job_and_its_progress(tagging_studio):
    db = connect(tagging_studio / "studio.db")
    job_id = jobs.create_job(db, {"name": "v2"})
    jobs.record_event(db, job_id, {"event": "step", "epoch": 1, "step": 25, "total_steps": 100})
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=60).run()
    assert not at.exception, at.exception
    assert "**Training v2** · running" in [m.value for m in at.sidebar.markdown]
    [bar] = at.sidebar.get("progress")
    assert bar.value == 25 and "25%" in bar.proto.text


def test_tagging_highlights_each_entity_and_lists_it_in_the_table(tagging_studio, tiny_model):
    expected = Tagger.from_folder(tiny_model).tag(SENTENCE)
    assert expected.entities, "the tiny model should find something in its own training sentence"
    at = tag(SENTENCE)
    html = page_html(at)
    for entity in expected.entities:
        assert f'class="ner-ent ner-{entity.label}' in html
        assert f'data-start="{entity.start}" data-end="{entity.end}"' in html
    table = at.dataframe[0].value
    assert list(table.columns) == ["text", "type", "start", "end", "confidence"]
    assert table[["text", "type", "start", "end"]].values.tolist() == [
        [e.text, e.label, e.start, e.end] for e in expected.entities]
    assert all(0.0 <= c <= 100.0 for c in table["confidence"])  # percent, one decimal
    # Two taggers' oneDNN layers may sum in another order: a confidence on a rounding edge may show
    # one tenth of a point apart.
    assert all(abs(shown - round(100 * e.confidence, 1)) <= 0.1 + 1e-9
               for shown, e in zip(table["confidence"], expected.entities))
    assert at.code[0].value == " ".join(expected.tags)  # the tags line, in the seed's format
    assert at.code[1].value == " ".join(SENTENCE)


def test_sending_to_the_queue_stores_the_predicted_spans(tagging_studio, tiny_model):
    expected = Tagger.from_folder(tiny_model).tag(SENTENCE)
    at = tag(SENTENCE)
    at.button(key="predict_send").click().run()
    assert not at.exception, at.exception
    assert any("Queued as document #1" in s.value for s in at.success)
    doc = documents.get_document(connect(tagging_studio / "studio.db"), 1)
    assert doc["text"] == SENTENCE
    assert doc["spans"] == [list(span) for span in expected.spans]
    assert doc["predicted_by"] == "default"
    # stored rounded to 6 decimals, hence the tolerance
    assert 0.0 <= doc["confidence"] <= min([e.confidence for e in expected.entities] + [1.0]) + 1e-6


@pytest.mark.parametrize("text", ["", "   \n\t "])
def test_empty_text_says_there_is_nothing_to_tag(tagging_studio, text):
    at = tag(text)
    assert any("Nothing to tag" in i.value for i in at.info)
    assert '<div class="ner-text">' not in page_html(at)


def test_text_over_the_limit_is_refused_with_the_limit_and_the_cli(tagging_studio):
    at = tag("北" * 200_000)
    message = at.error[0].value
    assert "200,000" in message and "100,000" in message and "python -m core tag" in message
    assert len(at.dataframe) == 0


def test_odd_characters_are_kept_escaped_and_in_place(tagging_studio):
    text = "<b>张三</b> & 😀\n２０２４年\x07abc"
    at = tag(text)
    html = page_html(at)
    highlighted = next(e.proto.body for e in at.get("html") if '<div class="ner-text">' in e.proto.body)
    # every character shown once and in place; markup in the text is shown, not interpreted
    assert visible_text(highlighted) == text.replace("\x07", "<U+0007>")
    assert "<b>" not in html and "&lt;U+0007&gt;" in html
    chars_file, tags_file = at.code[1].value, at.code[0].value
    first, second = chars_file.strip().split("\n")
    assert first.split(" ")[9:12] == ["<U+0020>", "&", "<U+0020>"]
    assert "<U+0007>" in second.split(" ")
    assert [len(line.split(" ")) for line in tags_file.strip().split("\n")] == [len("<b>张三</b> & 😀"),
                                                                                  len("２０２４年\x07abc")]


def _in_order(node):
    """The page's elements in the order they are drawn, columns and expanders opened."""
    children = getattr(node, "children", None)
    if children is None:
        yield node
        return
    for key in sorted(children):
        yield from _in_order(children[key])


def test_the_downloads_have_a_heading_of_their_own(tagging_studio):
    """Issue 22: the four downloads sat under 'Tags in the seed's format', as if all four were that format."""
    at = tag(SENTENCE)
    heading, under = None, {}
    for element in _in_order(at.main):
        if element.type == "subheader":
            heading = element.value
        elif element.type == "download_button":
            under[element.proto.label] = heading
    assert under == dict.fromkeys(["Characters (.txt)", "Tags (_TAG.txt)", "CoNLL", "JSON lines"], "Download")

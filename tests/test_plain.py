"""Hostile names shown as text: escaped for Markdown, they render as the same characters and
nothing else (no image, link, emphasis or HTML), checked with a CommonMark parser."""
import html

import pytest
from markdown_it import MarkdownIt

from ui.draw.plain import md

HOSTILE = [
    "![x](https://elsewhere.example/pixel.png)",
    "[click](javascript:alert(1))",
    "<img src=x onerror=alert(1)>",
    "**bold** _it_ `code`",
    "# heading",
    "- item\n- item",
    ":red[colour] :material/home:",
    "$x^2$ ~~strike~~ | a | b |",
    "import:../../etc/passwd",
    "back\\slash\\](x)",
    "普通的名字",
]


@pytest.mark.parametrize("name", HOSTILE)
def test_an_escaped_name_renders_as_its_own_text_and_nothing_else(name):
    rendered = MarkdownIt("commonmark").renderInline(md(name))
    for tag in ("<img", "<a ", "<strong", "<em", "<code", "<h1", "<li"):
        assert tag not in rendered
    assert html.unescape(rendered) == " ".join(name.splitlines())

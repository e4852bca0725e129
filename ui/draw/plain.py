"""People's text in Markdown: names, file names, sources and refused lines shown as the text they
are. st.caption, st.markdown, st.error... render Markdown, so an annotator called
`![x](https://elsewhere/pixel.png)` would make every colleague's browser fetch that image."""
from __future__ import annotations

import re

# Every ASCII punctuation mark may be backslash-escaped in CommonMark; these are the ones that
# start syntax (emphasis, links, images, code, headings, lists, tables, HTML and entities,
# LaTeX). Streamlit's :colour[...] directives need "[", escaped here, so ":" may stay readable.
_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$&])")


def md(text) -> str:
    """text escaped for a Markdown context, on one line (a newline would end a caption's sentence
    and could start a heading or a list)."""
    return _SPECIAL.sub(r"\\\1", " ".join(str(text).splitlines()))

"""Word clouds of entity texts, drawn with a CJK font (never boxes). Pure: returns a PIL image."""
from __future__ import annotations

from ui.draw.fonts import missing_glyphs

TYPE_COLORMAPS = {"PER": "Reds", "LOC": "Greens", "ORG": "Blues", "T": "Purples"}


def drawable(frequencies: dict[str, int], font_path: str) -> tuple[dict[str, int], list[str]]:
    """(the words the font can draw, the words it cannot): a rare character must not become a box."""
    kept, dropped = {}, []
    for word, count in frequencies.items():
        if missing_glyphs(font_path, word):
            dropped.append(word)
        else:
            kept[word] = count
    return kept, dropped


def entity_cloud(frequencies: dict[str, int], font_path: str, entity_type: str = "",
                 width: int = 480, height: int = 300, max_words: int = 150):
    """A PIL image of the most frequent entity texts, sized by count.

    Raises ValueError when the font lacks a character of a word drawn (it would show a box);
    the caller picks the font with ui.draw.fonts.find_cjk_font and filters words with drawable.
    """
    from wordcloud import WordCloud

    top = dict(sorted(frequencies.items(), key=lambda item: -item[1])[:max_words])
    if not top:
        raise ValueError(f"no entities of type {entity_type or '?'} to draw")
    missing = missing_glyphs(font_path, "".join(top))
    if missing:
        raise ValueError(f"font {font_path} has no glyph for {missing!r}")
    cloud = WordCloud(font_path=font_path, width=width, height=height, background_color="white",
                      color_func=_dark_shades(TYPE_COLORMAPS.get(entity_type, "viridis")), max_words=max_words,
                      prefer_horizontal=0.95, random_state=0, collocations=False)
    return cloud.generate_from_frequencies(top).to_image()


def _dark_shades(colormap_name: str):
    """Colours from the darker 45-100% of a colormap: the pale end is unreadable on white."""
    from matplotlib import colormaps

    colormap = colormaps[colormap_name]

    def color(word, font_size, position, orientation, random_state=None, **kwargs):
        shade = 0.45 + 0.55 * (random_state.random() if random_state is not None else 0.5)
        r, g, b, _ = colormap(shade)
        return f"rgb({int(r * 255)}, {int(g * 255)}, {int(b * 255)})"

    return color


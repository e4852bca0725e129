"""Find a font that draws Chinese characters (for word clouds), at run time, without Streamlit.

Known Debian paths first (fast, predictable), then whatever fontconfig lists for :lang=zh.
A font only counts if it really maps the characters we test, so a wrong guess never turns
into a picture of boxes.
"""
from __future__ import annotations

import os
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from core.atomic import write_file

KNOWN_FONTS = (
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",  # Debian fonts-noto-cjk
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",  # Debian fonts-wqy-microhei
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",  # Debian fonts-wqy-zenhei
    "/usr/share/fonts/opentype/noto/NotoSerifCJK-Regular.ttc",
)
DEBIAN_PACKAGE = "fonts-noto-cjk"
PROBE = "中国北京人民日报新华社张三门"


def _faces(font_path: str) -> list:
    from fontTools.ttLib import TTCollection, TTFont

    if font_path.lower().endswith(".ttc"):
        return list(TTCollection(font_path, lazy=True).fonts)
    return [TTFont(font_path, lazy=True)]


@lru_cache(maxsize=8)
def _code_points(font_path: str) -> frozenset:
    """Code points the font's first face maps (the face PIL and wordcloud load from a .ttc)."""
    try:
        return frozenset(_faces(font_path)[0].getBestCmap() or {})
    except Exception:  # unreadable or not a font: it maps nothing
        return frozenset()


def missing_glyphs(font_path, text: str) -> str:
    """The characters of text (sorted, once each) that the font would draw as boxes."""
    mapped = _code_points(str(font_path))
    return "".join(sorted({c for c in text if not c.isspace() and ord(c) not in mapped}))


def covers(font_path, text: str = PROBE) -> bool:
    return not missing_glyphs(font_path, text)


def _fontconfig_candidates() -> list[str]:
    if shutil.which("fc-list") is None:
        return []
    try:
        listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=10).stdout
    except (OSError, subprocess.SubprocessError):
        return []
    paths = {line.split(":")[0].strip() for line in listing.splitlines() if line.strip()}
    # Regular sans faces read best at small sizes; prefer them over bold, light or serif ones.
    return sorted(paths, key=lambda p: (any(w in p for w in ("Bold", "Light", "Thin", "Black")), "Serif" in p, p))


def _simplified_face(font_path: str) -> str:
    """For a collection whose first face is not Simplified Chinese (Noto's is Japanese), the SC
    face saved once as its own file: wordcloud always loads face 0, and Japanese glyph shapes
    differ for some characters (门, 骨). Falls back to the collection when it cannot."""
    if not font_path.lower().endswith(".ttc"):
        return font_path
    try:
        faces = _faces(font_path)
        names = [face["name"].getDebugName(1) or "" for face in faces]
        if not names or " SC" in names[0] or "GB" in names[0]:
            return font_path
        index = next((i for i, name in enumerate(names) if name.endswith(" SC") and "Mono" not in name), None)
        if index is None:
            return font_path
        cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "ner-studio" / "fonts"
        target = cache / f"{Path(font_path).stem}-{index}-{os.stat(font_path).st_mtime_ns}.otf"
        if not target.exists():
            write_file(target, lambda tmp: faces[index].save(str(tmp)))  # two sessions may extract at once
        return str(target)
    except Exception:  # read-only home, odd collection: the first face still draws the characters
        return font_path


@lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """Path of a font that draws Chinese, or None (then tell the user to install fonts-noto-cjk)."""
    for path in [p for p in KNOWN_FONTS if Path(p).exists()] + _fontconfig_candidates():
        if covers(path):
            simplified = _simplified_face(path)
            return simplified if covers(simplified) else path
    return None

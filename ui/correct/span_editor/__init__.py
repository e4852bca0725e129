"""The span editor: a document's characters to select with the mouse and label with one key.

A Streamlit v2 component (st.components.v2): no iframe, so its keys work wherever the page has
focus without a click into a frame first, and no build step: editor.js and editor.css beside this
file are read as they are; nothing is fetched. The browser owns only the selection and sends
commands as the state value "commands"; ui.correct.edit_state.EditState applies each one once.
"""
from __future__ import annotations

from pathlib import Path

import streamlit as st

from core.labels import ENTITY_TYPES, TYPE_NAMES
from ui.correct.edit_state import EditState
from ui.draw.highlight import colour

HERE = Path(__file__).parent
# One digit and one letter per type: 1/P PER, 2/L LOC, 3/O ORG, 4/T T.
TYPE_KEYS = {label: (str(number), label[0]) for number, label in enumerate(ENTITY_TYPES, 1)}
OTHER_KEYS = [(["Backspace"], "delete the picked entity"), (["Z"], "undo"), (["Enter"], "accept and next"),
              (["S"], "skip"), (["Esc"], "clear the selection")]
if len({letter for _, letter in TYPE_KEYS.values()} | {"Z", "S"}) != len(TYPE_KEYS) + 2:
    raise ValueError(f"the types' letter keys collide: {TYPE_KEYS}")

_mount = st.components.v2.component(
    "ner_studio_span_editor", html='<div class="ner-editor"></div>',
    css=(HERE / "editor.css").read_text(encoding="utf-8"), js=(HERE / "editor.js").read_text(encoding="utf-8"))


def label_keys(labels) -> dict[str, tuple[str, str]]:
    """{label: (digit, letter)}: the built-in four keep 1-4 and P, L, O, T; the user's own types take
    the next digits (5-9), and a letter only where it is free (never Z or S)."""
    keys = {label: TYPE_KEYS[label] for label in labels if label in TYPE_KEYS}
    taken = {letter for _, letter in keys.values()} | {"Z", "S"}
    digits = iter(str(n) for n in range(len(keys) + 1, 10))
    for label in labels:
        if label in keys:
            continue
        digit = next(digits, "")
        letter = label[0] if label[0] not in taken else ""
        taken.add(letter)
        keys[label] = (digit, letter)
    return keys


def editor_data(state: EditState) -> dict:
    """What the browser draws: the text, its spans (code-point offsets), the keys."""
    return {"text": state.text, "spans": [list(span) for span in state.spans], "token": state.token,
            "applied": state.applied, "other_keys": OTHER_KEYS,
            "labels": [{"label": label, "key": key, "letter": letter, "name": TYPE_NAMES.get(label, label),
                        "colour": colour(label)} for label, (key, letter) in label_keys(state.labels).items()]}


def span_editor(state: EditState, key: str, on_commands) -> None:
    """Draw the editor; on_commands() runs, before the next script run, when commands arrive."""
    _mount(key=key, data=editor_data(state), on_commands_change=on_commands)


def sent_commands(key: str) -> list:
    """The commands the editor with this key has sent and not seen acknowledged."""
    value = st.session_state.get(key)
    try:
        return list((value or {}).get("commands") or [])
    except AttributeError:
        return []

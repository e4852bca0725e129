"""The Correct screen's editing state, without Streamlit: labelling, retyping, replacing (and
saying so), deleting, undo, the span editor's commands, exact offsets past astral characters."""
import pytest

from ui.correct.edit_state import EditState

TEXT = "📰新华社北京电 总理李强在人民大会堂作报告"  # the emoji is one code point (two UTF-16 units)


def state(spans=((1, 4, "LOC"),)) -> EditState:
    return EditState(TEXT, list(spans), base_revision=7)


def command(s: EditState, seq: int, kind: str, **fields) -> dict:
    return {"token": s.token, "seq": seq, "kind": kind, **fields}


def test_labelling_free_characters_adds_a_span_with_code_point_offsets():
    s = state()
    assert s.label(4, 6, "LOC") == "Added LOC 北京 (4-6)."
    assert s.spans == [(1, 4, "LOC"), (4, 6, "LOC")]
    assert TEXT[4:6] == "北京" and s.changed


def test_labelling_an_existing_span_retypes_it():
    s = state()
    assert s.label(1, 4, "ORG") == "Retyped 新华社 (1-4): LOC → ORG."
    assert s.spans == [(1, 4, "ORG")]


def test_labelling_a_span_with_its_own_type_changes_nothing():
    s = state()
    s.label(1, 4, "LOC")
    assert s.spans == [(1, 4, "LOC")] and not s.changed and s.undo_stack == []
    assert "already labelled" in s.notice[1]


def test_a_span_over_others_replaces_them_and_names_each():
    s = state([(1, 3, "ORG"), (4, 6, "LOC")])
    assert s.label(1, 6, "ORG") == "Added ORG 新华社北京 (1-6), replacing ORG 新华 (1-3), LOC 北京 (4-6)."
    assert s.spans == [(1, 6, "ORG")]
    s.undo()
    assert s.spans == [(1, 3, "ORG"), (4, 6, "LOC")]


def test_spaces_at_the_edges_of_a_selection_are_left_out_and_only_spaces_refused():
    s = state([])
    s.label(6, 10, "PER")  # "电 总理": the space is inside, kept
    assert s.spans == [(6, 10, "PER")]
    s = state([])
    s.label(7, 9, "PER")  # " 总" -> "总"
    assert s.spans == [(8, 9, "PER")]
    with pytest.raises(ValueError, match="only spaces"):
        s.label(7, 8, "PER")
    assert s.notice[0] == "warning" and s.spans == [(8, 9, "PER")]


def test_delete_removes_exactly_that_span_and_refuses_a_missing_one():
    s = state([(1, 4, "LOC"), (10, 12, "PER")])
    assert s.delete(10, 12) == "Deleted PER 李强 (10-12)."
    with pytest.raises(ValueError, match="no span"):
        s.delete(10, 12)
    assert s.spans == [(1, 4, "LOC")]


def test_bad_ranges_and_types_are_refused_and_change_nothing():
    s = state()
    for args in ((5, 5, "PER"), (-1, 2, "PER"), (20, 99, "PER"), (1, 2, "GPE")):
        with pytest.raises(ValueError):
            s.label(*args)
    assert s.spans == [(1, 4, "LOC")] and s.edits == 0


def test_an_exact_edit_is_one_undo_step_and_names_what_it_replaced():
    s = state([(1, 4, "LOC"), (4, 6, "LOC")])
    what = s.replace((1, 4, "LOC"), (1, 5, "ORG"))
    assert what == "Changed LOC 新华社 (1-4) to ORG 新华社北 (1-5), replacing LOC 北京 (4-6)."
    assert s.spans == [(1, 5, "ORG")]
    s.undo()
    assert s.spans == [(1, 4, "LOC"), (4, 6, "LOC")]
    assert s.undo() == "Nothing to undo."  # the exact edit was one step


def test_undo_walks_back_every_edit_in_order():
    s = state()
    s.label(1, 4, "ORG")
    s.label(4, 6, "LOC")
    s.delete(1, 4)
    for expected in ([(1, 4, "ORG"), (4, 6, "LOC")], [(1, 4, "ORG")], [(1, 4, "LOC")]):
        s.undo()
        assert s.spans == expected
    assert s.undo() == "Nothing to undo." and not s.changed


def test_commands_apply_once_in_order_and_stop_at_accept():
    s = state()
    commands = [command(s, 2, "label", start=4, end=6, label="LOC"), command(s, 1, "label", start=1, end=4, label="ORG"),
                command(s, 3, "accept"), command(s, 4, "delete", start=1, end=4)]
    assert s.apply_commands(commands) == "accept"
    assert s.spans == [(1, 4, "ORG"), (4, 6, "LOC")] and s.applied == 3
    assert s.apply_commands(commands[:3]) is None  # a re-sent list applies nothing twice
    assert s.spans == [(1, 4, "ORG"), (4, 6, "LOC")]


def test_two_commands_from_one_key_press_act_once():
    s = state()
    s.label(4, 6, "LOC")
    pressed = [command(s, 1, "undo", event="p-1"), command(s, 2, "undo", event="p-1"),  # one Z, sent twice
               command(s, 3, "label", start=4, end=6, label="PER", event="p-2")]
    assert s.apply_commands(pressed) is None
    assert s.spans == [(1, 4, "LOC"), (4, 6, "PER")] and s.applied == 3
    assert s.apply_commands([command(s, 4, "accept", event="p-3"), command(s, 5, "accept", event="p-3")]) == "accept"
    assert s.apply_commands([command(s, 5, "accept", event="p-3")]) is None  # the second Enter saves nothing
    assert s.apply_commands([command(s, 6, "undo", event="p-4")]) is None and s.spans == [(1, 4, "LOC")]


def test_commands_of_another_state_are_ignored_and_a_bad_one_is_reported():
    s = state()
    assert s.apply_commands([{"token": "old-tab", "seq": 1, "kind": "delete", "start": 1, "end": 4}]) is None
    assert s.spans == [(1, 4, "LOC")]
    s.apply_commands([command(s, 1, "delete", start=2, end=3), command(s, 2, "undo"), command(s, 3, "skip")])
    assert s.notice == ("info", "Nothing to undo.") and s.applied == 3
    s.apply_commands([command(s, 4, "delete", start=2, end=3)])
    assert s.notice[0] == "warning" and "no span" in s.notice[1]


def test_reload_makes_the_database_spans_the_baseline_and_drops_the_edits():
    s = state()
    s.label(4, 6, "LOC")
    s.reload([(0, 1, "ORG")], 9)
    assert s.spans == s.saved == [(0, 1, "ORG")] and s.base_revision == 9 and not s.changed
    assert s.undo_stack == [] and s.undo() == "Nothing to undo."

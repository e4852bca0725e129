"""The user's own entity types on the Correct screen: an admin adds one, a correction uses it, the
editor offers its key and colour; storage refuses labels nobody added."""
import pytest

from storage import documents, entity_types
from helpers.app import add_span, open_correct, run, save


def test_an_admin_adds_a_type_and_a_correction_uses_it(app_db):  # noqa: F811
    doc_id = documents.add_document(app_db, "我买了苹果手机", "test")
    at = open_correct()
    at.text_input(key="correct_type_name").input("prod")
    at.color_picker(key="correct_type_colour").pick("#ff8800")
    at.button(key="correct_type_add").click()
    run(at)
    assert any("Added PROD" in s.value for s in at.success)
    assert entity_types.own_types(app_db) == [{"name": "PROD", "colour": "#ff8800"}]
    add_span(at, doc_id, "苹果手机", "PROD")
    save(at, doc_id)
    assert documents.get_document(app_db, doc_id)["spans"] == [[3, 7, "PROD"]]
    # The editor offers the new type with the next free digit and its own colour.
    from ui.correct.span_editor import label_keys

    assert label_keys(entity_types.known_labels(app_db))["PROD"] == ("5", "")  # P is PER's letter
    from ui.draw import highlight

    assert highlight.colour("PROD") == "#ff8800"


def test_bad_names_and_labels_nobody_added_are_refused(app_db):  # noqa: F811
    for name, why in (("", "1-12 letters"), ("per", "exists already"), ("TOO_LONG_NAME!", "1-12 letters"),
                      ("o", "outside any entity")):
        with pytest.raises(ValueError, match=why):
            entity_types.add_type(app_db, name, "#123456", "ada")
    with pytest.raises(ValueError, match="#rrggbb"):
        entity_types.add_type(app_db, "PROD", "orange", "ada")
    doc_id = documents.add_document(app_db, "我买了苹果手机", "test")
    with pytest.raises(ValueError, match="unknown label 'PROD'"):
        documents.save_correction(app_db, doc_id, [[3, 7, "PROD"]], "ada", base_revision=None)

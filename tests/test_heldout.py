"""The one held-out rule (core/training/heldout.py), as the snapshot, the recipe and the launcher apply it."""
from core.training import heldout
from core.training.improve import ImproveRecipe


def test_every_fifth_document_by_id_is_held_out_and_none_with_zero():
    assert [i for i in range(1, 21) if heldout.is_heldout(i)] == [5, 10, 15, 20]
    assert [i for i in range(1, 7) if heldout.is_heldout(i, every=3)] == [3, 6]
    assert not any(heldout.is_heldout(i, every=0) for i in range(1, 10))


def test_five_held_out_documents_are_enough_to_score_four_are_not():
    assert heldout.enough_to_score(5) and not heldout.enough_to_score(4)


def test_the_improve_recipe_holds_out_by_the_rule():
    assert ImproveRecipe().heldout_every == heldout.EVERY

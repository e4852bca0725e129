"""One repeat policy: the Train form, the improve recipe and the command line's default use it."""
import pytest

from core.training import repeat_policy
from core.training.improve import ImproveRecipe, corrections_repeat
from core.training.options import RunOptions
from ui.train.form import suggested_repeat


def test_corrections_repeat_to_the_ratio_rounding_up_within_one_and_the_cap():
    assert repeat_policy.corrections_repeat(40, 2000, ratio=1.0) == 20  # 50 wanted: capped
    assert repeat_policy.corrections_repeat(100, 2000, ratio=1.0) == 20  # exactly as many as the corpus sentences
    assert repeat_policy.corrections_repeat(300, 2000, ratio=1.0) == 7  # 2000 / 300 = 6.67, rounded up
    assert repeat_policy.corrections_repeat(300, 9000, ratio=0.1) == 3
    assert repeat_policy.corrections_repeat(5000, 100, ratio=1.0) == 1
    assert repeat_policy.corrections_repeat(0, 100, ratio=1.0) == 1
    with pytest.raises(ValueError, match="ratio 0"):
        repeat_policy.corrections_repeat(10, 100, ratio=0)


def test_every_caller_uses_the_policy_and_its_named_caps_and_default():
    assert suggested_repeat(1, 10**6) == repeat_policy.FULL_TRAINING_MAX_REPEAT
    assert corrections_repeat(1, 10**6, ImproveRecipe()) == repeat_policy.MAX_REPEAT
    assert RunOptions(out="x").corrections_repeat == repeat_policy.FIXED_REPEAT

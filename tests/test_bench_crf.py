"""The fast Viterbi that bench/crf.py times gives pytorch-crf's paths exactly, ties and edge cases included."""
import pytest
import torch

from core.model.crf import CRF


def random_batch(batch, seq, num_tags=9, seed=0, integers=False):
    generator = torch.Generator().manual_seed(seed)
    crf = CRF(num_tags)
    with torch.no_grad():
        for param in (crf.start_transitions, crf.end_transitions, crf.transitions):
            if integers:  # small integers make exact ties between paths common
                param.copy_(torch.randint(-1, 2, param.shape, generator=generator).float())
            else:
                param.normal_(generator=generator)
    if integers:
        emissions = torch.randint(0, 3, (batch, seq, num_tags), generator=generator).float()
    else:
        emissions = torch.randn(batch, seq, num_tags, generator=generator)
    lengths = torch.randint(1, seq + 1, (batch,), generator=generator)
    lengths[0] = seq
    mask = torch.arange(seq).unsqueeze(0) < lengths.unsqueeze(1)
    return crf, emissions, mask


def assert_same_as_pytorch_crf(crf, emissions, mask):
    best = crf.viterbi(emissions, mask)
    assert best.shape == mask.shape and best.dtype == torch.long
    for b, path in enumerate(crf.decode(emissions, mask=mask)):
        assert best[b, : len(path)].tolist() == path, f"sequence {b}"
        assert best[b, len(path):].eq(0).all()


@pytest.mark.parametrize("seed", range(5))
def test_viterbi_matches_pytorch_crf_on_random_batches(seed):
    assert_same_as_pytorch_crf(*random_batch(32, 60, seed=seed))


@pytest.mark.parametrize("seed", range(5))
def test_viterbi_breaks_ties_like_pytorch_crf(seed):
    assert_same_as_pytorch_crf(*random_batch(32, 30, seed=seed, integers=True))


def test_viterbi_full_length_batch_of_the_benchmark_shape():
    crf, emissions, _ = random_batch(64, 100, seed=7)
    assert_same_as_pytorch_crf(crf, emissions, torch.ones(64, 100, dtype=torch.bool))


def test_viterbi_with_forbidden_tags_as_the_tagger_forces_them():
    crf, emissions, mask = random_batch(16, 20, seed=3)
    emissions[:, ::3, 1:] = -1e4  # whitespace: only O allowed
    assert_same_as_pytorch_crf(crf, emissions, mask)
    emissions[:, 1::4, 2:] = float("-inf")
    assert_same_as_pytorch_crf(crf, emissions, mask)


def test_viterbi_single_position_and_single_sequence():
    crf, emissions, mask = random_batch(5, 1, seed=4)
    assert_same_as_pytorch_crf(crf, emissions, mask)
    crf, emissions, mask = random_batch(1, 12, seed=5)
    assert_same_as_pytorch_crf(crf, emissions, mask)


def test_viterbi_in_double_precision():
    crf, emissions, mask = random_batch(8, 15, seed=6)
    crf = crf.double()
    assert_same_as_pytorch_crf(crf, emissions.double(), mask)

"""The CRF against brute force: enumerate every tag path for 3 tags and short sequences."""
import itertools

import pytest
import torch

from core.crf import CRF


def path_score(crf, emissions, path):
    score = crf.start_transitions[path[0]] + emissions[0, path[0]]
    for prev, tag, t in zip(path, path[1:], range(1, len(path))):
        score = score + crf.transitions[prev, tag] + emissions[t, tag]
    return score + crf.end_transitions[path[-1]]


def all_scores(crf, emissions, length, num_tags=3):
    paths = list(itertools.product(range(num_tags), repeat=length))
    return paths, torch.stack([path_score(crf, emissions[:length], p) for p in paths])


@pytest.fixture
def crf_and_batch():
    torch.manual_seed(0)
    crf = CRF(3)
    for param in (crf.start_transitions, crf.end_transitions, crf.transitions):
        torch.nn.init.normal_(param)
    emissions = torch.randn(3, 5, 3)
    lengths = torch.tensor([5, 3, 1])
    mask = torch.arange(5).unsqueeze(0) < lengths.unsqueeze(1)
    return crf, emissions, mask, lengths


def test_log_partition_matches_brute_force(crf_and_batch):
    crf, emissions, mask, lengths = crf_and_batch
    log_z = crf.log_partition(emissions, mask)
    for b, n in enumerate(lengths.tolist()):
        _, scores = all_scores(crf, emissions[b], n)
        assert torch.allclose(log_z[b], scores.logsumexp(0), atol=1e-5)


def test_gold_likelihood_matches_pytorch_crf(crf_and_batch):
    crf, emissions, mask, _ = crf_and_batch
    tags = torch.randint(0, 3, (3, 5))
    allowed = torch.nn.functional.one_hot(tags, 3).bool()
    ours = crf.partial_log_likelihood(emissions, allowed, mask)
    library = crf(emissions, tags, mask=mask, reduction="none")
    assert torch.allclose(ours, library, atol=1e-4)


def test_partial_likelihood_sums_allowed_paths(crf_and_batch):
    crf, emissions, mask, lengths = crf_and_batch
    allowed = torch.rand(3, 5, 3) > 0.4
    allowed[..., 0] = True  # at least one tag everywhere
    ours = crf.partial_log_likelihood(emissions, allowed, mask)
    for b, n in enumerate(lengths.tolist()):
        paths, scores = all_scores(crf, emissions[b], n)
        keep = torch.tensor([all(allowed[b, t, tag] for t, tag in enumerate(p)) for p in paths])
        expected = scores[keep].logsumexp(0) - scores.logsumexp(0)
        assert torch.allclose(ours[b], expected, atol=1e-4)


def test_viterbi_matches_brute_force_and_pytorch_crf(crf_and_batch):
    crf, emissions, mask, lengths = crf_and_batch
    best = crf.viterbi(emissions, mask)
    library = crf.decode(emissions, mask=mask)
    for b, n in enumerate(lengths.tolist()):
        paths, scores = all_scores(crf, emissions[b], n)
        assert tuple(best[b, :n].tolist()) == paths[int(scores.argmax())]
        assert best[b, :n].tolist() == library[b]
        assert best[b, n:].eq(0).all()


def test_viterbi_identical_to_pytorch_crf_on_a_large_batch():
    torch.manual_seed(1)
    crf = CRF(9)
    torch.nn.init.normal_(crf.transitions)
    emissions = torch.randn(64, 40, 9)
    lengths = torch.randint(1, 41, (64,))
    lengths[0] = 40
    mask = torch.arange(40).unsqueeze(0) < lengths.unsqueeze(1)
    best = crf.viterbi(emissions, mask)
    for b, path in enumerate(crf.decode(emissions, mask=mask)):
        assert best[b, : len(path)].tolist() == path


def test_marginals_match_brute_force_and_sum_to_one(crf_and_batch):
    crf, emissions, mask, lengths = crf_and_batch
    marginals = crf.marginals(emissions, mask)
    assert torch.allclose(marginals.sum(-1), mask.float(), atol=1e-5)
    for b, n in enumerate(lengths.tolist()):
        paths, scores = all_scores(crf, emissions[b], n)
        probs = (scores - scores.logsumexp(0)).exp()
        for t in range(n):
            for tag in range(3):
                expected = sum(p for path, p in zip(paths, probs) if path[t] == tag)
                assert abs(float(marginals[b, t, tag]) - float(expected)) < 1e-5


def test_bad_mask_raises_value_error():
    crf = CRF(3)
    emissions = torch.randn(2, 4, 3)
    with pytest.raises(ValueError, match="bool"):
        crf.viterbi(emissions, torch.ones(2, 4, dtype=torch.uint8))
    with pytest.raises(ValueError, match="first position"):
        crf.viterbi(emissions, torch.tensor([[False, True, True, True], [True] * 4]))


def test_a_mask_with_a_gap_raises_value_error():
    crf = CRF(3)
    gap = torch.tensor([[True, False, True]])
    with pytest.raises(ValueError, match="without gaps"):
        crf.viterbi(torch.zeros(1, 3, 3), gap)


def test_emissions_for_another_tag_count_raise_value_error():
    crf = CRF(3)
    with pytest.raises(ValueError, match="4 tags, the CRF has 3"):
        crf.marginals(torch.zeros(1, 2, 4), torch.ones(1, 2, dtype=torch.bool))
    with pytest.raises(ValueError, match="allowed must be bool"):
        crf.partial_log_likelihood(torch.zeros(1, 2, 3), torch.ones(1, 2, 2, dtype=torch.bool),
                                   torch.ones(1, 2, dtype=torch.bool))

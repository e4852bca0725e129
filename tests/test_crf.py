"""The CRF against brute force: enumerate every tag path for 3 tags and short sequences."""
import itertools

import pytest
import torch
from torch import nn
from torchcrf import CRF as _TorchCRF

from core.model.crf import CRF
from core.model.model import NerConfig, NerModel


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
    assert torch.allclose(marginals.sum(-1), mask.double(), atol=1e-5)
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


def random_crf(num_tags, seed, dtype=torch.float32):
    generator = torch.Generator().manual_seed(seed)
    crf = CRF(num_tags).to(dtype)
    with torch.no_grad():
        for param in (crf.start_transitions, crf.end_transitions, crf.transitions):
            param.normal_(generator=generator)
    return crf, generator


def library_marginals(crf, emissions, mask):
    """Marginals as the gradient of pytorch-crf's float64 log Z: d log-likelihood/d emissions = one_hot(tags) - marginals."""
    library = _TorchCRF(crf.num_tags, batch_first=True).double()
    library.load_state_dict(crf.state_dict())
    emissions = emissions.detach().double().requires_grad_()
    tags = torch.zeros(mask.shape, dtype=torch.long)
    library(emissions, tags, mask=mask, reduction="sum").backward()
    one_hot = torch.nn.functional.one_hot(tags, crf.num_tags).double() * mask.unsqueeze(2)
    return one_hot - emissions.grad


def test_marginals_on_a_long_sentence_are_exact_in_float64():
    # In float32 these marginals were 4.1e-3 off; float64 costs next to nothing.
    crf, generator = random_crf(9, seed=2)
    emissions = torch.randn(2, 500, 9, generator=generator) * 10  # the float32 a model gives, logits of its size
    mask = torch.ones(2, 500, dtype=torch.bool)
    mask[1, 321:] = False
    marginals = crf.marginals(emissions, mask)
    assert marginals.dtype == torch.float64
    assert torch.allclose(marginals.sum(-1), mask.double(), rtol=0, atol=1e-9)
    assert (marginals - library_marginals(crf, emissions, mask)).abs().max() < 1e-9


@pytest.mark.parametrize("scale", [1e4, 1e5])
def test_gold_likelihood_holds_with_emissions_beyond_any_finite_mask(scale):
    # A forbidden tag masked to -1e4 is no longer forbidden once emissions reach that size.
    crf, generator = random_crf(5, seed=3, dtype=torch.float64)
    emissions = torch.randn(3, 30, 5, generator=generator, dtype=torch.float64) * scale
    tags = torch.randint(0, 5, (3, 30), generator=generator)
    lengths = torch.tensor([30, 17, 1])
    mask = torch.arange(30).unsqueeze(0) < lengths.unsqueeze(1)
    allowed = torch.nn.functional.one_hot(tags, 5).bool()
    ours = crf.partial_log_likelihood(emissions, allowed, mask)
    library = crf(emissions, tags, mask=mask, reduction="none")
    assert torch.allclose(ours, library, rtol=1e-12, atol=1e-6)


def test_partial_likelihood_gradient_has_no_nan_with_large_emissions_and_padding():
    crf, generator = random_crf(5, seed=4)
    emissions = (torch.randn(2, 12, 5, generator=generator) * 1e4).requires_grad_()
    mask = torch.ones(2, 12, dtype=torch.bool)
    mask[1, 7:] = False
    allowed = torch.rand(2, 12, 5, generator=generator) > 0.6
    allowed[..., 2] = True
    allowed[1, 7:] = False  # padding may allow nothing: it is never read
    loss = -crf.partial_log_likelihood(emissions, allowed, mask).sum()
    loss.backward()
    assert torch.isfinite(loss)
    for param in (emissions, crf.transitions, crf.start_transitions, crf.end_transitions):
        assert torch.isfinite(param.grad).all()


def test_partial_likelihood_with_no_allowed_tag_names_the_position():
    crf = CRF(3)
    allowed = torch.ones(2, 4, 3, dtype=torch.bool)
    allowed[1, 2] = False
    with pytest.raises(ValueError, match="sequence 1, position 2"):
        crf.partial_log_likelihood(torch.zeros(2, 4, 3), allowed, torch.ones(2, 4, dtype=torch.bool))


def softmax_model(num_tags=3):
    encoder = nn.Module()
    encoder.output_size = 4  # loss() reads emissions only; the encoder is never run
    config = NerConfig(tags=["O", "B_LOC", "I_LOC"][:num_tags], head="softmax", encoder_type="lac")
    return NerModel(config, encoder, char_vocab=None)


def test_softmax_loss_holds_with_emissions_beyond_any_finite_mask():
    model = softmax_model()
    emissions = torch.tensor([[[0.0, 2e4, -5e4], [1.0, 0.0, 0.0]]], requires_grad=True)
    allowed = torch.tensor([[[True, False, False], [True, True, True]]])
    mask = torch.tensor([[True, False]])  # padding past the end, which may even allow nothing
    loss = model.loss(emissions, allowed, mask)
    assert torch.allclose(loss, -emissions[0, 0].log_softmax(-1)[0])
    allowed[0, 1] = False
    loss = model.loss(emissions, allowed, mask)
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(emissions.grad).all()
    allowed[0, 0] = False
    with pytest.raises(ValueError, match="sequence 0, position 0"):
        model.loss(emissions, allowed, mask)

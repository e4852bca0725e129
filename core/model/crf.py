"""Linear-chain CRF: pytorch-crf's parameters and gold-path likelihood, plus what it lacks.

Added here: partial-label likelihood (a corpus that does not annotate a type lets the CRF
sum over those tags), a batched Viterbi (tensor ops, a NumPy backtrace) with pytorch-crf's exact
paths, and forward-backward marginals.
All tensors are batch-first; `mask` is a bool left-aligned prefix (batch, seq).
"""
from __future__ import annotations

import numpy as np
import torch
from torchcrf import CRF as _TorchCRF

PARAMETER_NAMES = ("transitions", "start_transitions", "end_transitions")  # pytorch-crf's, in a state dict


def check_allowed(allowed: torch.Tensor, mask: torch.Tensor) -> None:
    """Every real position must allow a tag: with none, log P(allowed) would be -inf and its gradient NaN.

    allowed: bool (batch, seq, tags); mask: bool (batch, seq). Padding past a sequence's end is not read.
    """
    empty = mask & ~allowed.any(dim=2)  # shape: (batch, seq)
    if bool(empty.any()):
        row, position = (int(i) for i in empty.nonzero()[0])
        raise ValueError(f"allowed has no tag at sequence {row}, position {position}: each real position needs one")


class CRF(_TorchCRF):
    def __init__(self, num_tags: int):
        super().__init__(num_tags, batch_first=True)

    def _check(self, emissions: torch.Tensor, mask: torch.Tensor) -> None:
        if emissions.dim() != 3:
            raise ValueError(f"emissions must be (batch, seq, tags), got shape {tuple(emissions.shape)}")
        if emissions.shape[2] != self.num_tags:
            raise ValueError(f"emissions have {emissions.shape[2]} tags, the CRF has {self.num_tags}")
        if mask.dtype != torch.bool or mask.shape != emissions.shape[:2]:
            raise ValueError(f"mask must be bool {tuple(emissions.shape[:2])}, got {mask.dtype} {tuple(mask.shape)}")
        if not bool(mask[:, 0].all()):
            raise ValueError("mask must mark the first position of every sequence")
        # The recursions read a sequence's length as the mask's sum: a gap would silently cut it.
        if mask.shape[1] > 1 and bool((mask[:, 1:] & ~mask[:, :-1]).any()):
            raise ValueError("mask must be a left-aligned prefix without gaps (True... then False...)")

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log Z per sequence. emissions: (batch, seq, tags); mask: (batch, seq). Returns (batch,)."""
        self._check(emissions, mask)
        score = self.start_transitions + emissions[:, 0]  # shape: (batch, tags)
        for t in range(1, emissions.shape[1]):
            # The emission is added after the sum over `from`: a forbidden `to` tag (-inf) then never
            # makes logsumexp reduce a row of -inf only, whose gradient is NaN even where unused.
            step = score.unsqueeze(2) + self.transitions  # shape: (batch, from, to)
            score = torch.where(mask[:, t : t + 1], torch.logsumexp(step, dim=1) + emissions[:, t], score)
        return torch.logsumexp(score + self.end_transitions, dim=1)

    def partial_log_likelihood(
        self, emissions: torch.Tensor, allowed: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """log P(path lies in `allowed`) per sequence; (batch,).

        allowed: bool (batch, seq, tags). One allowed tag per position gives the ordinary
        gold-path log-likelihood; several allow the tags a corpus leaves unannotated.
        """
        if allowed.dtype != torch.bool or allowed.shape != emissions.shape:
            raise ValueError(f"allowed must be bool {tuple(emissions.shape)}, got {allowed.dtype} {tuple(allowed.shape)}")
        self._check(emissions, mask)
        check_allowed(allowed, mask)
        # -inf, not a large finite number, which stops forbidding once emissions reach its size.
        # Padding keeps its emissions: its scores are discarded, but -inf there would turn the
        # discarded branch's gradient into NaN.
        constrained = emissions.masked_fill(~allowed & mask.unsqueeze(2), float("-inf"))
        return self.log_partition(constrained, mask) - self.log_partition(emissions, mask)

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """P(tag at position t | sentence) by forward-backward; float64 (batch, seq, tags), 0 where masked.

        In float64 whatever the inputs' dtype: in float32 they drifted by a few 1e-3 over a
        500-character sentence; float64 keeps them within 1e-11 for next to no time.
        """
        self._check(emissions, mask)
        batch, seq, num_tags = emissions.shape
        emissions, transitions = emissions.double(), self.transitions.double()
        start, end = self.start_transitions.double(), self.end_transitions.double()
        alphas = [start + emissions[:, 0]]  # each (batch, tags)
        for t in range(1, seq):
            step = alphas[-1].unsqueeze(2) + transitions + emissions[:, t].unsqueeze(1)
            alphas.append(torch.where(mask[:, t : t + 1], torch.logsumexp(step, dim=1), alphas[-1]))
        lengths = mask.sum(dim=1)  # shape: (batch,)
        # beta at a sequence's last real position is the end transition; earlier ones recurse.
        beta = end.expand(batch, num_tags)
        betas = [beta] * seq
        for t in range(seq - 2, -1, -1):
            step = transitions + (emissions[:, t + 1] + betas[t + 1]).unsqueeze(1)
            recursed = torch.logsumexp(step, dim=2)  # shape: (batch, tags)
            is_inside = (t + 1 < lengths).unsqueeze(1)
            betas[t] = torch.where(is_inside, recursed, end.expand(batch, num_tags))
        alpha = torch.stack(alphas, dim=1)  # shape: (batch, seq, tags)
        beta = torch.stack(betas, dim=1)
        log_z = torch.logsumexp(alpha.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, num_tags)).squeeze(1)
                                + end, dim=1)
        probs = torch.exp(alpha + beta - log_z.view(-1, 1, 1))
        return probs * mask.unsqueeze(2)

    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Best tag path per sequence, (batch, seq) of tag ids, 0 past each length.

        Identical to pytorch-crf's decode, ties included: every score is computed with the same
        float operations in the same order, and ties go to the lowest tag id as torch.max gives.
        It is faster because the loop over positions does three small tensor ops and nothing
        else; the backpointers are recovered afterwards in one vectorised pass and the backtrace
        runs on NumPy arrays (bench/crf.py measures the difference).
        """
        self._check(emissions, mask)
        batch, seq, num_tags = emissions.shape
        dtype = torch.promote_types(emissions.dtype, self.transitions.dtype)
        transitions = self.transitions.detach().to(dtype)
        # Tags-major layouts keep the batch innermost, so each op runs over long contiguous rows.
        emissions_t = emissions.detach().to(dtype).permute(1, 2, 0).contiguous()  # shape: (seq, to, batch)
        pair = transitions.unsqueeze(2).expand(num_tags, num_tags, batch).contiguous()  # shape: (from, to, batch)
        scores = torch.empty((seq, num_tags, batch), dtype=dtype, device=emissions.device)
        torch.add(self.start_transitions.detach().to(dtype).unsqueeze(1), emissions_t[0], out=scores[0])
        step = torch.empty((num_tags, num_tags, batch), dtype=dtype, device=emissions.device)
        rows = scores.unbind(0)
        # scores[t, to] = max over `from` of (scores[t-1, from] + transitions[from, to]) + emission[t, to],
        # summed in pytorch-crf's order. No masking: a sequence's scores past its end are never read.
        for t in range(1, seq):
            torch.add(rows[t - 1].unsqueeze(1), pair, out=step)
            step.add_(emissions_t[t])
            torch.amax(step, dim=0, out=rows[t])
        pointers = self._backpointers(scores, pair, emissions_t)  # shape: (seq - 1, to, batch)
        ends = (mask.sum(dim=1) - 1).cpu().numpy()  # shape: (batch,)
        columns = np.arange(batch)
        final = scores[ends, :, columns] + self.end_transitions.detach().to(dtype)  # shape: (batch, tags)
        last = final.cpu().numpy().argmax(axis=1)
        if (ends < seq - 1).any():
            # Past a sequence's end each tag points at itself, so its backtrace, started at the
            # last position, carries its final tag unchanged back to its real end.
            past_end = np.arange(1, seq)[:, None] > ends[None, :]  # shape: (seq - 1, batch)
            pointers = np.where(past_end[:, None, :], np.arange(num_tags)[None, :, None], pointers)
        tag_ids = np.empty((seq, batch), dtype=np.int64)
        current = last
        for t in range(seq - 1, 0, -1):
            tag_ids[t] = current
            current = pointers[t - 1, current, columns]
        tag_ids[0] = current
        tag_ids = torch.from_numpy(np.ascontiguousarray(tag_ids.T)).to(emissions.device)
        return tag_ids.masked_fill_(~mask, 0)

    @staticmethod
    def _backpointers(scores: torch.Tensor, pair: torch.Tensor, emissions_t: torch.Tensor) -> np.ndarray:
        """The lowest `from` tag reaching each step's best score, for every step at once.

        scores: (seq, to, batch) from the Viterbi loop; pair: (from, to, batch); emissions_t:
        (seq, to, batch). Recomputing the candidates with the loop's own arithmetic reproduces
        its values bit for bit, so "equals the best" is exact. A reduction with indices over a
        middle dimension is slow in torch, so the first maximum is found arithmetically:
        sign(candidate - best) is 0 at a maximum and -1 elsewhere; times (num_tags + 1) plus
        the weight num_tags - from, its max over `from` names the lowest maximising tag.
        """
        num_tags = pair.shape[0]
        # shape: (seq - 1, from, to, batch)
        candidates = (scores[:-1].unsqueeze(2) + pair).add_(emissions_t[1:].unsqueeze(1))
        is_worse = candidates.sub_(scores[1:].unsqueeze(1)).sign_()
        if not bool(torch.isfinite(scores).all()):
            is_worse.nan_to_num_(nan=0.0)  # inf - inf: both sides equal, so a maximum
        weights = torch.arange(num_tags, 0, -1, dtype=scores.dtype, device=scores.device).view(1, num_tags, 1, 1)
        key = is_worse.mul_(num_tags + 1).add_(weights)
        pointers = num_tags - key.amax(dim=1).long()
        return pointers.cpu().numpy()

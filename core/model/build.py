"""A fresh model on an encoder folder (ours, any Hugging Face one, or LAC's), and the surgery that
reshapes a trained one: fewer encoder layers, more entity types."""
from __future__ import annotations

import torch

from core.labels import make_tags
from core.model.crf import CRF
from core.model.model import NerConfig, NerModel
from core.text import CharVocab


def build_model(encoder_dir, config: NerConfig, lac_dir=None) -> NerModel:
    """A fresh tagger on an encoder folder (ours or any Hugging Face one), first N layers.

    encoder_type "lac" takes LAC's converted folder (lac_dir, default data/encoders/lac) as the
    encoder; stack "lac" adds it beside the transformer, "lac2" twice.
    """
    from core.model.lac import LAC_FOLDER, load_lac

    if config.encoder_type == "lac":
        encoder, vocab = load_lac(lac_dir or LAC_FOLDER)
        config.num_layers = encoder.config.layers
        config.encoder_source = config.encoder_source or encoder.config.source
        return NerModel(config, encoder, vocab)
    stacked, stacked_vocab = load_lac(lac_dir or LAC_FOLDER) if config.stack else (None, None)
    partner = load_lac(lac_dir or LAC_FOLDER)[0] if config.stack == "lac2" else None
    from transformers import AutoConfig, AutoModel
    from transformers.utils import logging as transformers_logging

    transformers_logging.set_verbosity_error()  # dropping layers N+1.. is intended, not a warning
    encoder_dir = str(encoder_dir)
    encoder_config = AutoConfig.from_pretrained(encoder_dir)
    if config.num_layers is not None:
        if not 1 <= config.num_layers <= encoder_config.num_hidden_layers:
            raise ValueError(f"num_layers must be 1..{encoder_config.num_hidden_layers}, got {config.num_layers}")
        encoder_config.num_hidden_layers = config.num_layers
    config.num_layers = encoder_config.num_hidden_layers
    config.encoder_source = config.encoder_source or encoder_dir
    if config.init == "pretrained":
        # float32 whatever the folder stores: training in half precision is autocast's job.
        encoder = AutoModel.from_pretrained(encoder_dir, config=encoder_config, add_pooling_layer=False,
                                            dtype=torch.float32)
    else:
        encoder = AutoModel.from_config(encoder_config, add_pooling_layer=False)
    if config.init == "embeddings":
        # A fresh encoder with the pretrained embedding rows copied in. Re-initialising the layers of
        # a loaded encoder does nothing in transformers 5: its init functions skip loaded weights.
        pretrained = AutoModel.from_pretrained(encoder_dir, config=encoder_config, add_pooling_layer=False,
                                               dtype=torch.float32)
        encoder.embeddings.load_state_dict(pretrained.embeddings.state_dict())
    return NerModel(config, encoder, CharVocab.for_encoder_folder(encoder_dir), stacked, stacked_vocab, partner)


def keep_first_layers(model: NerModel, num_layers: int) -> NerModel:
    """Cut a model's encoder to its first N layers, in place: the start of a smaller, faster
    variant that is then fine-tuned (the head learned on layer 12 re-learns on layer N)."""
    layers = model.encoder.encoder.layer
    if not 1 <= num_layers <= len(layers):
        raise ValueError(f"num_layers must be 1..{len(layers)}, got {num_layers}")
    model.encoder.encoder.layer = layers[:num_layers]
    model.encoder.config.num_hidden_layers = num_layers
    model.config.num_layers = num_layers
    return model


def extend_tags(model: NerModel, entity_types) -> NerModel:
    """Add B_/I_ tags for new entity types, in place: new rows in the linear layer and the CRF,
    every learned row and transition kept, so the model tags what it knew as before and learns
    the new types from the corrections that use them."""
    from torch import nn

    new_types = [t for t in entity_types if t not in model.entity_types]
    if not new_types:
        return model
    old, tags = len(model.tags), list(model.tags) + make_tags(new_types)[1:]
    linear = nn.Linear(model.classifier.in_features, len(tags)).to(model.classifier.weight.device)
    with torch.no_grad():
        linear.weight[:old] = model.classifier.weight
        linear.bias[:old] = model.classifier.bias
        # New tags start far below every old one, so the extended model tags as before until the
        # corrections teach it the new type (a zero row learns from the bias gradient first).
        linear.weight[old:] = 0.0
        linear.bias[old:] = model.classifier.bias.min() - 2.0
    model.classifier = linear
    if model.crf is not None:
        crf = CRF(len(tags)).to(model.crf.transitions.device)
        with torch.no_grad():
            crf.transitions[:old, :old] = model.crf.transitions
            crf.start_transitions[:old] = model.crf.start_transitions
            crf.end_transitions[:old] = model.crf.end_transitions
        model.crf = crf
    model.config.tags = tags
    return model

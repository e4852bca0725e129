"""The encoder's Linear layers on oneDNN, for CPU inference.

torch.utils.mkldnn.MkldnnLinear does the same arithmetic, but it is a TorchScript module: building
one parses its methods' source with ast.parse. The app builds taggers in a background thread while
Streamlit parses a page, and CPython 3.11 keeps the AST builder's recursion depth in one
interpreter-wide counter (gh-106905), so the two parses failed the page with "AST constructor
recursion depth mismatch" in fresh-clone CI. This plain module runs the same kernel and parses
nothing.
"""
from __future__ import annotations

import copy

import torch


class OneDnnLinear(torch.nn.Module):
    """A Linear layer's float32 weights in oneDNN's blocked layout; no gradients."""

    def __init__(self, dense: torch.nn.Linear):
        super().__init__()
        self.register_buffer("weight", dense.weight.detach().to_mkldnn(torch.float32))
        bias = dense.bias if dense.bias is not None else torch.zeros(dense.out_features)
        self.register_buffer("bias", bias.detach().to_mkldnn())
        self.in_features, self.out_features = dense.in_features, dense.out_features

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch._C._nn.mkldnn_linear(x.to_mkldnn(), self.weight, self.bias).to_dense()


def onednn_linears(model: torch.nn.Module, in_place: bool = False) -> torch.nn.Module:
    """The model (a copy unless in_place) with its encoder's Linear layers on oneDNN, float32.

    For inference only: the oneDNN layers keep their own copy of the weights and have no gradients.
    """
    if next(model.parameters()).device.type != "cpu":
        raise ValueError(f"oneDNN layers run on the CPU only, the model is on {next(model.parameters()).device}")
    model = model if in_place else copy.deepcopy(model)

    def swap(module: torch.nn.Module) -> None:
        for name, child in module.named_children():
            if type(child) is torch.nn.Linear:  # not subclasses such as quantised layers
                setattr(module, name, OneDnnLinear(child))
            else:
                swap(child)

    swap(model.encoder)
    return model

"""The Tagger's oneDNN Linear layers: the same numbers as torch's Linear, and built without parsing
any source (torch's MkldnnLinear, a TorchScript module, parsed its methods per layer)."""
import subprocess
import sys

import torch

from conftest import ROOT
from core.tagging.onednn import OneDnnLinear, onednn_linears


def test_a_onednn_layer_gives_torch_linears_numbers_for_batches_of_sentences():
    torch.manual_seed(0)
    for dense in (torch.nn.Linear(24, 40), torch.nn.Linear(24, 40, bias=False)):
        x = torch.randn(3, 7, 24)
        with torch.inference_mode():
            assert torch.allclose(OneDnnLinear(dense)(x), dense(x), atol=1e-5)


def test_only_the_encoders_linear_layers_move_and_the_callers_model_is_left_alone(tiny_model):
    from core.model.model import load_model

    model = load_model(tiny_model)
    swapped = onednn_linears(model)
    assert any(isinstance(m, OneDnnLinear) for m in swapped.encoder.modules())
    assert not any(isinstance(m, OneDnnLinear) for m in model.modules())
    assert type(swapped.classifier) is torch.nn.Linear


BUILD = """
import sys, torch
from core.tagging.onednn import OneDnnLinear
parsed = []
sys.addaudithook(lambda event, args: parsed.append(args[1]) if event == "compile" else None)
OneDnnLinear(torch.nn.Linear(4, 4))
print(parsed)
"""


def test_building_a_layer_parses_no_source():
    run = subprocess.run([sys.executable, "-c", BUILD], cwd=ROOT, capture_output=True, text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"

"""The app's background model load parses nothing in its thread: no module of ours is left to
compile (they are imported beforehand, ui/background_load.py) and no ast.parse runs (torch's
MkldnnLinear was a TorchScript module and parsed its methods per layer, core/tagging/onednn.py;
torch._dynamo parses builtins' signatures when imported). CPython 3.11's AST
builder keeps one interpreter-wide recursion counter, so a parse beside Streamlit's page parse
failed the page."""
import subprocess
import sys

import torch

from conftest import ROOT
from core.model.build import build_model
from core.model.combine import fold_in
from core.model.lac_convert import build_lac_folder
from core.model.model import NerConfig

CHECK = """
import ast
import sys
parsed, watching, real_parse = [], [], ast.parse
def recording_parse(source, filename="<unknown>", *args, **kwargs):  # what Streamlit's page parse races
    if watching:
        parsed.append(str(filename))
    return real_parse(source, filename, *args, **kwargs)
ast.parse = recording_parse
from ui.background_load import import_loader_modules
from core.tagging.lite import fastest_tagger
ours = lambda: {name for name in sys.modules if name.split(".")[0] in ("core", "ui", "storage")}
for folder in sys.argv[1:]:
    import_loader_modules(folder)  # as ui/background_load.start does, before the thread
    before, watching[:] = ours(), [folder]
    assert fastest_tagger(folder).tag("张三在北京工作").tags
    watching.clear()
    parsed += sorted(ours() - before)  # our modules compile on import: none may be left to the thread
print(sorted(set(parsed)))
"""


def test_loading_any_kind_of_model_parses_nothing_after_the_preimport(tiny_model, tiny_bert, tmp_path):
    lac = build_lac_folder(tmp_path / "lac")
    torch.manual_seed(0)
    fast = build_model(None, NerConfig(encoder_type="lac"), lac_dir=lac)
    stacked = build_model(tiny_bert, NerConfig(stack="lac"), lac_dir=lac)
    folders = [tiny_model, fast.save(tmp_path / "fast"), stacked.save(tmp_path / "stacked"),
               fold_in(stacked, fast, 0.5).save(tmp_path / "combined")]
    run = subprocess.run([sys.executable, "-c", CHECK, *map(str, folders)], cwd=ROOT, capture_output=True,
                         text=True)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"

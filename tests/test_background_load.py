"""The app's background model load imports none of our modules in its thread: they are imported
(compiled) beforehand, since CPython 3.11's compiler is not thread-safe (ui/background_load.py)."""
import subprocess
import sys

import torch

from conftest import ROOT
from core.model.build import build_model
from core.model.combine import fold_in
from core.model.lac_convert import build_lac_folder
from core.model.model import NerConfig

CHECK = """
import sys
from ui.background_load import import_loader_modules
import_loader_modules()
before = {name for name in sys.modules if name.split(".")[0] in ("core", "ui", "storage")}
from core.tagging.lite import fastest_tagger
for folder in sys.argv[1:]:
    assert fastest_tagger(folder).tag("张三在北京工作").tags
after = {name for name in sys.modules if name.split(".")[0] in ("core", "ui", "storage")}
print(sorted(after - before))
"""


def test_loading_any_kind_of_model_imports_nothing_new_after_the_preimport(tiny_model, tiny_bert, tmp_path):
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

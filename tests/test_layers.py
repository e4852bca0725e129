"""The layers: core/ is pure NER logic, storage/ knows SQL but no Streamlit, the app never imports
the training job (it launches it as a process through launcher.py)."""
import ast

import pytest

from conftest import ROOT

APP_FILES = ["app.py", *sorted(f"{folder}/{p.name}" for folder in ("ui", "screens") for p in (ROOT / folder).glob("*.py"))]
RULES = {
    "core": {"streamlit", "sqlite_utils", "sqlite3", "storage", "ui", "screens", "train_job", "launcher", "app"},
    "storage": {"streamlit", "ui", "screens", "train_job", "launcher", "app"},
}


def imported_modules(path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            names.append(node.module or "")
    return names


@pytest.mark.parametrize("layer", sorted(RULES))
def test_a_layer_imports_nothing_above_it(layer):
    offenders = [f"{path.relative_to(ROOT)}: {name}" for path in sorted((ROOT / layer).glob("*.py"))
                 for name in imported_modules(path) if name.split(".")[0] in RULES[layer]]
    assert offenders == []


def test_the_app_never_imports_the_training_job():
    offenders = [f"{name}: {module}" for name in APP_FILES for module in imported_modules(ROOT / name)
                 if module.split(".")[0] == "train_job"]
    assert offenders == []


def test_the_rules_see_every_module():
    """A rule that checks no file proves nothing: each layer has modules to check."""
    assert all(list((ROOT / layer).glob("*.py")) for layer in RULES) and len(APP_FILES) > 10

"""The layers: core/ is pure NER logic, storage/ knows SQL but no Streamlit, the app never imports
the training job (it launches it as a process through launcher/)."""
import ast
import os

import pytest

from conftest import ROOT


def modules_under(folder: str) -> list[str]:
    """Every .py file below folder, subpackages included, as a path relative to the repository."""
    return sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / folder).rglob("*.py"))


APP_FILES = ["app.py", *modules_under("ui"), *modules_under("screens")]
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
    offenders = [f"{path}: {name}" for path in modules_under(layer)
                 for name in imported_modules(ROOT / path) if name.split(".")[0] in RULES[layer]]
    assert offenders == []


def test_the_app_never_imports_the_training_job():
    offenders = [f"{name}: {module}" for name in APP_FILES for module in imported_modules(ROOT / name)
                 if module.split(".")[0] == "train_job"]
    assert offenders == []


def test_the_rules_see_every_module():
    """A rule that checks no file proves nothing: the files the rules read are every module on disk,
    found here by os.walk independently of the rules' own search, subpackages included."""
    on_disk = {os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/")
               for layer in ("core", "storage", "ui", "screens") for folder, _, names in os.walk(ROOT / layer)
               for name in names if name.endswith(".py")}
    checked = {path for layer in RULES for path in modules_under(layer)} | (set(APP_FILES) - {"app.py"})
    assert checked == on_disk
    assert any(path.count("/") > 1 for path in checked)  # a subpackage, e.g. ui/correct/span_editor/, is among them

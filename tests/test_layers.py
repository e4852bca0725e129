"""The layers: core/ is pure NER logic, storage/ knows SQL but no Streamlit, launcher/ owns processes,
the app never imports the training job (it launches it as a process through launcher/). Inside core/
the rooms stand in an order, each importing only from the rooms before it, and no module-level
import goes round in a circle."""
import ast
import os

import pytest

from conftest import ROOT


def modules_under(folder: str) -> list[str]:
    """Every .py file below folder, subpackages included, as a path relative to the repository."""
    return sorted(path.relative_to(ROOT).as_posix() for path in (ROOT / folder).rglob("*.py"))


APP_FILES = ["app.py", *modules_under("ui"), *modules_under("screens")]
ABOVE_STORAGE = {"streamlit", "ui", "screens", "train_job", "launcher", "app"}
RULES = {
    "core": {"sqlite_utils", "sqlite3", "storage", "service", *ABOVE_STORAGE},
    "storage": {"service", *ABOVE_STORAGE},
    "launcher": {"streamlit", "ui", "screens", "train_job", "app", "service"},
    "service": {"streamlit", "ui", "screens", "train_job", "app", "launcher"},  # above storage, beside the app
}
# core's rooms, lowest first: a module imports from its own room or from rooms before it. The root
# (labels, text, paths, atomic, threads) comes first; the command line (__main__, cli/) last.
CORE_ROOMS = ["", "model", "data", "scores", "tagging", "training", "cli"]


def imported_modules(path, top_level_only: bool = False) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    nodes = tree.body if top_level_only else ast.walk(tree)
    names = []
    for node in nodes:
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0:
            module = node.module or ""
            names += [module] + [f"{module}.{alias.name}" for alias in node.names]  # `from core import x` names core.x
    return names


def core_room(module: str) -> str:
    """The room of a core module name: core.data.corpora -> data, core.labels -> '' (the root)."""
    parts = module.split(".")
    if parts[1:2] == ["__main__"]:
        return "cli"
    return parts[1] if len(parts) > 1 and (ROOT / "core" / parts[1]).is_dir() else ""


def module_name(path: str) -> str:
    name = path.removesuffix(".py").replace("/", ".")
    return name.removesuffix(".__init__")


@pytest.mark.parametrize("layer", sorted(RULES))
def test_a_layer_imports_nothing_above_it(layer):
    offenders = [f"{path}: {name}" for path in modules_under(layer)
                 for name in imported_modules(ROOT / path) if name.split(".")[0] in RULES[layer]]
    assert offenders == []


def test_the_app_never_imports_the_training_job():
    offenders = [f"{name}: {module}" for name in APP_FILES for module in imported_modules(ROOT / name)
                 if module.split(".")[0] == "train_job"]
    assert offenders == []


def room_offenders() -> list[str]:
    offenders = []
    for path in modules_under("core"):
        room = core_room(module_name(path))
        for name in imported_modules(ROOT / path):
            if name.split(".")[0] == "core" and "." in name and name != "core.__main__":
                used = core_room(name)
                if used in CORE_ROOMS and CORE_ROOMS.index(used) > CORE_ROOMS.index(room):
                    offenders.append(f"{path} ({room or 'root'}): {name} ({used})")
    return offenders


def test_a_core_room_imports_only_from_the_rooms_before_it():
    assert room_offenders() == []


def test_the_room_rule_catches_an_arrow_back_up(tmp_path, monkeypatch):
    """data/ below training/: a data module that needs a training one is an arrow back up (the
    record a corpus reads into lives in data/ for that reason)."""
    import test_layers
    for room in ("data", "training"):
        (tmp_path / "core" / room).mkdir(parents=True)
    (tmp_path / "core" / "data" / "examples.py").write_text("from core.training.train import Example\n", encoding="utf-8")
    (tmp_path / "core" / "training" / "train.py").write_text("from core.data import examples\n", encoding="utf-8")
    monkeypatch.setattr(test_layers, "ROOT", tmp_path)
    assert room_offenders() == ["core/data/examples.py (data): core.training.train (training)",
                                "core/data/examples.py (data): core.training.train.Example (training)"]


def test_every_core_module_lives_in_a_known_room():
    assert {core_room(module_name(path)) for path in modules_under("core")} <= set(CORE_ROOMS)


def test_no_module_level_import_goes_round_in_a_circle():
    """Imports inside functions are left out: they run after every module has loaded."""
    modules = {module_name(path): ROOT / path for layer in [*RULES, "ui", "screens"] for path in modules_under(layer)}
    graph = {name: {used for used in imported_modules(path, top_level_only=True) if used in modules and used != name}
             for name, path in modules.items()}
    done, on_path, circles = set(), [], []

    def visit(name):
        if name in on_path:
            circles.append(on_path[on_path.index(name):] + [name])
            return
        if name in done:
            return
        on_path.append(name)
        for used in sorted(graph[name]):
            visit(used)
        on_path.pop()
        done.add(name)

    for name in sorted(graph):
        visit(name)
    assert circles == []


def test_the_circle_finder_finds_a_circle(tmp_path, monkeypatch):
    """The circle test proves nothing unless it can fail: two modules importing each other."""
    import test_layers
    (tmp_path / "core").mkdir()
    (tmp_path / "core" / "a.py").write_text("import core.b\n", encoding="utf-8")
    (tmp_path / "core" / "b.py").write_text("from core import a\n", encoding="utf-8")
    monkeypatch.setattr(test_layers, "ROOT", tmp_path)
    monkeypatch.setattr(test_layers, "RULES", {"core": set()})
    for folder in ("ui", "screens"):
        (tmp_path / folder).mkdir()
    with pytest.raises(AssertionError):
        test_no_module_level_import_goes_round_in_a_circle()


def top_level_packages() -> list[str]:
    """Every folder at the repository's top that is a Python package (an __init__.py), found by os.listdir."""
    return sorted(name for name in os.listdir(ROOT) if os.path.isfile(os.path.join(ROOT, name, "__init__.py")))


SCRIPT_FOLDERS = ["screens"]  # the pages st.navigation runs: modules without a package


def test_the_rules_see_every_module():
    """A rule that checks no file proves nothing: the files the rules read are every module of every
    top-level package on disk, found here by os.walk independently of the rules' own search,
    subpackages included. A new top-level package fails this until it gets a rule."""
    on_disk = {os.path.relpath(os.path.join(folder, name), ROOT).replace(os.sep, "/")
               for layer in top_level_packages() + SCRIPT_FOLDERS for folder, _, names in os.walk(ROOT / layer)
               for name in names if name.endswith(".py")}
    checked = {path for layer in RULES for path in modules_under(layer)} | (set(APP_FILES) - {"app.py"})
    assert checked == on_disk
    assert {"core", "storage", "launcher", "ui"} <= set(top_level_packages())
    assert any(path.count("/") > 1 for path in checked)  # a subpackage, e.g. ui/correct/span_editor/, is among them

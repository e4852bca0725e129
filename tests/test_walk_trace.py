"""bench/walk_trace.py, the tracer behind docs/ARCHITECTURE.md's walk figures, on a call chain small
enough to count by hand."""
import importlib.util
import sys

from conftest import ROOT

sys.path.insert(0, str(ROOT / "bench"))
from walk_trace import Trace, count  # noqa: E402

# a.py:outer -> (a library's json.loads, a skipped tests/ file) -> core/tagging/b.py:inner -> b.py:helper.
FILES = {
    "a.py": "import json\nimport b, relay\n\n"
            "def outer():\n    return json.loads('{}', object_hook=b.inner), relay.relay()\n",
    "core/tagging/b.py": "def inner(value=None):\n    return helper()\n\ndef helper():\n    return 1\n",
    "tests/relay.py": "import b\n\ndef relay():\n    return b.inner()\n",
}


def load(path, name):
    spec = importlib.util.spec_from_file_location(name, path)
    module = sys.modules[name] = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_tracer_counts_files_rooms_and_moves_of_a_two_file_chain(tmp_path):
    for name, text in FILES.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    load(tmp_path / "core" / "tagging" / "b.py", "b")
    load(tmp_path / "tests" / "relay.py", "relay")
    a = load(tmp_path / "a.py", "a")
    trace = Trace(tmp_path)
    trace.start()
    try:
        a.outer()
        a.outer()
    finally:
        trace.stop()
        for name in ("a", "b", "relay"):
            sys.modules.pop(name)
    trace.dump(tmp_path / "trace.json")
    counted = count([tmp_path / "trace.json"])

    assert counted["files"] == ["a.py", "core/tagging/b.py"]  # tests/relay.py left out, as a library is
    assert counted["rooms"] == ["a.py", "core/tagging/"]
    # One move, seen four times: through json's frames and through tests/relay.py the caller is still
    # a.py:outer; b.py calling its own helper is no move.
    assert counted["moves"] == [("a.py:outer", "core/tagging/b.py:inner")]
    assert trace.moves == {("a.py:outer", "core/tagging/b.py:inner"): 4}
    assert trace.files == {"a.py": 2, "core/tagging/b.py": 8}

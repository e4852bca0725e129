"""core/ holds pure NER logic: it must not import Streamlit or the storage layer."""
import ast

from conftest import ROOT

FORBIDDEN = {"streamlit", "sqlite_utils", "sqlite3", "storage", "ui", "screens"}


def test_core_imports_neither_streamlit_nor_sql():
    offenders = []
    for path in sorted((ROOT / "core").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module or ""] if isinstance(node, ast.ImportFrom) else []
            offenders += [f"{path.name}: {n}" for n in names if n.split(".")[0] in FORBIDDEN]
    assert offenders == []

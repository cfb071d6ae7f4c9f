"""Tests share builders through tests/factories.py (and tests/e2e/flows.py, conftest fixtures),
never by importing one another: a test module's helpers are not an interface (issue 18.6)."""

from __future__ import annotations

import ast
from pathlib import Path

TESTS = Path(__file__).parent


def test_no_test_module_imports_another():
    offenders = []
    for path in sorted(TESTS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = ([node.module or ""] if isinstance(node, ast.ImportFrom)
                     else [a.name for a in node.names] if isinstance(node, ast.Import) else [])
            offenders += [f"{path.relative_to(TESTS)}:{node.lineno} imports {name}"
                          for name in names if name.split(".")[-1].startswith("test_")]
    assert not offenders, "move shared builders to tests/factories.py:\n" + "\n".join(offenders)


def test_test_modules_have_unique_names():
    # The test folders are not packages: two modules of one name stop the whole run at collection.
    seen: dict[str, Path] = {}
    clashes = []
    for path in sorted(TESTS.rglob("test_*.py")):
        if path.name in seen:
            clashes.append(f"{seen[path.name].relative_to(TESTS)} and {path.relative_to(TESTS)}")
        seen[path.name] = path
    assert not clashes, "rename one of each pair: " + "; ".join(clashes)

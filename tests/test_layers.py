"""The layers import one way: service -> settings -> engine, and toolkit -> engine. A library never
imports the app, so each installs and works on its own (tests/test_distributions.py)."""

from __future__ import annotations

import ast

import pytest

from tests.servers import ROOT

# Each package, and the first-party packages it may import besides itself.
ALLOWED = {
    "flask_cors_asgi": set(),
    "cors_conformance": {"flask_cors_asgi"},
    "settings": {"flask_cors_asgi"},
    "service": {"settings", "flask_cors_asgi"},
}


def imported_packages(package: str) -> set[str]:
    found = set()
    for path in (ROOT / package).rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found |= {alias.name.split(".")[0] for alias in node.names}
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.add(node.module.split(".")[0])
    return found & (set(ALLOWED) | {"tests", "bench", "scripts"})


@pytest.mark.parametrize("package", list(ALLOWED))
def test_imports_point_one_way(package: str) -> None:
    assert imported_packages(package) - {package} <= ALLOWED[package]

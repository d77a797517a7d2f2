"""Starlette's, FastAPI's and Quart's layout beyond their public API is touched in one engine module,
`flask_cors_asgi/frameworks.py`, where each piece is named and tested against the framework
(tests/engine/test_framework_internals.py). No other engine module reaches into it: no frame walk,
no `sys.modules` lookup, no private or layout-bound Starlette import, no FastAPI or Quart import, no
scope key or attribute only Starlette's internals set."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from testing_support import ROOT

ENGINE = ROOT / "flask_cors_asgi"
HOME = ENGINE / "frameworks.py"

# Modules whose layout changes between releases: private ones, and the middleware Starlette builds
# around an app (the engine never instantiates them).
INTERNAL_MODULES = ("starlette._", "starlette.middleware.errors", "starlette.middleware.exceptions")
OPTIONAL_FRAMEWORKS = ("fastapi", "quart")
# Attributes and names of what Starlette and FastAPI build, read or patched.
INTERNAL_ATTRIBUTES = {
    "_getframe",
    "modules",  # sys.modules
    "middleware_stack",
    "build_middleware_stack",
    "effective_route_contexts",
    "iter_route_contexts",
    "error_response",
    "http_exception",
}
INTERNAL_STRINGS = {
    "starlette.exception_handlers",
    "app_root_path",
    "middleware_stack",
    "build_middleware_stack",
    "effective_route_contexts",
    "iter_route_contexts",
    "fastapi",
    "fastapi.routing",
    "quart",
}


# Scope keys Starlette's router sets, under names too common to look for anywhere but in a scope.
ROUTING_SCOPE_KEYS = {"router", "route"}


def reads_a_routing_key(node: ast.AST) -> bool:
    """`scope.get("route")`, `scope["router"]` and the like."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "get":
        target, key = node.func.value, node.args[0] if node.args else None
    elif isinstance(node, ast.Subscript):
        target, key = node.value, node.slice
    else:
        return False
    return (
        isinstance(target, ast.Name)
        and target.id == "scope"
        and isinstance(key, ast.Constant)
        and key.value in ROUTING_SCOPE_KEYS
    )


def docstrings(tree: ast.AST) -> set[int]:
    """The ids of the docstring nodes (prose may name what the code may not touch)."""
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def reaches(path: Path) -> list[str]:
    """What `path`'s code touches of the frameworks' internals, as `line: what`."""
    tree = ast.parse(path.read_text(), str(path))
    prose = docstrings(tree)
    found = []
    for node in ast.walk(tree):
        what = None
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
            what = next((n for n in names if n.startswith(INTERNAL_MODULES + OPTIONAL_FRAMEWORKS)), None)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            if node.module.startswith(INTERNAL_MODULES + OPTIONAL_FRAMEWORKS):
                what = node.module
        elif isinstance(node, ast.Attribute) and node.attr in INTERNAL_ATTRIBUTES:
            what = f".{node.attr}"
        elif isinstance(node, ast.Constant) and id(node) not in prose and node.value in INTERNAL_STRINGS:
            what = repr(node.value)
        if reads_a_routing_key(node):
            what = "a routing scope key"
        if what is not None:
            found.append(f"{node.lineno}: {what}")
    return found


@pytest.mark.parametrize(
    "path",
    [p for p in sorted(ENGINE.rglob("*.py")) if p != HOME],
    ids=lambda p: str(p.relative_to(ENGINE)),
)
def test_no_other_engine_module_reaches_into_the_frameworks(path: Path) -> None:
    assert reaches(path) == []


def test_the_check_sees_what_frameworks_py_does(tmp_path: Path) -> None:
    # The rule is not vacuous: the one module allowed to reach in is caught by it.
    seen = "\n".join(reaches(HOME))
    expected = ("._getframe", ".modules", "starlette.middleware.errors", "'middleware_stack'", "'fastapi'")
    for what in expected:
        assert what in seen
    example = 'def f(scope):\n    return scope.get("route"), scope["router"]\n'
    assert [line for line in seen.splitlines() if "routing scope key" in line] == []
    checked = tmp_path / "example.py"
    checked.write_text(example)
    assert reaches(checked) == ["2: a routing scope key", "2: a routing scope key"]

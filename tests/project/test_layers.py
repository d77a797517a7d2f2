"""The layers import one way: service -> settings -> engine, and toolkit -> engine. A library never
imports the app, so each installs and works on its own (tests/project/test_distributions.py). The
benchmarks and the tests share support code only through testing_support, never by importing tests/.
Across packages only the names a package's `__init__` exports (`__all__`) are imported, and no
package re-exports another's names as its own. The tests are laid out the same way: one folder per
layer, and a layer's tests import no other layer's tests (what two layers share is in
testing_support)."""

from __future__ import annotations

import ast
import importlib
from pathlib import Path

import pytest

import flask_cors_asgi
from testing_support import ROOT

# Each package, and the first-party packages it may import besides itself.
ALLOWED = {
    "flask_cors_asgi": set(),
    "cors_conformance": {"flask_cors_asgi"},
    "settings": {"flask_cors_asgi"},
    "service": {"settings", "flask_cors_asgi"},
    "testing_support": {"flask_cors_asgi", "cors_conformance", "settings"},
    "bench": {"flask_cors_asgi", "cors_conformance", "settings", "service", "testing_support"},
}
FIRST_PARTY = set(ALLOWED) | {"tests", "scripts"}


def imports(package: str) -> list[tuple[Path, int, str, list[str]]]:
    """(file, line, module, names) for every absolute import in `package`; names is empty for
    `import module`."""
    found = []
    for path in sorted((ROOT / package).rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(), str(path))):
            if isinstance(node, ast.Import):
                found += [(path, node.lineno, alias.name, []) for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                found.append((path, node.lineno, node.module, [alias.name for alias in node.names]))
    return found


def exported(package: str) -> set[str]:
    """The names `package/__init__.py` lists in `__all__`, read without importing it."""
    tree = ast.parse((ROOT / package / "__init__.py").read_text())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return set(ast.literal_eval(node.value))
    return set()


@pytest.mark.parametrize("package", list(ALLOWED))
def test_imports_point_one_way(package: str) -> None:
    used = {module.split(".")[0] for _, _, module, _ in imports(package)} & FIRST_PARTY
    assert used - {package} <= ALLOWED[package]


# Subpackages with a face of their own (an `__init__` with `__all__`), used like the package's.
PUBLIC_SUBPACKAGES = frozenset({"flask_cors_asgi.fetch"})
# Support code whose subject is a package's internals, as a test's is: the browser differential's
# harness compares real browsers with the toolkit's browser model, which the toolkit does not export.
INTERNALS_UNDER_TEST = frozenset({("testing_support/browser_differential.py", "cors_conformance.browser")})


@pytest.mark.parametrize("package", list(ALLOWED))
def test_other_packages_are_used_through_their_public_names_only(package: str) -> None:
    wrong = []
    for path, line, module, names in imports(package):
        top = module.split(".")[0]
        if top == package or top not in FIRST_PARTY:
            continue
        where = f"{path.relative_to(ROOT)}:{line}"
        if (str(path.relative_to(ROOT)), module) in INTERNALS_UNDER_TEST:
            continue
        if module in PUBLIC_SUBPACKAGES and names:
            wrong += [
                f"{where}: {module}.{name} is not in its __all__"
                for name in names
                if name not in exported(module.replace(".", "/"))
            ]
        elif module != top or not names:
            wrong.append(f"{where}: {module} (a module inside {top}; import from {top})")
        else:
            wrong += [
                f"{where}: {top}.{name} is not in {top}.__all__"
                for name in names
                if name not in exported(top)
            ]
    assert wrong == []


@pytest.mark.parametrize("package", ["cors_conformance", "settings", "service"])
def test_no_package_re_exports_the_engines_names(package: str) -> None:
    engine = {id(getattr(flask_cors_asgi, name)) for name in flask_cors_asgi.__all__ if name != "__version__"}
    module = importlib.import_module(package)
    assert [name for name in module.__all__ if id(getattr(module, name)) in engine] == []


def test_settings_do_not_alias_the_engines_defaults() -> None:
    # Flask-CORS's defaults are the engine's: whoever needs them imports flask_cors_asgi.DEFAULTS.
    aliases = []
    for path in sorted((ROOT / "settings").glob("*.py")):
        module = importlib.import_module(f"settings.{path.stem}" if path.stem != "__init__" else "settings")
        aliases += [
            f"{module.__name__}.{name}"
            for name, value in vars(module).items()
            if value is flask_cors_asgi.DEFAULTS and name != "DEFAULTS"
        ]
    assert aliases == []


# The test folders, one per layer; shared support lives in testing_support (bench uses it too).
TEST_LAYERS = ("engine", "toolkit", "settings", "service", "browsers", "project")


def test_every_test_file_lives_in_a_layer_folder() -> None:
    tests = ROOT / "tests"
    # Only the set-up that applies to every layer (the CI skip rule, the hermetic environment) stays
    # at the top.
    assert sorted(p.name for p in tests.glob("*.py")) == ["__init__.py", "conftest.py"]
    folders = {p.name for p in tests.iterdir() if p.is_dir() and not p.name.startswith((".", "_"))}
    assert folders == set(TEST_LAYERS)
    assert all((tests / layer / "__init__.py").is_file() for layer in TEST_LAYERS)


@pytest.mark.parametrize("layer", TEST_LAYERS)
def test_a_layers_tests_import_no_other_layers_tests(layer: str) -> None:
    # What two layers share goes to testing_support, so each layer's folder runs and reads alone.
    wrong = [
        f"{path.relative_to(ROOT)}:{line}: {module}"
        for path, line, module, names in imports(f"tests/{layer}")
        if module.split(".")[0] == "tests" and module.split(".")[:2] != ["tests", layer]
    ]
    assert wrong == []

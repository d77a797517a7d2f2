"""Flask-CORS's layering of options is written once, in the engine (`flask_cors_asgi.resolve_options`),
with one map of `CORS_*` keys (`CONFIG_KEYS`, `config_key`) and one "unknown option" check
(`unknown_names`). Outside the engine nothing restates them: no dict built over Flask-CORS's
defaults, no `CORS_` key spelled from an option name, no fuzzy match of option names of its own."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from flask_cors_asgi import CONFIG_KEYS, DEFAULTS, config_key, resolve_options, unknown_names
from testing_support import ROOT

# Every package but the engine.
PACKAGES = ("settings", "service", "cors_conformance", "bench", "testing_support")
# Close matches that are not option names: a target's attribute ("did you mean app?").
NOT_OPTIONS = {"cors_conformance/targets.py": {"get_close_matches"}}


def is_defaults(node: ast.AST) -> bool:
    return (isinstance(node, ast.Name) and node.id == "DEFAULTS") or (
        isinstance(node, ast.Attribute) and node.attr == "DEFAULTS"
    )


def restatements(path: Path) -> list[str]:
    """Where `path` restates the engine's reading of the options, as `line: what`."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Dict) and any(
            key is None and is_defaults(value) for key, value in zip(node.keys, node.values, strict=True)
        ):
            found.append(f"{node.lineno}: {{**DEFAULTS, ...}}")
        elif isinstance(node, ast.Call) and any(is_defaults(arg) for arg in node.args):
            if isinstance(node.func, ast.Name) and node.func.id == "dict":
                found.append(f"{node.lineno}: dict(DEFAULTS)")
        elif isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr) and is_defaults(node.left):
            found.append(f"{node.lineno}: DEFAULTS | ...")
        elif (
            isinstance(node, ast.JoinedStr)
            and node.values
            and isinstance(node.values[0], ast.Constant)
            and node.values[0].value == "CORS_"
            and len(node.values) > 1
        ):
            found.append(f'{node.lineno}: f"CORS_{{...}}"')
        elif isinstance(node, ast.Attribute) and node.attr == "get_close_matches":
            found.append(f"{node.lineno}: get_close_matches")
    return found


def files() -> list[Path]:
    return [path for package in PACKAGES for path in sorted((ROOT / package).rglob("*.py"))]


@pytest.mark.parametrize("path", files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_nothing_outside_the_engine_restates_its_reading_of_the_options(path: Path) -> None:
    allowed = NOT_OPTIONS.get(str(path.relative_to(ROOT)), set())
    assert [found for found in restatements(path) if found.split(": ", 1)[1] not in allowed] == []


def test_the_check_sees_each_restatement(tmp_path: Path) -> None:
    # The rule is not vacuous: each way of restating the layering or the key map is caught.
    source = tmp_path / "restated.py"
    source.write_text(
        "import difflib\n"
        "from flask_cors_asgi import DEFAULTS\n"
        "a = {**DEFAULTS, **options}\n"
        "b = dict(DEFAULTS)\n"
        "c = DEFAULTS | options\n"
        'd = {f"CORS_{name.upper()}": name for name in DEFAULTS}\n'
        "e = difflib.get_close_matches(name, names)\n"
    )
    assert [line.split(":")[0] for line in restatements(source)] == ["3", "4", "5", "6", "7"]


def test_the_key_map_is_flask_cors_config_options() -> None:
    # Flask-CORS's own CONFIG_OPTIONS list, and the option each key sets (its get_app_kwarg_dict).
    from flask_cors.core import CONFIG_OPTIONS

    assert set(CONFIG_KEYS) == set(CONFIG_OPTIONS)
    assert all(config_key(name) == key for key, name in CONFIG_KEYS.items())
    assert set(CONFIG_KEYS.values()) == set(DEFAULTS)


def test_the_unknown_option_check_names_the_closest_valid_one() -> None:
    # The shared CORS_ prefix alone is half of CORS_ZZZ: a cutoff above that suggests nothing.
    assert unknown_names(["CORS_ORIGIN", "CORS_ORIGINS", "CORS_ZZZ"], CONFIG_KEYS, cutoff=0.6) == {
        "CORS_ORIGIN": "CORS_ORIGINS",
        "CORS_ZZZ": None,
    }
    with pytest.raises(TypeError, match="did you mean 'origins'"):
        resolve_options({"origin": "*"})

"""The toolkit's two pages, held to the command: docs/toolkit-reference.md (every command, option,
exit status, the JSON schema, CI recipes) and docs/toolkit.md (the guide). Every `cors-conformance`
command either page shows exits with the status its comment gives; every option the command takes
is in the reference's table and synopsis, and nothing else is; every exit status the reference's
table documents is run; every JSON key table of the reference lists, in order, the keys of a real
document; every CI recipe step runs, on a Flask app and its port, the live one against the port
served on 127.0.0.1; every Python block runs; the guide's printed code is what `--code` prints."""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import re
import shlex
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from cors_conformance import console
from cors_conformance.cli import main, parser
from testing_support import ROOT, free_port, serving, uvicorn_command

REFERENCE = (ROOT / "docs" / "toolkit-reference.md").read_text()
GUIDE = (ROOT / "docs" / "toolkit.md").read_text()
SH = re.compile(r"```sh\n(.*?)```", re.DOTALL)
# `cors-conformance ARGS   # what it shows, exit N`
COMMAND = re.compile(r"^cors-conformance (.+?)\s+#(?: .*[:,])? exit (\d)$")


def section(page: str, heading: str) -> str:
    start = page.index(f"\n{heading}\n")
    end = page.find("\n## ", start + 1)
    return page[start : end if end != -1 else None]


SYNOPSIS = SH.findall(section(REFERENCE, "## Commands"))[0]


def command_lines(page: str) -> list[str]:
    """Every `cors-conformance` line of the page's sh blocks, but the reference's synopsis."""
    return [
        line
        for block in SH.findall(page)
        if block != SYNOPSIS
        for line in block.splitlines()
        if line.startswith("cors-conformance ")
    ]


def commands(page: str) -> list[tuple[str, int]]:
    return [(m[1], int(m[2])) for line in command_lines(page) if (m := COMMAND.match(line))]


def run(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as exit_:  # --version: argparse's own exit
        return int(exit_.code or 0)


README = (ROOT / "README.md").read_text()


@pytest.mark.parametrize("page", [REFERENCE, GUIDE, README], ids=["reference", "guide", "README"])
def test_every_command_says_its_exit_status(page: str) -> None:
    lines = command_lines(page)
    assert lines
    assert [line for line in lines if not COMMAND.match(line)] == []


@pytest.mark.parametrize(
    ("arguments", "status"),
    [pytest.param(*c, id=f"{page}:{c[0][:60]}") for page, text in (("reference", REFERENCE), ("guide", GUIDE))
     for c in commands(text)],
)  # fmt: skip
def test_each_command_exits_as_documented(
    capsys: pytest.CaptureFixture[str], arguments: str, status: int
) -> None:
    assert run(shlex.split(arguments)) == status
    err = capsys.readouterr().err.splitlines()
    if status == 2:
        assert len(err) == 1  # an error is one line
        assert err[0].startswith("cors-conformance: error: ")
    else:
        # Nothing on stderr but what a fetch: target tells of the strict options it runs with.
        assert all(line.startswith("fetch:") for line in err), err


def test_the_readmes_commands_are_the_guides() -> None:
    # The README shows a few of the guide's commands, run there.
    assert commands(README)
    assert set(commands(README)) <= set(commands(GUIDE))


def table(text: str, after: str) -> list[list[str]]:
    """The rows (cells stripped) of the first Markdown table after `after`, its header first."""
    lines = text[text.index(after) :].splitlines()
    start = next(n for n, line in enumerate(lines) if line.startswith("|"))
    rows = [line for line in lines[start:] if line.startswith("|")]
    rows = rows[: next((n for n, line in enumerate(rows) if line != lines[start + n]), len(rows))]
    return [[cell.strip() for cell in line[2:-2].split(" | ")] for n, line in enumerate(rows) if n != 1]


def test_every_documented_exit_status_is_run() -> None:
    head, *rows = table(REFERENCE, "## Exit statuses")
    none = "\N{EN DASH}"  # a status the command never exits with
    documented = {
        (command.strip("`"), int(row[0]))
        for row in rows
        for command, cell in zip(head[1:], row[1:], strict=True)
        if cell != none
    }
    shown = {
        (arguments.split()[0], status)
        for arguments, status in commands(section(REFERENCE, "## Exit statuses"))
    }
    assert documented == {pair for pair in shown if not pair[0].startswith("--")}
    assert ("--version", 0) in shown


def test_without_httpx_the_command_says_to_install_the_extra(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The reference documents it: every command exits 2 with one line naming the extra.
    monkeypatch.setattr(console, "find_spec", lambda name: None)
    assert console.main(["probe", "asgi:testing_support.misconfigured:suffix"]) == 2
    assert capsys.readouterr().err == console.MISSING + "\n"
    assert "[conformance]" in console.MISSING
    assert "exits 2" in section(REFERENCE, "## Exit statuses")


def options_of(command: argparse.ArgumentParser) -> set[str]:
    return {o for action in command._actions for o in action.option_strings if o.startswith("--")} - {
        "--help"
    }


def subcommands() -> dict[str, argparse.ArgumentParser]:
    main_parser = parser()
    (choices,) = [a.choices for a in main_parser._actions if isinstance(a, argparse._SubParsersAction)]
    return {"(none)": main_parser, **choices}


def test_every_option_is_in_the_options_table_with_its_commands() -> None:
    documented: dict[str, set[str]] = {}
    every = {"probe", "diff", "explain", "from-flask"}
    for option, used_by, _ in table(REFERENCE, "### Options")[1:]:
        names = every if used_by == "every command" else set(used_by.split(", "))
        for name in names:
            documented.setdefault(name, set()).add(option.strip("`").split()[0])
    assert documented == {name: options_of(command) for name, command in subcommands().items()}


def test_the_synopsis_shows_every_option_of_each_command() -> None:
    for name, command in subcommands().items():
        if name == "(none)":
            continue
        (line,) = [line for line in SYNOPSIS.splitlines() if line.split()[1] == name]
        assert set(re.findall(r"--[a-z0-9-]+", line)) == options_of(command), name


# --- JSON: each table of the reference's "JSON output" is the keys of a real document, in order --


def printed(*argv: str) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        main([*argv, "--json"])
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


@pytest.fixture(scope="module")
def documents() -> dict[str, dict[str, Any]]:
    suffix = ("asgi:testing_support.misconfigured:suffix", "--origin", "https://shop.example")
    return {
        "probe": printed("probe", *suffix),
        # A regex origin: a configured pattern to show.
        "patterns": printed(
            "probe", "asgi:testing_support.cors_corpus:regex_groups_port", "--fail-on", "none"
        ),
        "diff": printed("diff", suffix[0], "asgi:testing_support.misconfigured:prefix", *suffix[1:]),
        "explain": printed("explain", suffix[0], "--path", "/api/data", *suffix[1:], "--method", "GET"),
        # A resource open to every origin: a problem (E005) to show, and two strict proposals.
        "from-flask": printed("from-flask", "wsgi:testing_support.flask_corpus:compiled_resources_app"),
    }


def examples(documents: dict[str, dict[str, Any]]) -> dict[str, list[str]]:
    """Each table's title (the bold text above it) and the keys of a real document it describes."""
    probe, diff, from_flask = documents["probe"], documents["diff"], documents["from-flask"]
    for document, key in ((probe, "findings"), (diff, "differences"), (from_flask, "problems")):
        assert document[key], key  # an empty list would check nothing
    finding = list(probe["findings"][0])
    assert list(diff["findings"][0]) == [*finding, "side"]
    assert list(diff["differences"][0]["a"]) == list(probe["observations"][0])
    return {
        "`probe --json`": list(probe),
        "`coverage`": list(probe["coverage"]),
        "A configured pattern": list(documents["patterns"]["coverage"]["configured_patterns"][0]),
        "`app_output`": list(probe["app_output"]),
        "A finding": list(diff["findings"][0]),
        "A policy row": list(probe["policy"][0]),
        "An observation": list(probe["observations"][0]),
        "`diff --json`": list(diff),
        "A difference": list(diff["differences"][0]),
        "`explain --json`": list(documents["explain"]),
        "`from-flask --json`": list(from_flask),
        "A problem": list(from_flask["problems"][0]),
        "A strict proposal": list(from_flask["strict"][0]),
    }


def json_tables() -> dict[str, list[str]]:
    """Every table of the JSON section: its bold title, and the keys of its first column."""
    text = section(REFERENCE, "## JSON output (`schema_version` 1)")
    found = {}
    for title, rows in re.findall(r"^\*\*(.+?)\*\*[^\n]*\n\n((?:\|[^\n]*\n)+)", text, re.MULTILINE):
        found[title] = re.findall(r"^\| `([^`]+)` \|", rows, re.MULTILINE)
    assert text.count("\n| key | value |") == len(found)  # no table without a title
    return found


def test_every_json_table_lists_the_printed_keys(documents: dict[str, dict[str, Any]]) -> None:
    assert json_tables() == examples(documents)
    assert {document["schema_version"] for document in documents.values()} == {1}


# --- CI recipes: each step runs on a Flask app and its port ------------------------------------

LEGACY = """
from flask import Flask
from flask_cors import CORS

app = Flask(__name__)
CORS(app, resources={r"/api/*": {"origins": ["https://shop.example"]}}, supports_credentials=True)


@app.route("/api/orders", methods=["GET", "POST"])
def orders():
    return {"orders": []}
"""
PORT = """
from fastapi import FastAPI

from flask_cors_asgi import CORSMiddleware


def create_app() -> FastAPI:
    app = FastAPI()
    app.add_middleware(
        CORSMiddleware,
        resources={r"/api/*": {"origins": ["https://shop.example"]}},
        supports_credentials=True,
    )

    @app.get("/api/orders")
    @app.post("/api/orders")
    async def orders() -> dict[str, list[int]]:
        return {"orders": []}

    return app
"""
RECIPES = section(REFERENCE, "## CI recipes")
STEPS = re.findall(r"^\s+- run: (cors-conformance .+)$", RECIPES, re.MULTILINE)
LIVE = "https://api.shop.example"


@pytest.fixture(scope="module")
def project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("ci_project")
    for package, source in (("legacy", LEGACY), ("myapp", PORT)):
        (root / package).mkdir()
        (root / package / "__init__.py").write_text("")
        (root / package / ("app.py" if package == "legacy" else "main.py")).write_text(source)
    return root


@pytest.fixture(scope="module")
def live(project: Path) -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(
        uvicorn_command("myapp.main:create_app", port, "--factory"), f"{url}/openapi.json", cwd=project
    ):
        yield url


def test_the_recipes_have_steps() -> None:
    assert len(STEPS) >= 3
    assert any(LIVE in step for step in STEPS)


@pytest.mark.parametrize("step", STEPS)
def test_each_ci_step_passes_on_a_faithful_port(
    project: Path, live: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], step: str
) -> None:
    monkeypatch.chdir(project)
    arguments, _, redirect = step.split("#")[0].partition(" > ")
    argv = shlex.split(arguments.replace(LIVE, live))[1:]
    assert main(argv) == 0
    out = capsys.readouterr().out
    assert out
    if redirect:
        (project / redirect.strip()).write_text(out)


@pytest.mark.parametrize("source", re.findall(r"```python\n(.*?)```", RECIPES, re.DOTALL))
def test_each_ci_python_step_runs(project: Path, monkeypatch: pytest.MonkeyPatch, source: str) -> None:
    monkeypatch.chdir(project)
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, "docs/toolkit-reference.md", "exec"), {"__name__": "toolkit_reference_docs"})


def test_no_other_python_block_in_the_reference() -> None:
    assert len(re.findall(r"```python\n", REFERENCE)) == len(re.findall(r"```python\n", RECIPES))


# --- the guide --------------------------------------------------------------------------------


def test_the_guides_printed_code_is_what_from_flask_prints(capsys: pytest.CaptureFixture[str]) -> None:
    (shown,) = re.findall(r"```python\n(.*?)```", GUIDE, re.DOTALL)
    assert main(["from-flask", "wsgi:testing_support.flask_corpus:blueprint_app", "--code"]) == 0
    assert capsys.readouterr().out == shown
    namespace: dict[str, Any] = {"app": Starlette()}
    exec(compile(shown, "docs/toolkit.md", "exec"), namespace)  # it runs as pasted
    assert len(namespace["app"].user_middleware) == 1
    assert callable(namespace["cors_api_blueprint"])


def test_the_findings_table_has_every_check_and_x01_x02_show_without_forgery(
    capsys: pytest.CaptureFixture[str],
) -> None:
    from cors_conformance import forgery
    from cors_conformance.findings import CLASSES

    text = section(REFERENCE, "## Findings")
    shown_by = dict(re.findall(r"^\| ([CX]\d\d) \|[^|]*\| ([^|]*) \|", text, re.MULTILINE))
    assert set(shown_by) == {check.id for check in [*CLASSES.values(), *forgery.CHECKS.values()]}
    # The rows say a default probe shows X01 and X02 (--forgery only adds requests): it does.
    found = set()
    for target in ("unprotected", "broad"):
        main(["probe", f"asgi:testing_support.protection_app:{target}", "--json"])
        found |= {f["id"] for f in json.loads(capsys.readouterr().out)["findings"]}
    assert found >= {"X01", "X02"}
    assert shown_by["X01"].startswith("probe (")
    assert shown_by["X02"].startswith("probe (")

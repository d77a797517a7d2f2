"""docs/toolkit.md, run as written: each `cors-conformance` command exits with the status its
comment gives, each Python block runs, and the JSON keys it documents are the keys printed."""

from __future__ import annotations

import contextlib
import io
import json
import re
import shlex
from typing import Any

import pytest

from cors_conformance.cli import main
from testing_support import ROOT

PAGE = (ROOT / "docs" / "toolkit.md").read_text()
EXAMPLES = PAGE[PAGE.index("## Examples") :]
COMMAND = re.compile(r"^cors-conformance (.+?)\s+# exit (\d)$", re.MULTILINE)


def commands() -> list[tuple[str, int]]:
    blocks = re.findall(r"```sh\n(.*?)```", EXAMPLES, re.DOTALL)
    return [(m[1], int(m[2])) for block in blocks for m in COMMAND.finditer(block)]


def test_the_examples_cover_every_exit_status() -> None:
    assert {status for _, status in commands()} == {0, 1, 2}


@pytest.mark.parametrize(("arguments", "status"), commands())
def test_each_command_exits_as_documented(
    capsys: pytest.CaptureFixture[str], arguments: str, status: int
) -> None:
    assert main(shlex.split(arguments)) == status
    err = capsys.readouterr().err
    assert err.count("\n") == (1 if status == 2 else 0)  # an error is one line; nothing else on stderr


@pytest.mark.parametrize("source", re.findall(r"```python\n(.*?)```", PAGE, re.DOTALL))
def test_each_python_example_runs(source: str) -> None:
    with contextlib.redirect_stdout(io.StringIO()):
        exec(compile(source, "docs/toolkit.md", "exec"), {"__name__": "toolkit_docs"})


def documented_keys(heading: str) -> list[str]:
    """The keys of the table under `heading` (e.g. "`probe --json`:")."""
    table = PAGE[PAGE.index(heading) :].split("\n\n")[1]
    return re.findall(r"^\| `([^`]+)` \|", table, re.MULTILINE)


def printed(*argv: str) -> dict[str, Any]:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        main([*argv, "--json"])
    document: dict[str, Any] = json.loads(out.getvalue())
    return document


def test_the_documented_json_keys_are_the_printed_ones() -> None:
    probe = printed("probe", "asgi:testing_support.misconfigured:suffix", "--origin", "https://shop.example")
    assert documented_keys("`probe --json`:") == list(probe)
    assert documented_keys("`coverage`:") == list(probe["coverage"])
    diff = printed("diff", "asgi:testing_support.misconfigured:suffix",
                   "asgi:testing_support.misconfigured:prefix",
                   "--origin", "https://shop.example")  # fmt: skip
    assert documented_keys("`diff --json`:") == list(diff)
    explain = printed("explain", "asgi:testing_support.misconfigured:suffix", "--path", "/api/data",
                      "--origin", "https://shop.example", "--method", "GET")  # fmt: skip
    assert documented_keys("`explain --json`:") == list(explain)
    from_flask = printed("from-flask", "wsgi:testing_support.flask_corpus:blueprint_app")
    assert documented_keys("`from-flask --json`:") == list(from_flask)

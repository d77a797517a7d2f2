"""The toolkit reference's JSON shapes (docs/toolkit-reference.md, "JSON output") are what the
command prints: the keys each table of the page lists are the keys of a real finding, a real
observation and a real `probe` document, so a change to the output fails here until the page
follows."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from cors_conformance.cli import main
from testing_support import ROOT

PAGE = (ROOT / "docs" / "toolkit-reference.md").read_text()
# An unanchored regex origin: Flask-CORS matches a prefix, so the probe has a finding to show.
APP = """
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from flask_cors_asgi import CORSMiddleware


async def hello(request):
    return PlainTextResponse("hello")


app = Starlette(
    routes=[Route("/api/hello", hello)],
    middleware=[Middleware(CORSMiddleware, origins=[r"https://shop\\.example"], supports_credentials=True)],
)
"""


def documented_keys(title: str) -> set[str]:
    """The keys in the first column of the table under the bold `title`."""
    table = PAGE[PAGE.index(f"**{title}**") :].split("\n\n")[1]
    keys: set[str] = set()
    for row in table.splitlines()[2:]:
        keys |= set(re.findall(r"`([a-z_]+)`", row.split("|")[1]))
    return keys


@pytest.fixture
def probed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> dict[str, object]:
    (tmp_path / "docs_json_target.py").write_text(APP)
    monkeypatch.chdir(tmp_path)
    assert main(["probe", "asgi:docs_json_target:app", "--json", "--fail-on", "none"]) == 0
    document: dict[str, object] = json.loads(capsys.readouterr().out)
    return document


def test_a_probe_document_has_the_documented_keys(probed: dict[str, object]) -> None:
    shown = re.search(r"\*\*`probe`\*\*: `\{(.*?)\}`", PAGE, re.DOTALL)
    assert shown is not None
    assert set(probed) == set(re.findall(r'"([a-z_]+)"', shown[1]))


def test_a_finding_has_the_documented_keys(probed: dict[str, object]) -> None:
    findings = probed["findings"]
    assert isinstance(findings, list)
    assert findings
    assert set(findings[0]) == documented_keys("A finding")


def test_an_observation_has_the_documented_keys(probed: dict[str, object]) -> None:
    observations = probed["observations"]
    assert isinstance(observations, list)
    assert observations
    assert set(observations[0]) == documented_keys("An observation")

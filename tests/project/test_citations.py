"""No comment, docstring, test name or page cites a document that is not in the repository: the
behaviour the code matches is Flask-CORS's own, named in words (what Flask-CORS does), never by the
numbered sections of a behaviour document kept elsewhere."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from testing_support import ROOT

# "R5.3"-style section numbers, the document's name, and its catalogue ids (E1..E99; the problem
# ids E000..E999 of the audit and the settings have three digits and are ours).
CITATION = re.compile(r"\bR\d+\.\d+\b|flask-cors-behaviour|\bE\d{1,2}\b(?!\d)")
FOLDERS = (
    "flask_cors_asgi",
    "cors_conformance",
    "settings",
    "service",
    "testing_support",
    "bench",
    "scripts",
    "tests",
    "docs",
)


def files() -> list[Path]:
    found = [ROOT / "README.md", ROOT / "CHANGELOG.md"]
    for folder in FOLDERS:
        found += [p for p in (ROOT / folder).rglob("*") if p.suffix in (".py", ".md") and p != Path(__file__)]
    return sorted(found)


@pytest.mark.parametrize("path", files(), ids=lambda path: str(path.relative_to(ROOT)))
def test_no_citation_of_an_absent_document(path: Path) -> None:
    cited = [
        f"{n}: {line.strip()}"
        for n, line in enumerate(path.read_text().splitlines(), 1)
        if CITATION.search(line)
    ]
    assert cited == []

"""The README's links resolve in a clone: every relative link names a file of the repository, every
anchor a heading, and nothing points outside the repository."""

from __future__ import annotations

import re

import pytest

from tests.servers import ROOT

README = (ROOT / "README.md").read_text()
LINKS = re.findall(r"\]\(([^)\s]+)\)", README)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


ANCHORS = {slug(line.lstrip("#")) for line in README.splitlines() if line.startswith("#")}


@pytest.mark.parametrize("target", [t for t in LINKS if not t.startswith(("http://", "https://"))])
def test_a_relative_link_resolves(target: str) -> None:
    path, _, anchor = target.partition("#")
    if path:
        assert (ROOT / path).resolve().is_relative_to(ROOT)
        assert (ROOT / path).exists()
    else:
        assert anchor in ANCHORS


def test_nothing_points_outside_the_repository() -> None:
    assert "../" not in README

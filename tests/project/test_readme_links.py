"""The README's links resolve in a clone: every relative link names a file of the repository, every
anchor a heading (of the README, or of the docs page it names), and nothing points outside the
repository. (tests/project/test_docs.py checks the links of the docs pages.)"""

from __future__ import annotations

import re

import pytest

from testing_support import ROOT

README = (ROOT / "README.md").read_text()
LINKS = re.findall(r"\]\(([^)\s]+)\)", README)


def slug(heading: str) -> str:
    """GitHub's anchor for a heading: lower case, punctuation dropped, spaces as hyphens."""
    return re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")


def anchors(text: str) -> set[str]:
    text = re.sub(r"^```.*?^```", "", text, flags=re.MULTILINE | re.DOTALL)
    return {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


ANCHORS = anchors(README)


@pytest.mark.parametrize("target", [t for t in LINKS if not t.startswith(("http://", "https://"))])
def test_a_relative_link_resolves(target: str) -> None:
    path, _, anchor = target.partition("#")
    if path:
        assert (ROOT / path).resolve().is_relative_to(ROOT)
        assert (ROOT / path).exists()
        if anchor:
            assert anchor in anchors((ROOT / path).read_text())
    else:
        assert anchor in ANCHORS


def test_the_readme_stays_a_front_door() -> None:
    # What it is, install, one example per part, the two commands, links: the rest is in docs/.
    assert len(README.splitlines()) <= 200
    assert {
        "docs/getting-started.md",
        "docs/engine.md",
        "docs/toolkit-reference.md",
        "docs/service.md",
    } <= set(LINKS)


def test_nothing_points_outside_the_repository() -> None:
    assert "../" not in README

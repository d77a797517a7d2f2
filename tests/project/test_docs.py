"""The docs site's pages (docs/*.md, built by MkDocs): every fenced Python example runs as written,
each as a module of its own, unless an HTML comment just before it says why it cannot
(`<!-- not run: the reason -->`); every page is in the site's navigation; every link between pages
resolves to a page and a heading, and nothing links outside the site. (`./scripts/test` also builds
the site with `mkdocs build --strict`.)"""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path

import pytest

from testing_support import ROOT

DOCS = ROOT / "docs"
PAGES = sorted(DOCS.glob("*.md"))
FENCE = re.compile(r"^```(\w*)[^\n]*\n(.*?)^```\s*$", re.MULTILINE | re.DOTALL)
NOT_RUN = re.compile(r"<!--\s*not run:\s*(.*?)\s*-->\s*$", re.DOTALL)
LINK = re.compile(r"\]\(([^)\s]+)\)")


def python_blocks(page: Path) -> list[tuple[int, str, str | None]]:
    """(line, source, the reason it is not run or None) for each fenced python block of `page`."""
    text = page.read_text()
    found = []
    for match in FENCE.finditer(text):
        if match[1] != "python":
            continue
        before = text[: match.start()].rstrip()
        reason = NOT_RUN.search(before[before.rfind("\n\n") + 1 :] if "\n\n" in before else before)
        found.append((text.count("\n", 0, match.start()) + 1, match[2], reason[1] if reason else None))
    return found


# Pages whose examples a test of their own runs, each against the Flask original or with its own
# assertions (and, for Django, the process-wide settings set up once): not run a second time here.
RUN_BY = {
    "frameworks.md": "test_docs_frameworks.py",
    "migration.md": "test_docs_migration.py",
    "engine-shapes.md": "test_engine_shapes_doc.py",
    "fetch-profile.md": "test_fetch_docs.py",  # one tutorial: its blocks run in order
    "toolkit.md": "test_toolkit_docs.py",  # the code from-flask prints, compared with real output
    "toolkit-reference.md": "test_toolkit_docs.py",  # CI recipes: run in a project of their own
    "cross-origin-protection.md": "test_docs_protection.py",
    "dynamic-origins.md": "test_docs_dynamic_origins.py",
}
BLOCKS = [
    (page, line, source, reason)
    for page in PAGES
    if page.name not in RUN_BY
    for line, source, reason in python_blocks(page)
]


def slug(heading: str) -> str:
    """The anchor MkDocs (Python-Markdown's toc) gives a heading; GitHub's is the same for ours."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"[-\s]+", "-", text)


def anchors(page: Path) -> set[str]:
    text = FENCE.sub("", page.read_text())
    return {slug(line.lstrip("#")) for line in text.splitlines() if line.startswith("#")}


def nav_files() -> list[str]:
    return re.findall(r":\s*([\w./-]+\.md)\s*$", (ROOT / "mkdocs.yml").read_text(), re.MULTILINE)


def test_there_are_examples_to_run() -> None:
    assert sum(reason is None for *_, reason in BLOCKS) >= 5


@pytest.mark.parametrize(("page", "test"), RUN_BY.items())
def test_pages_run_elsewhere_have_their_test(page: str, test: str) -> None:
    assert python_blocks(DOCS / page), page
    (path,) = (ROOT / "tests").rglob(test)  # by name: the layer folder it lives in does not matter here
    assert page in path.read_text(), f"{test} does not read {page}"


@pytest.mark.parametrize(
    ("page", "line", "source", "reason"),
    [pytest.param(*block, id=f"{block[0].name}:{block[1]}") for block in BLOCKS],
)
def test_a_python_example_runs_as_written(page: Path, line: int, source: str, reason: str | None) -> None:
    if reason is not None:
        assert reason, "a block that is not run says why"
        return
    # A module of its own, importable by name while it runs (Litestar and pydantic look their
    # annotations up through sys.modules).
    module = types.ModuleType(f"docs_{page.stem.replace('-', '_')}_{line}")
    sys.modules[module.__name__] = module
    try:
        exec(compile(source, f"{page.relative_to(ROOT)}:{line}", "exec"), module.__dict__)
    finally:
        del sys.modules[module.__name__]


def test_every_page_is_in_the_navigation_and_every_entry_is_a_page() -> None:
    listed = nav_files()
    assert sorted(listed) == sorted(page.name for page in PAGES)
    assert len(listed) == len(set(listed))


@pytest.mark.parametrize("page", PAGES, ids=lambda page: page.name)
def test_every_link_resolves_within_the_site(page: Path) -> None:
    for target in LINK.findall(FENCE.sub("", page.read_text())):
        if target.startswith(("http://", "https://")):
            continue
        path, _, anchor = target.partition("#")
        linked = (page.parent / path).resolve() if path else page
        assert linked.is_relative_to(DOCS), f"{page.name}: {target} leaves the site"
        assert linked.is_file(), f"{page.name}: {target} names no file"
        if anchor:
            assert anchor in anchors(linked), f"{page.name}: {target} names no heading"

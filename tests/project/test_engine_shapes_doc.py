"""docs/engine-shapes.md, run as written: each "# Flask original" block and the "# Port" block after
it are complete modules whose `app` must give the same answers (testing_support/differential.py's contract)
to requests from several origins, preflights and errors included;
every other Python block runs and its assertions hold. (The request-hook pairs are the migration
guide's: tests/project/test_docs_migration.py.)"""

from __future__ import annotations

import re
from typing import Any

import pytest

from testing_support import ROOT, Req, compare, is_automatic_options, send_asgi_sync, send_flask
from tests.project.test_docs_migration import heading_id

PAGE = ROOT / "docs" / "engine-shapes.md"
ORIGINS = ("https://app.example", "https://admin.example", "https://evil.example")
METHODS = ("GET", "POST", "PUT", "DELETE")


def blocks() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.DOTALL)


def pairs() -> list[tuple[str, str]]:
    found = blocks()
    return [
        (source, found[index + 1])
        for index, source in enumerate(found)
        if source.startswith("# Flask original") and found[index + 1].startswith("# Port")
    ]


def app_of(source: str) -> Any:
    namespace: dict[str, Any] = {"__name__": "engine_shapes_example"}
    exec(compile(source, str(PAGE), "exec"), namespace)
    return namespace["app"]


# The paths each pair is asked about, in the page's order: its routes (7 for a path parameter) and a
# missing path under each prefix.
PATHS = [
    ["/admin/users/7", "/admin/users/x", "/admin/missing", "/api/orders", "/api/missing"],
    ["/admin/users", "/admin/missing", "/api/orders", "/api/missing", "/other"],
    ["/api/profile", "/api/public", "/api/missing"],
]


def requests_for(paths: list[str]) -> list[Req]:
    """Each method from each origin, a preflight, and no Origin."""
    found = []
    for path in paths:
        for origin in ORIGINS:
            for method in METHODS:
                found.append(Req(method, path, {"Origin": origin}))
            preflight = {
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "x-api-key",
            }
            found.append(Req("OPTIONS", path, {"Origin": origin, **preflight}))
        found.append(Req("GET", path, {}))
    return found


def test_the_page_has_its_three_pairs() -> None:
    assert len(pairs()) == len(PATHS)


@pytest.mark.parametrize("index", range(len(PATHS)))
def test_each_port_answers_as_its_flask_original(index: int) -> None:
    flask_source, port_source = pairs()[index]
    reference, port = app_of(flask_source), app_of(port_source)
    problems = []
    answered_with_cors = False
    for request in requests_for(PATHS[index]):
        expected = send_flask(reference, request)
        answered_with_cors |= bool(expected.header("access-control-allow-origin"))
        automatic = is_automatic_options(request, expected)
        found = compare(expected, send_asgi_sync(port, request), automatic_options=automatic)
        if found:
            problems.append(f"{request.method} {request.path} {dict(request.headers)}: {found}")
    assert problems == []
    assert answered_with_cors  # the requests reach the policies, not only 404s


def test_the_other_blocks_run() -> None:
    others = [b for b in blocks() if not b.startswith(("# Flask original", "# Port"))]
    assert others
    for source in others:
        exec(compile(source, str(PAGE), "exec"), {"__name__": "engine_shapes_example"})


def test_the_links_into_the_guide_land_on_its_sections() -> None:
    guide = PAGE.with_name("migration.md").read_text()
    anchors = {heading_id(title) for title in re.findall(r"^#+ (.+)$", guide, flags=re.MULTILINE)}
    links = re.findall(r"\(migration\.md#([^)]+)\)", PAGE.read_text())
    assert links
    assert set(links) <= anchors

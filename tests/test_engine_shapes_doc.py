"""docs/engine-shapes.md, run as written: each "# Flask original" block and the "# Port" block after
it are complete modules whose `app` must give the same answers (tests/differential.py's contract)
to requests from several origins, with and without an API key, preflights and errors included;
every other Python block runs and its assertions hold."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.differential import Req, compare, is_automatic_options, send_asgi_sync, send_flask
from tests.servers import ROOT

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
    ["/api/items", "/api/missing"],
    ["/api/items", "/api/missing"],
    ["/api/items", "/api/missing"],
]


def requests_for(paths: list[str]) -> list[Req]:
    """Each method from each origin, with and without the API key, a preflight, and no Origin."""
    found = []
    for path in paths:
        for origin in ORIGINS:
            for key in ({}, {"X-Api-Key": "secret"}):
                for method in METHODS:
                    found.append(Req(method, path, {"Origin": origin, **key}))
                preflight = {
                    "Access-Control-Request-Method": "PUT",
                    "Access-Control-Request-Headers": "x-api-key",
                }
                found.append(Req("OPTIONS", path, {"Origin": origin, **key, **preflight}))
        found.append(Req("GET", path, {}))
    return found


def test_the_page_has_its_six_pairs() -> None:
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


def test_difference_a_before_request_hook_that_rejects_preflights() -> None:
    # Flask runs before_request for its automatic OPTIONS answer; the port's CORSMiddleware answers
    # that preflight before a middleware inside it, so the rejection is Flask's alone.
    flask_source, port_source = pairs()[3]
    assert "def require_key" in flask_source
    rejecting_flask = flask_source.replace('flask.request.method != "OPTIONS" and ', "")
    rejecting_port = port_source.replace(' and scope["method"] != "OPTIONS"', "")
    assert (rejecting_flask, rejecting_port) != (flask_source, port_source)
    request = Req("OPTIONS", "/api/items", {"Origin": ORIGINS[0], "Access-Control-Request-Method": "PUT"})
    reference = send_flask(app_of(rejecting_flask), request)
    port = send_asgi_sync(app_of(rejecting_port), request)
    assert (reference.status, port.status) == (403, 200)
    assert (
        reference.header("access-control-allow-origin")
        == port.header("access-control-allow-origin")
        == [ORIGINS[0]]
    )

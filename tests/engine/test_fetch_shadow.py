"""Shadow mode: a second policy judged beside the serving one, responses untouched, differences
logged (structured, rate-limited) and counted."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from flask_cors_asgi import CORSMiddleware
from flask_cors_asgi.fetch import FetchConfigError
from flask_cors_asgi.fetch.shadow import browser_verdict

A, B = "https://a.example", "https://b.example"
STRICT = {"profile": "fetch", "origins": [A], "methods": ["PUT"]}


def endpoint(request: Request) -> Response:
    return PlainTextResponse("ok")


def app() -> Starlette:
    return Starlette(routes=[Route("/api", endpoint, methods=["GET", "PUT", "DELETE"])])


def client(middleware: object) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(middleware), base_url="http://testserver")  # type: ignore[arg-type]


REQUESTS = [
    ("GET", {"Origin": B}),
    ("GET", {"Origin": A}),
    ("GET", {}),
    ("OPTIONS", {"Origin": A, "Access-Control-Request-Method": "PUT"}),
    ("OPTIONS", {"Origin": A, "Access-Control-Request-Method": "DELETE"}),
    (
        "OPTIONS",
        {"Origin": B, "Access-Control-Request-Method": "PUT", "Access-Control-Request-Headers": "x-a"},
    ),
]


async def test_responses_are_unchanged_and_differences_are_counted(caplog: pytest.LogCaptureFixture) -> None:
    plain = client(CORSMiddleware(app(), origins="*"))
    shadowed_middleware = CORSMiddleware(app(), origins="*", shadow=STRICT)
    shadowed = client(shadowed_middleware)
    caplog.set_level(logging.WARNING, logger="flask_cors_asgi.shadow")
    for method, headers in REQUESTS:
        served = await shadowed.request(method, "/api", headers=headers)
        expected = await plain.request(method, "/api", headers=headers)
        assert (served.status_code, served.headers.multi_items(), served.content) == (
            expected.status_code,
            expected.headers.multi_items(),
            expected.content,
        )
    # Five CORS requests; B's GET, A's DELETE preflight and B's preflight would now be refused.
    assert shadowed_middleware.shadow.counts == {
        "requests": 5,
        "differences": 3,
        "newly_refused": 3,
        "newly_allowed": 0,
        "changed": 0,
        "logged": 3,
        "suppressed": 0,
    }
    lines = [json.loads(record.getMessage().removeprefix("cors shadow: ")) for record in caplog.records]
    assert lines[0] == {
        "origin": B,
        "path": "/api",
        "method": "GET",
        "served": "allowed without credentials",
        "shadow": "refused: no Access-Control-Allow-Origin",
    }
    assert [(line["method"], line["shadow"]) for line in lines[1:]] == [
        # A bare 403: browsers report the CORS check, which comes before the status.
        ("OPTIONS", "refused: no Access-Control-Allow-Origin"),
        ("OPTIONS", "refused: no Access-Control-Allow-Origin"),
    ]
    assert caplog.records[0].cors_shadow == lines[0]  # type: ignore[attr-defined]


async def test_the_log_is_rate_limited_and_the_counts_are_not(caplog: pytest.LogCaptureFixture) -> None:
    middleware = CORSMiddleware(app(), origins="*", shadow={**STRICT, "log_per_minute": 2})
    caplog.set_level(logging.WARNING, logger="flask_cors_asgi.shadow")
    async with client(middleware) as http:
        for _ in range(5):
            await http.get("/api", headers={"Origin": B})
    counts = middleware.shadow.counts
    assert (counts["differences"], counts["logged"], counts["suppressed"]) == (5, 2, 3)
    assert len(caplog.records) == 2


async def test_a_strict_server_can_shadow_a_looser_compat_policy() -> None:
    # Serving the fetch profile, the shadow asks what Flask-CORS's defaults would have allowed.
    middleware = CORSMiddleware(app(), profile="fetch", origins=[A], shadow={"profile": "flask_cors"})
    async with client(middleware) as http:
        await http.get("/api", headers={"Origin": B})
        await http.options("/api", headers={"Origin": A, "Access-Control-Request-Method": "DELETE"})
    assert middleware.shadow.counts["newly_allowed"] == 2
    middleware.set_debug(True)  # the serving middleware's own API stays reachable
    assert middleware.debug is True


def test_a_bad_shadow_policy_is_refused_when_built() -> None:
    with pytest.raises(FetchConfigError):
        CORSMiddleware(app(), origins="*", shadow={"profile": "fetch", "origins": ["null"]})
    with pytest.raises(TypeError, match="'shadow' must be a dict"):
        CORSMiddleware(app(), origins="*", shadow=["fetch"])
    with pytest.raises(ValueError, match="log_per_minute"):
        CORSMiddleware(app(), origins="*", shadow={**STRICT, "log_per_minute": -1})


ACAO, ACAC = "Access-Control-Allow-Origin", "Access-Control-Allow-Credentials"
ACAM, ACAH = "Access-Control-Allow-Methods", "Access-Control-Allow-Headers"
ANONYMOUS = "allowed without credentials"


@pytest.mark.parametrize(
    ("preflight", "status", "headers", "verdict"),
    [
        (None, 200, [(ACAO, "*")], ANONYMOUS),
        (None, 200, [(ACAO, A), (ACAC, "true")], "allowed"),
        (None, 200, [(ACAO, B)], f"refused: Access-Control-Allow-Origin '{B}'"),
        (("PUT", []), 204, [(ACAO, "*"), (ACAM, "*")], ANONYMOUS),
        (("PUT", []), 403, [(ACAO, "*"), (ACAM, "*")], "refused: preflight status 403"),
        # Browsers let "*" cover Authorization (the standard does not), and the verdict is theirs.
        (("PUT", ["authorization"]), 204, [(ACAO, A), (ACAM, "PUT"), (ACAH, "*")], ANONYMOUS),
        (("PUT", ["x-a"]), 204, [(ACAO, A), (ACAC, "true"), (ACAM, "PUT"), (ACAH, "*")], ANONYMOUS),
        (("PUT", ["x-b"]), 204, [(ACAO, A), (ACAM, "PUT"), (ACAH, "x-a")], "refused: header x-b not allowed"),
        (("GET", ["x-a"]), 204, [(ACAO, A), (ACAH, "X-A")], ANONYMOUS),
    ],
)  # fmt: skip
def test_browser_verdict(
    preflight: tuple[str, list[str]] | None, status: int, headers: list[tuple[str, str]], verdict: str
) -> None:
    assert browser_verdict(A, preflight, status, headers) == verdict

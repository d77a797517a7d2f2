"""A function among the origins answers as real Flask-CORS 6.0.5 does when the same origins are
listed as anchored regexes (the closest Flask-CORS has: several possible origins, so Vary: Origin
on what it admits), with one deliberate difference: an origin the function refuses still gets
`Vary: Origin`, because the refusal, too, differs by origin (Flask-CORS sends nothing there)."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.differential import Req, RouteSpec, compare, flask_app, send_asgi, send_flask, starlette_app

ADMITTED = ("https://tenant-a.example", "https://tenant-b.example:8443")
REFUSED = "https://evil.example"
ROUTES = [
    RouteSpec("/api/items", ("GET", "POST")),
    RouteSpec("/api/boom", ("GET",), "raise"),
    RouteSpec("/api/missing", ("GET",), "abort:404"),
    RouteSpec("/api/vary", ("GET",), "vary"),
]


def admits(origin: str, scope: Any) -> bool:
    return origin in ADMITTED


# Option sets over the origins (each row: what else the policy says).
OPTIONS: list[dict[str, Any]] = [
    {},  # Flask-CORS's defaults otherwise
    {"supports_credentials": True, "expose_headers": ["X-Total"], "max_age": 600},
    {"methods": ["GET", "PUT"], "allow_headers": ["Content-Type", "X-Token"]},
    {"always_send": False, "allow_private_network": True},
    {"resources": {r"/api/*": {"max_age": 5}}},
]
REQUESTS = [
    Req("GET", "/api/items"),
    Req("POST", "/api/items"),
    Req("GET", "/api/boom"),  # an error answer
    Req("GET", "/api/missing"),
    Req("GET", "/api/vary"),  # the app's own Vary
    Req("OPTIONS", "/api/items", {"Access-Control-Request-Method": "PUT"}),
    Req(
        "OPTIONS",
        "/api/items",
        {
            "Access-Control-Request-Method": "GET",
            "Access-Control-Request-Headers": "content-type, x-token",
            "Access-Control-Request-Private-Network": "true",
        },
    ),
]


def with_origin(request: Req, origin: str | None) -> Req:
    headers = dict(request.headers)
    if origin is not None:
        headers["Origin"] = origin
    return Req(request.method, request.path, headers)


@pytest.mark.parametrize("options", OPTIONS)
@pytest.mark.parametrize("origin", [*ADMITTED, REFUSED, None])
async def test_answers_match_flask_cors_with_the_same_origins_as_regexes(
    options: dict[str, Any], origin: str | None
) -> None:
    as_regexes = [f"^{re.escape(o)}$" for o in ADMITTED]
    reference = flask_app({**options, "origins": as_regexes}, ROUTES)
    port = starlette_app({**options, "origins": admits}, ROUTES)
    for request in REQUESTS:
        sent = with_origin(request, origin)
        expected, got = send_flask(reference, sent), await send_asgi(port, sent)
        if origin == REFUSED:
            # The deliberate difference: the function's refusal carries Vary: Origin.
            assert got.vary == expected.vary | {"origin"}, sent
            got = type(got)(got.status, got.cors, expected.vary, got.allow)
        assert compare(expected, got, automatic_options=True) == [], sent

"""A function among the origins answers as real Flask-CORS 6.0.5 does when the same origins are
listed as anchored regexes (the closest Flask-CORS has: several possible origins, so Vary: Origin
on what it admits), with one deliberate difference: an origin the function refuses still gets
`Vary: Origin`, because the refusal, too, differs by origin (Flask-CORS sends nothing there)."""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from flask_cors_asgi.decision import CORSRequest, cors_headers, needs_verdict
from flask_cors_asgi.options import DEFAULTS, compile_policy
from testing_support import Req, RouteSpec, compare, flask_app, send_asgi, send_flask, starlette_app

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


# --- the pure decision, property-based ----------------------------------------------------------

POOL = ("https://a.example", "https://b.example", "http://localhost:3000", "null")


@given(
    admitted=st.sets(st.sampled_from(POOL)),
    origin=st.one_of(st.none(), st.sampled_from(POOL)),
    method=st.sampled_from(["GET", "POST", "OPTIONS"]),
    requested_method=st.one_of(st.none(), st.sampled_from(["GET", "PUT", "DELETE"])),
    options=st.fixed_dictionaries(
        {},
        optional={
            "supports_credentials": st.booleans(),
            "always_send": st.booleans(),
            "vary_header": st.booleans(),
            "allow_private_network": st.booleans(),
            "max_age": st.sampled_from([None, 0, 600, "60"]),
            "expose_headers": st.sampled_from([None, ["X-A"], ["X-B", "X-A"]]),
            "methods": st.sampled_from([["GET"], ["GET", "PUT"], "*"]),
        },
    ),
)
def test_a_callables_decision_is_the_regex_lists_but_for_vary_on_refusals(
    admitted: set[str],
    origin: str | None,
    method: str,
    requested_method: str | None,
    options: dict[str, Any],
) -> None:
    regexes = [f"^{re.escape(o)}$" for o in sorted(admitted)] or [r"^never\.invalid$"]
    static = compile_policy({**DEFAULTS, **options, "origins": regexes})
    dynamic = compile_policy({**DEFAULTS, **options, "origins": lambda o, scope: o in admitted})
    request = CORSRequest(method, origin, requested_method, None, None)
    asked = needs_verdict(dynamic, origin)
    assert asked == bool(origin)
    verdict = (origin in admitted) if asked else None
    got = cors_headers(dynamic, request._replace(origin_verdict=verdict))
    expected = cors_headers(static, request)
    if asked and not verdict and dynamic.vary_header:
        assert got == [("Vary", "Origin")]
        assert expected == []
    else:
        assert got == expected

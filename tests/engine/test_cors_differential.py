"""Property-based differential test: hypothesis draws option sets, routes and requests; Flask +
Flask-CORS 6.0.5 and Starlette + flask_cors_asgi must agree on every one (status, Access-Control-*
lines, Vary tokens), and must refuse the same option sets.

The default run draws CORS_DIFF_EXAMPLES (default 1000) option sets with several requests each; set
it higher for a longer hunt (e.g. CORS_DIFF_EXAMPLES=5000 ./scripts/test -k differential).
"""

from __future__ import annotations

import os
import re
from datetime import timedelta
from typing import Any

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from testing_support import (
    Req,
    RouteSpec,
    compare,
    flask_app,
    is_automatic_options,
    send_asgi_sync,
    send_flask,
    starlette_app,
)

EXAMPLES = int(os.environ.get("CORS_DIFF_EXAMPLES", "1000"))

# Origins that collide with each other in every way Flask-CORS distinguishes: case, port, scheme,
# suffix, trailing slash, "null", regex look-alikes.
ORIGIN_VALUES = [
    "http://a.com",
    "HTTP://A.COM",
    "https://a.com",
    "http://a.com:8080",
    "http://a.com/",
    "http://a.com.evil.net",
    "http://sub.a.com",
    "http://aXcom",
    "https://Xexample.com",
    "https://sub.example.com",
    "null",
    "http://localhost:3000",
    "https://yourapp.com",
    "*",
    "",
]
ORIGIN_PATTERNS = [
    "http://a.com",
    "https://a.com",
    "HTTP://A.com",
    "null",
    "*",
    ".*",
    "http://localhost:3000",
    "https://yourapp.com",
    r"https?://a\.com",
    "https?://a.com",
    r"http://.*\.a\.com",
    "https://*.example.com",
    r"http://a\.com$",
    "http://a.com,http://b.com",
]
COMPILED = [re.compile(r"http://a\.com"), re.compile(".*"), re.compile(r"https?://.*", re.IGNORECASE)]
HEADER_PATTERNS = ["*", "Content-Type", "Authorization", "X-A", "x-custom", r"X-Co-.*", "X-*", r"X-A\b", ""]
METHOD_NAMES = ["GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE", "get", "post", "Put", "QUERY"]

patterns = st.one_of(st.sampled_from(ORIGIN_PATTERNS), st.sampled_from(COMPILED))
origins = st.one_of(
    patterns,
    st.lists(patterns, max_size=4),
    st.lists(st.sampled_from(ORIGIN_PATTERNS), max_size=3).map(tuple),
    st.frozensets(st.sampled_from(ORIGIN_PATTERNS), max_size=3),
)
header_patterns = st.one_of(
    st.sampled_from(HEADER_PATTERNS), st.lists(st.sampled_from(HEADER_PATTERNS), max_size=3)
)
methods = st.one_of(
    st.lists(st.sampled_from(METHOD_NAMES), max_size=4, unique=True),
    st.sampled_from(["GET,POST", "get, Post", "", "DELETE"]),
    st.none(),
)
expose = st.one_of(
    st.none(), st.sampled_from(["X-Z,X-A", ""]), st.lists(st.sampled_from(["X-Z", "X-A", "x-b"]), max_size=3)
)
max_age = st.one_of(
    st.none(),
    st.sampled_from([0, "0", 600, "600", 1.5, 0.0, ""]),
    st.builds(timedelta, seconds=st.floats(min_value=0, max_value=5000)),
)

ROUTE_OPTIONS = {
    "origins": origins,
    "methods": methods,
    "allow_headers": header_patterns,
    "expose_headers": expose,
    "supports_credentials": st.booleans(),
    "max_age": max_age,
    "send_wildcard": st.booleans(),
    "always_send": st.booleans(),
    "vary_header": st.booleans(),
    "automatic_options": st.booleans(),
    "allow_private_network": st.booleans(),
}
route_option_dicts = st.fixed_dictionaries({}, optional=ROUTE_OPTIONS)
RESOURCE_PATTERNS = [
    "/*",
    "*",
    "/api/*",
    "/api/.*",
    "/api/foo",
    "/api/v1/.*",
    "/apiary",
    "/x",
    r"/(api|x)/.*",
    "/API/*",
]
resource_keys = st.one_of(st.sampled_from(RESOURCE_PATTERNS), st.just(re.compile("/api/f")))
resources = st.one_of(
    st.sampled_from(RESOURCE_PATTERNS),
    st.lists(st.sampled_from(RESOURCE_PATTERNS), max_size=3),
    st.dictionaries(resource_keys, route_option_dicts, max_size=3),
    st.just(re.compile("/api")),
)
# automatic_options is drawn for the app too: Flask-CORS's extension ignores it, and so must we.
_app_option_dicts = st.fixed_dictionaries(
    {}, optional={**ROUTE_OPTIONS, "intercept_exceptions": st.booleans(), "resources": resources}
)
# A decorator-only app (None) a quarter of the time; CORS(app, **options) otherwise.
app_options = st.one_of(st.none(), _app_option_dicts, _app_option_dicts, _app_option_dicts)


@st.composite
def route_tables(draw: st.DrawFn) -> tuple[RouteSpec, ...]:
    decorator = draw(st.one_of(st.none(), route_option_dicts))
    return (
        RouteSpec("/api/foo", ("POST",), draw(st.sampled_from(["ok", "raise", "abort:400", "status:201"]))),
        RouteSpec("/api/items", ("GET", "POST", "PUT")),
        RouteSpec(
            "/api/deco",
            draw(st.sampled_from([("POST",), ("GET", "OPTIONS")])),
            draw(st.sampled_from(["ok", "raise", "acao"])),
            decorator,
        ),
        RouteSpec("/apiary", ("GET",)),
        RouteSpec("/x", ("GET", "DELETE"), draw(st.sampled_from(["ok", "vary", "stream"]))),
    )


PATHS = [
    "/api/foo",
    "/api/items",
    "/api/deco",
    "/apiary",
    "/x",
    "/API/foo",
    "/%61pi/foo",
    "/%2561pi/items",
    "/nope",
    "/api/nope",
]
REQUEST_HEADER_LISTS = [
    "Content-Type",
    "content-type,authorization",
    "X-B, x-a,Content-Type",
    "b, a,, a ,B",
    "X-Co-1, x-cox",
    "",
]


@st.composite
def requests(draw: st.DrawFn) -> Req:
    headers: dict[str, str] = {}
    origin = draw(st.one_of(st.none(), st.sampled_from(ORIGIN_VALUES)))
    if origin is not None:
        headers["Origin"] = origin
    method = draw(st.sampled_from(["OPTIONS", "OPTIONS", "GET", "POST", "PUT", "DELETE", "HEAD"]))
    if draw(st.booleans()):
        headers["Access-Control-Request-Method"] = draw(st.sampled_from([*METHOD_NAMES, "OS", "T, P", ""]))
    if draw(st.booleans()):
        headers["Access-Control-Request-Headers"] = draw(st.sampled_from(REQUEST_HEADER_LISTS))
    if draw(st.booleans()):
        headers["Access-Control-Request-Private-Network"] = draw(st.sampled_from(["true", "True", "false"]))
    return Req(method, draw(st.sampled_from(PATHS)), headers)


def build_both(options: dict[str, Any] | None, routes: tuple[RouteSpec, ...]) -> tuple[Any, Any] | None:
    """Both apps, or None when both refuse the options with ValueError (as they must together)."""
    try:
        reference = flask_app(options, routes)
        reference_error = None
    except ValueError as exc:
        reference_error = exc
    try:
        port = starlette_app(options, routes)
        port_error = None
    except ValueError as exc:
        port_error = exc
    assert (reference_error is None) == (port_error is None), (reference_error, port_error)
    return None if reference_error else (reference, port)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")
@settings(max_examples=EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(options=app_options, routes=route_tables(), batch=st.lists(requests(), min_size=1, max_size=6))
def test_flask_cors_and_port_agree(
    options: dict[str, Any] | None, routes: tuple[RouteSpec, ...], batch: list[Req]
) -> None:
    # Flask-CORS validates decorator options only when the route is hit, answering 500; the port
    # refuses them when decorating. Both refuse; only the moment differs (docs/engine.md).
    if routes[2].decorator is not None:
        try:
            starlette_app(None, (routes[2],))
        except ValueError:
            request = Req(routes[2].methods[0], "/api/deco")
            assert send_flask(flask_app(None, (routes[2],)), request).status == 500
            event("decorator options refused by both")
            return
    apps = build_both(options, routes)
    if apps is None:
        event("app options refused by both")
        return
    reference_app, port_app = apps
    for request in batch:
        reference = send_flask(reference_app, request)
        port = send_asgi_sync(port_app, request)
        problems = compare(reference, port, automatic_options=is_automatic_options(request, reference))
        assert problems == [], (request, problems)
        event(f"compared: {reference.status}, {'CORS' if reference.cors else 'no CORS'}")

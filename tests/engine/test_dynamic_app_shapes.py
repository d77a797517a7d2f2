"""Origin functions and `reconfigure` together with the Flask app shapes: an app config
(`CORSMiddleware(config=...)`) kept across `reconfigure`, a `cross_origin` route's policies rebuilt
by its `reconfigure` and still layered over the app config, and a route's or a blueprint's origin
function judging its own origins only. Where Flask-CORS has the same shape (a fresh `CORS(app)` or
`@cross_origin(...)` with the new options, under the same `app.config`), the answers are proven
against it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flask
import flask_cors
import pytest
import quart
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, Router
from starlette.types import Scope

from flask_cors_asgi import CORSMiddleware, OptionsRefused, cors_blueprint, cross_origin
from testing_support import Req, send_asgi, send_asgi_sync
from tests.engine.test_app_config import differences, requests_for

A = "https://a.example"
B = "https://b.example"
C = "https://c.example"

CONFIG = {"CORS_ORIGINS": [A, C], "CORS_SUPPORTS_CREDENTIALS": True, "CORS_MAX_AGE": 120}
PATHS = ("/api/plain", "/api/partner", "/other")
PREFLIGHT = {"Access-Control-Request-Method": "POST"}


def flask_reference(config: Mapping[str, Any], cors: Mapping[str, Any], partner: Mapping[str, Any]) -> Any:
    """`CORS(app, **cors)` and a view `@cross_origin(**partner)`, under `app.config`."""
    app = flask.Flask("reference")
    app.config.update(config)

    @app.get("/api/plain")
    def plain() -> Any:
        return {"plain": True}

    @app.route("/api/partner", methods=["GET", "POST"])
    @flask_cors.cross_origin(**partner)
    def partner_view() -> Any:
        return {"partner": True}

    @app.get("/other")
    def other() -> Any:
        return {"other": True}

    flask_cors.CORS(app, **cors)
    return app


def port(config: Mapping[str, Any], cors: Mapping[str, Any], partner: Any) -> CORSMiddleware:
    """The same app: `partner` is the `cross_origin(...)` decorator of its route."""

    async def plain(request: Request) -> Response:
        return JSONResponse({"plain": True})

    async def partner_view(request: Request) -> Response:
        return JSONResponse({"partner": True})

    async def other(request: Request) -> Response:
        return JSONResponse({"other": True})

    routes = [
        Route("/api/plain", plain),
        Route("/api/partner", partner(partner_view), methods=["GET", "POST"]),
        Route("/other", other),
    ]
    return CORSMiddleware(Router(routes), config=config, **cors)


# (options at construction, options given to reconfigure): the config stays under both.
RECONFIGURED = {
    "arguments replaced over the same config": ({"origins": [B], "max_age": 5}, {"max_age": 30}),
    "config's origins back after arguments set others": ({"origins": [B]}, {}),
    "resources over the same config": ({}, {"resources": {r"/api/*": {"origins": [B]}}}),
    "credentials turned off over the config's": ({}, {"supports_credentials": False, "origins": [A, B]}),
}


@pytest.mark.parametrize("shape", list(RECONFIGURED))
def test_reconfigure_keeps_the_app_config_as_a_fresh_cors_app_reads_it(shape: str) -> None:
    before, after = RECONFIGURED[shape]
    partner = {"origins": [B], "max_age": 10}
    app = port(CONFIG, before, cross_origin(**partner))
    assert app.reconfigure(**after)
    assert app.config is not None
    assert app.config.keys["CORS_ORIGINS"] == [A, C]
    assert differences(flask_reference(CONFIG, after, partner), app, requests_for(*PATHS)) == []


def test_reconfigure_is_validated_over_the_app_config() -> None:
    # "*" is refused only with the config's credentials and wildcard, as CORS(app) would refuse it.
    config = {"CORS_SUPPORTS_CREDENTIALS": True, "CORS_SEND_WILDCARD": True}
    app = CORSMiddleware(Router([]), config=config, origins=[A])
    reference = flask.Flask("refused")
    reference.config.update(config)
    with pytest.raises(ValueError, match="supports_credentials"):
        flask_cors.CORS(reference, origins="*")
    with pytest.raises(OptionsRefused) as refused:
        app.reconfigure(origins="*")
    assert len(refused.value.problems) == 1
    assert app.options["origins"] == [A]


def test_a_routes_reconfigure_rebuilds_its_policies_under_the_app_config() -> None:
    partner = cross_origin(origins=[B], max_age=10)
    app = port(CONFIG, {}, partner)
    assert partner.reconfigure(origins=[C], max_age=10)
    # The route's GET, and the middleware's automatic OPTIONS on it, both take the new policy,
    # layered over the config's credentials and max_age as Flask-CORS's decorator layers it.
    reference = flask_reference(CONFIG, {}, {"origins": [C], "max_age": 10})
    assert differences(reference, app, requests_for("/api/partner")) == []


def admits_c(origin: str, scope: Scope) -> bool:
    return origin == C


def test_a_routes_origin_function_judges_the_route_alone_under_an_app_config() -> None:
    app = port(CONFIG, {}, cross_origin(origins=[admits_c]))
    # C: admitted by the route's function, with the config's credentials.
    admitted = send_asgi_sync(app, Req("GET", "/api/partner", {"Origin": C}))
    assert admitted.header("access-control-allow-origin") == [C]
    assert admitted.header("access-control-allow-credentials") == ["true"]
    assert admitted.vary == {"origin"}
    # A: the middleware's config admits it, the route's function does not: refused, with Vary.
    refused = send_asgi_sync(app, Req("GET", "/api/partner", {"Origin": A}))
    assert refused.header("access-control-allow-origin") == []
    assert refused.vary == {"origin"}
    # The preflight the middleware answers for the route asks the route's function too.
    preflight = send_asgi_sync(app, Req("OPTIONS", "/api/partner", {"Origin": C, **PREFLIGHT}))
    assert preflight.header("access-control-allow-origin") == [C]
    refused_preflight = send_asgi_sync(app, Req("OPTIONS", "/api/partner", {"Origin": A, **PREFLIGHT}))
    assert refused_preflight.header("access-control-allow-origin") == []
    # Elsewhere the middleware's policy (the config's origins) decides, without the function.
    elsewhere = [send_asgi_sync(app, Req("GET", "/api/plain", {"Origin": o})) for o in (A, B)]
    assert [answer.header("access-control-allow-origin") for answer in elsewhere] == [[A], []]


def test_a_blueprints_origin_function_is_asked_once_per_request_and_judges_it_alone() -> None:
    asked: list[str] = []

    def admits(origin: str, scope: Scope) -> bool:
        asked.append(origin)
        return origin == C

    async def report(request: Request) -> Response:
        return PlainTextResponse("report")

    routes = cors_blueprint([Route("/admin/report", report, methods=["GET"])], origins=[admits])
    # The app's own policy admits A everywhere; the blueprint's answers win where they give any.
    app = CORSMiddleware(Router(routes), origins=[A, B])
    admitted = send_asgi_sync(app, Req("GET", "/admin/report", {"Origin": C}))
    assert admitted.header("access-control-allow-origin") == [C]
    assert admitted.vary == {"origin"}
    preflight = send_asgi_sync(app, Req("OPTIONS", "/admin/report", {"Origin": C, **PREFLIGHT}))
    assert preflight.header("access-control-allow-origin") == [C]
    # B: the blueprint's function refuses it; the app's after_request then gives its own headers,
    # as Flask runs the app's hook after the blueprint's.
    fallback = send_asgi_sync(app, Req("GET", "/admin/report", {"Origin": B}))
    assert fallback.header("access-control-allow-origin") == [B]
    assert asked == [C, C, B]


async def test_an_async_quart_views_origin_function_is_asked() -> None:
    asked: list[str] = []

    async def admits(origin: str, scope: Scope) -> bool:
        asked.append(origin)
        return origin == C

    app = quart.Quart("dynamic")

    @app.get("/api/view")
    @cross_origin(origins=[admits])
    async def view() -> Any:
        return "view"

    wrapped = CORSMiddleware(app, resources=[])
    admitted = await send_asgi(wrapped, Req("GET", "/api/view", {"Origin": C}))
    refused = await send_asgi(wrapped, Req("GET", "/api/view", {"Origin": B}))
    assert admitted.header("access-control-allow-origin") == [C]
    assert refused.header("access-control-allow-origin") == []
    assert refused.vary == {"origin"}
    assert asked == [C, B]

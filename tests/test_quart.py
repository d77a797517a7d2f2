"""Quart, Flask's API on asyncio: a Flask + Flask-CORS app and its Quart port (the same routes, the
same options, `CORSMiddleware(quart_app)` for `CORS(app)` and our `cross_origin` for Flask-CORS's)
answer every request alike: status, Access-Control-* lines, Vary tokens, and Allow on preflights."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import httpx
import pytest
import quart

from flask_cors_asgi import CORSMiddleware, cross_origin
from tests.differential import Req, RouteSpec, compare, flask_app, send_asgi, send_flask

PARTNER = "https://partner.example"
SITE = "https://site.example"
OTHER = "https://other.example"


def _quart_view(spec: RouteSpec, sync: bool) -> Any:
    def answer() -> Any:
        kind, _, arg = spec.behaviour.partition(":")
        if kind == "raise":
            raise RuntimeError("handler failure")
        if kind == "abort":
            quart.abort(int(arg))
        if kind == "status":
            return "status", int(arg)
        if kind == "acao":
            return "own", 200, {"Access-Control-Allow-Origin": "https://own.example"}
        if kind == "vary":
            return "vary", 200, {"Vary": "Accept-Encoding"}
        if kind == "stream":
            return quart.Response((chunk for chunk in ("a", "b")), mimetype="text/plain")
        return "ok"

    if sync:  # Quart runs a sync view in a worker thread
        return lambda: answer()

    async def view() -> Any:
        return answer()

    return view


def quart_app(options: Mapping[str, Any] | None, routes: Sequence[RouteSpec], *, sync: bool = False) -> Any:
    """The port of `flask_app(options, routes)`. `options` None: no middleware at all (in Flask,
    no CORS(app)), since Quart answers OPTIONS itself as Flask does."""
    app = quart.Quart("port")
    for index, spec in enumerate(routes):
        view = _quart_view(spec, sync)
        if spec.decorator is not None:
            view = cross_origin(**spec.decorator)(view)
        app.add_url_rule(spec.path, f"view{index}", view, methods=list(spec.methods))
    return app if options is None else CORSMiddleware(app, **options)


ROUTES = (
    RouteSpec("/open", ("GET", "POST")),
    RouteSpec("/partner", ("GET", "POST"), decorator={"origins": [PARTNER]}),
    RouteSpec("/partner/<int:item>", ("GET", "DELETE"), decorator={"origins": [PARTNER], "max_age": 60}),
    RouteSpec("/own-options", ("GET", "OPTIONS"), decorator={"origins": [PARTNER]}),
    RouteSpec("/manual", ("GET",), decorator={"origins": [PARTNER], "automatic_options": False}),
    RouteSpec("/credentials", ("GET",), decorator={"supports_credentials": True, "origins": [SITE]}),
    RouteSpec("/everyone", ("GET",), decorator={}),
    RouteSpec("/raise", ("GET",), "raise", decorator={"origins": [PARTNER]}),
    RouteSpec("/abort", ("GET",), "abort:403", decorator={"origins": [PARTNER]}),
    RouteSpec("/status", ("GET",), "status:201", decorator={"origins": [PARTNER]}),
    RouteSpec("/acao", ("GET",), "acao", decorator={"origins": [PARTNER]}),
    RouteSpec("/vary", ("GET",), "vary", decorator={"origins": [PARTNER]}),
    RouteSpec("/stream", ("GET",), "stream", decorator={"origins": [PARTNER]}),
    RouteSpec("/plain-raise", ("GET",), "raise"),
)

APP_OPTIONS: dict[str, Mapping[str, Any] | None] = {
    "app-wide origins": {"origins": [SITE]},
    "resources": {
        "resources": {r"/partner/*": {"origins": [OTHER]}, r"/open": {}},
        "expose_headers": ["X-Id"],
    },
    "no resources": {"resources": []},
    "decorator only": None,
}


def _requests() -> list[Req]:
    requests = []
    paths = ["/open", "/partner", "/partner/7", "/own-options", "/manual", "/credentials", "/everyone"]
    paths += ["/raise", "/abort", "/status", "/acao", "/vary", "/stream", "/plain-raise", "/missing"]
    for path in paths:
        for origin in (PARTNER, SITE, OTHER):
            requests.append(Req("GET", path, {"Origin": origin}))
            preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}
            requests.append(Req("OPTIONS", path, {**preflight, "Access-Control-Request-Headers": "X-Token"}))
        requests.append(Req("GET", path))
        requests.append(Req("PUT", path, {"Origin": PARTNER}))  # a 405 on every route (404 on /missing)
    return requests


REQUESTS = _requests()


@pytest.mark.parametrize("sync", [False, True], ids=["async views", "sync views"])
@pytest.mark.parametrize("name", list(APP_OPTIONS))
async def test_quart_port_answers_as_flask(name: str, sync: bool) -> None:
    options = APP_OPTIONS[name]
    reference = flask_app(options, ROUTES)
    port = quart_app(options, ROUTES, sync=sync)
    problems = []
    for request in REQUESTS:
        expected = send_flask(reference, request)
        seen = await send_asgi(port, request)
        for problem in compare(expected, seen, automatic_options=request.method == "OPTIONS"):
            problems.append(f"{request.method} {request.path} {dict(request.headers)}: {problem}")
    assert not problems, "\n".join(problems)


async def test_the_route_policy_is_applied_not_the_app_wide_one() -> None:
    # The case: the partner gets its ACAO from the route, an origin only the app allows none.
    app = quart_app({"origins": [SITE]}, [RouteSpec("/p", decorator={"origins": [PARTNER]})])
    partner = await send_asgi(app, Req("GET", "/p", {"Origin": PARTNER}))
    site = await send_asgi(app, Req("GET", "/p", {"Origin": SITE}))
    assert partner.header("access-control-allow-origin") == [PARTNER]
    assert site.header("access-control-allow-origin") == []


async def test_a_decorated_view_keeps_its_path_parameters() -> None:
    app = quart.Quart("params")

    @app.route("/items/<int:item>")
    @cross_origin(origins=[PARTNER])
    async def item(item: int) -> dict[str, int]:
        return {"item": item}

    transport = httpx.ASGITransport(app=CORSMiddleware(app, resources=[]))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/items/5", headers={"Origin": PARTNER})
    assert response.json() == {"item": 5}
    assert response.headers["access-control-allow-origin"] == PARTNER

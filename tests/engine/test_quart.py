"""Quart, Flask's API on asyncio: a Flask + Flask-CORS app and its Quart port (the same routes, the
same options, `CORSMiddleware(quart_app)` for `CORS(app)` and our `cross_origin` for Flask-CORS's)
answer every request alike: status, Access-Control-* lines, Vary tokens, and Allow on preflights."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

import flask
import flask.views
import flask_cors
import httpx
import pytest
import quart
import quart.views

from flask_cors_asgi import CORSMiddleware, cross_origin
from testing_support import Req, RouteSpec, compare, flask_app, flask_style_answer, send_asgi, send_flask
from tests.engine.test_cors_scenarios import SCENARIOS, Scenario

PARTNER = "https://partner.example"
SITE = "https://site.example"
OTHER = "https://other.example"


def _quart_view(spec: RouteSpec, sync: bool) -> Any:
    def answer() -> Any:
        return flask_style_answer(spec, quart.abort, quart.Response)

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


async def differences(reference: flask.Flask, port: Any, requests: Sequence[Req] = REQUESTS) -> list[str]:
    """Each request sent to the Flask reference and to the Quart port: one line per difference
    (Allow compared on every OPTIONS, since Quart answers OPTIONS itself as Flask does)."""
    problems = []
    for request in requests:
        expected = send_flask(reference, request)
        seen = await send_asgi(port, request)
        for problem in compare(expected, seen, automatic_options=request.method == "OPTIONS"):
            problems.append(f"{request.method} {request.path} {dict(request.headers)}: {problem}")
    return problems


@pytest.mark.parametrize("sync", [False, True], ids=["async views", "sync views"])
@pytest.mark.parametrize("name", list(APP_OPTIONS))
async def test_quart_port_answers_as_flask(name: str, sync: bool) -> None:
    options = APP_OPTIONS[name]
    reference = flask_app(options, ROUTES)
    port = quart_app(options, ROUTES, sync=sync)
    problems = await differences(reference, port)
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


# Flask-CORS's decorator layers its options over the app's CORS_* config on every request.
CONFIGS: dict[str, dict[str, Any]] = {
    "origins and credentials": {"CORS_ORIGINS": [SITE], "CORS_SUPPORTS_CREDENTIALS": True},
    "max age, exposed headers": {"CORS_MAX_AGE": 600, "CORS_EXPOSE_HEADERS": ["X-Id"], "CORS_ORIGINS": SITE},
    "no automatic options": {"CORS_AUTOMATIC_OPTIONS": False, "CORS_ORIGINS": [SITE, PARTNER]},
    "None is unset": {"CORS_ORIGINS": None, "CORS_VARY_HEADER": False},
}
CONFIG_ROUTES = (
    RouteSpec("/config", ("GET", "POST"), decorator={}),
    RouteSpec("/config-partner", ("GET", "POST"), decorator={"origins": [PARTNER]}),
    RouteSpec("/config-own-options", ("GET", "OPTIONS"), decorator={}),
)


@pytest.mark.parametrize("sync", [False, True], ids=["async views", "sync views"])
@pytest.mark.parametrize("name", list(CONFIGS))
async def test_the_decorator_reads_the_app_config_as_flask_cors_does(name: str, sync: bool) -> None:
    reference = flask_app(None, CONFIG_ROUTES)
    reference.config.update(CONFIGS[name])
    port = quart_app(None, CONFIG_ROUTES, sync=sync)
    port.config.update(CONFIGS[name])
    problems = []
    for path in ("/config", "/config-partner", "/config-own-options"):
        for origin in (PARTNER, SITE, OTHER):
            preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}
            for request in (Req("GET", path, {"Origin": origin}), Req("OPTIONS", path, preflight)):
                expected = send_flask(reference, request)
                seen = await send_asgi(port, request)
                for problem in compare(expected, seen, automatic_options=request.method == "OPTIONS"):
                    problems.append(f"{request.method} {path} {origin}: {problem}")
    assert not problems, "\n".join(problems)


async def test_a_config_change_is_seen_by_the_next_request() -> None:
    port = quart_app(None, CONFIG_ROUTES)
    port.config["CORS_ORIGINS"] = [SITE]
    assert (await send_asgi(port, Req("GET", "/config", {"Origin": OTHER}))).cors == ()
    port.config["CORS_ORIGINS"] = [OTHER]
    seen = await send_asgi(port, Req("GET", "/config", {"Origin": OTHER}))
    assert seen.header("access-control-allow-origin") == [OTHER]


@pytest.mark.parametrize("sync", [False, True], ids=["async view", "sync view"])
async def test_a_value_quart_cannot_answer_with_fails_inside_the_view_as_in_flask(sync: bool) -> None:
    # Flask-CORS's decorator makes the response inside the view: None fails there, and the 500
    # gets the app-wide policy's headers, not the route's.
    def none() -> None:
        return None

    async def async_none() -> None:
        return None

    reference = flask.Flask("reference")
    reference.add_url_rule("/none", "none", flask_cors.cross_origin(origins=[PARTNER])(none))
    flask_cors.CORS(reference, origins=[SITE])
    port = quart.Quart("port")
    port.add_url_rule("/none", "none", cross_origin(origins=[PARTNER])(none if sync else async_none))
    for origin in (PARTNER, SITE):
        request = Req("GET", "/none", {"Origin": origin})
        expected = send_flask(reference, request)
        seen = await send_asgi(CORSMiddleware(port, origins=[SITE]), request)
        assert expected.status == 500
        assert compare(expected, seen) == []


async def test_a_sync_generator_view_streams_with_the_route_headers() -> None:
    def chunks() -> Any:
        yield "a"
        yield "b"

    port = quart.Quart("port")
    port.add_url_rule("/stream", "stream", cross_origin(origins=[PARTNER])(chunks))
    transport = httpx.ASGITransport(app=CORSMiddleware(port, origins=[SITE]))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/stream", headers={"Origin": PARTNER})
    assert response.text == "ab"
    assert response.headers["access-control-allow-origin"] == PARTNER


async def test_a_sync_view_refuses_a_quart_whose_make_response_waits(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    # Quart's make_response never waits today; if it ever does, a sync view cannot run it in its
    # worker thread: a RuntimeError saying so (a 500), never an answer without the route's headers.
    async def waiting_make_response(*args: Any) -> Any:
        await asyncio.sleep(0)
        raise AssertionError("not reached")

    port = quart.Quart("port")
    port.add_url_rule("/sync", "sync", cross_origin(origins=[PARTNER])(lambda: "ok"))
    monkeypatch.setattr(quart, "make_response", waiting_make_response)
    seen = await send_asgi(port, Req("GET", "/sync", {"Origin": PARTNER}))
    assert seen.status == 500
    errors = [r.exc_info[1] for r in caplog.records if r.exc_info is not None]
    assert [type(e) for e in errors] == [RuntimeError]
    assert "make the view async" in str(errors[0])


async def test_a_method_view_with_cross_origin_in_its_decorators_answers_as_flask() -> None:
    # as_view resets provide_automatic_options in both: the app answers OPTIONS, with the app-wide
    # policy, while GET and POST get the route's.
    class FlaskItems(flask.views.MethodView):
        decorators: ClassVar[list[Any]] = [flask_cors.cross_origin(origins=[PARTNER])]

        def get(self) -> str:
            return "ok"

        def post(self) -> str:
            return "ok"

    class QuartItems(quart.views.MethodView):
        decorators: ClassVar[list[Any]] = [cross_origin(origins=[PARTNER])]

        async def get(self) -> str:
            return "ok"

        async def post(self) -> str:
            return "ok"

    reference = flask.Flask("reference")
    reference.add_url_rule("/items", view_func=FlaskItems.as_view("items"))
    flask_cors.CORS(reference, origins=[SITE])
    port = quart.Quart("port")
    port.add_url_rule("/items", view_func=QuartItems.as_view("items"))
    problems = []
    for origin in (PARTNER, SITE):
        preflight = {"Origin": origin, "Access-Control-Request-Method": "POST"}
        for request in (Req("GET", "/items", {"Origin": origin}), Req("OPTIONS", "/items", preflight)):
            expected = send_flask(reference, request)
            seen = await send_asgi(CORSMiddleware(port, origins=[SITE]), request)
            problems += compare(expected, seen, automatic_options=request.method == "OPTIONS")
    assert problems == []


@pytest.mark.parametrize("scenario", SCENARIOS, ids=[s.id for s in SCENARIOS])
async def test_every_scenario_of_the_starlette_port_holds_for_the_quart_port(scenario: Scenario) -> None:
    reference = send_flask(flask_app(scenario.options, scenario.routes), scenario.request)
    port = await send_asgi(quart_app(scenario.options, scenario.routes), scenario.request)
    assert compare(reference, port, automatic_options=scenario.request.method == "OPTIONS") == []

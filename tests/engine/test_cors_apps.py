"""App shapes proven against the real Flask + Flask-CORS 6.0.5: the app's own error handlers,
class-based views, apps mounted under a prefix (Werkzeug's DispatcherMiddleware on the Flask side;
a Mount of a Starlette app, or of a bare Router wrapped in the middleware, here) and decorated
FastAPI path operations. Each pair serves the same routes; every request must get the same status,
the same Access-Control-* lines and the same Vary tokens (testing_support/differential.py's contract).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import flask
import flask_cors
import pytest
from fastapi import FastAPI
from flask.views import MethodView
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, Router
from werkzeug.exceptions import HTTPException as WerkzeugHTTPException
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from flask_cors_asgi import CORSMiddleware, cross_origin
from testing_support import Req, compare, is_automatic_options, send_asgi, send_flask

A = "https://a.example"
B = "https://b.example"
POLICY = {"resources": {r"/api/*": {"origins": [A, "https://c.example"], "methods": ["GET", "POST"]}}}
ROUTE = {"origins": [B], "methods": ["GET", "POST", "PUT"]}


class Failure(Exception):
    pass


def requests_for(*paths: str, methods: tuple[str, ...] = ("GET",), preflights: bool = True) -> list[Req]:
    """Each path and method from an allowed origin, a disallowed one and none, plus preflights."""
    found = []
    for path in paths:
        for method in methods:
            for origin in (A, B, None):
                headers = {"Origin": origin} if origin else {}
                found.append(Req(method, path, headers))
        for origin in (A, B) if preflights else ():
            found.append(Req("OPTIONS", path, {"Origin": origin, "Access-Control-Request-Method": "POST"}))
    return found


@dataclass(frozen=True)
class Pair:
    id: str
    flask: Callable[[], Any]
    asgi: Callable[[], Any]
    requests: list[Req]
    # False where the ASGI framework's own router answers other methods than Werkzeug's.
    compare_allow: bool = True


# --- error handlers ---------------------------------------------------------------------------------


def flask_errors(register: Callable[[flask.Flask], None]) -> Callable[[], flask.Flask]:
    def build() -> flask.Flask:
        app = flask.Flask("errors")

        @app.get("/api/raise")
        def raise_failure() -> str:
            raise Failure("boom")

        @app.get("/api/abort")
        def abort() -> str:
            flask.abort(418)

        @app.get("/other/raise")
        def raise_elsewhere() -> str:
            raise Failure("boom")

        register(app)
        flask_cors.CORS(app, **POLICY)
        return app

    return build


def starlette_errors(handlers: dict[Any, Any]) -> Callable[[], Starlette]:
    async def raise_failure(request: Request) -> Response:
        raise Failure("boom")

    async def abort(request: Request) -> Response:
        raise HTTPException(418)

    def build() -> Starlette:
        return Starlette(
            routes=[
                Route("/api/raise", raise_failure),
                Route("/api/abort", abort),
                Route("/other/raise", raise_failure),
            ],
            middleware=[Middleware(CORSMiddleware, **POLICY)],
            exception_handlers=handlers,
        )

    return build


def flask_handler(key: Any, status: int) -> Callable[[flask.Flask], None]:
    def register(app: flask.Flask) -> None:
        app.register_error_handler(key, lambda error: ({"handled": True}, status))

    return register


def starlette_handler(status: int) -> Any:
    async def handler(request: Request, exc: Exception) -> Response:
        return JSONResponse({"handled": True}, status_code=status)

    return handler


ERROR_PATHS = ("/api/raise", "/api/abort", "/api/missing", "/other/raise")
PAIRS = [
    Pair("no handler", flask_errors(lambda app: None), starlette_errors({}), requests_for(*ERROR_PATHS)),
    Pair(
        "errorhandler(500)",
        flask_errors(flask_handler(500, 503)),
        starlette_errors({500: starlette_handler(503)}),
        requests_for(*ERROR_PATHS),
    ),
    Pair(
        "errorhandler(Exception)",
        flask_errors(flask_handler(Exception, 503)),
        starlette_errors({Exception: starlette_handler(503)}),
        requests_for("/api/raise", "/other/raise"),
    ),
    Pair(
        "errorhandler(subclass)",
        flask_errors(flask_handler(Failure, 409)),
        starlette_errors({Failure: starlette_handler(409)}),
        requests_for(*ERROR_PATHS),
    ),
    Pair(
        "errorhandler(404) and (418)",
        flask_errors(lambda app: [flask_handler(404, 410)(app), flask_handler(418, 400)(app)]),  # type: ignore[func-returns-value]
        starlette_errors({404: starlette_handler(410), 418: starlette_handler(400)}),
        requests_for(*ERROR_PATHS),
    ),
    Pair(
        "errorhandler(HTTPException)",
        flask_errors(flask_handler(WerkzeugHTTPException, 400)),
        starlette_errors({HTTPException: starlette_handler(400)}),
        requests_for("/api/abort", "/api/missing"),
    ),
]


# --- class-based views ------------------------------------------------------------------------------


class FlaskItems(MethodView):
    def get(self) -> str:
        return "items"

    def post(self) -> tuple[str, int]:
        return "created", 201


class DecoratedFlaskItems(FlaskItems):
    decorators = [flask_cors.cross_origin(**ROUTE)]  # noqa: RUF012 (Flask's own attribute)


class StarletteItems(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        return PlainTextResponse("items")

    async def post(self, request: Request) -> Response:
        return PlainTextResponse("created", status_code=201)


def flask_views(view: type[MethodView]) -> Callable[[], flask.Flask]:
    def build() -> flask.Flask:
        app = flask.Flask("views")
        app.add_url_rule("/api/items", view_func=view.as_view("items"))
        flask_cors.CORS(app, **POLICY)
        return app

    return build


def starlette_views(endpoint: type[HTTPEndpoint]) -> Callable[[], Starlette]:
    return lambda: Starlette(
        routes=[Route("/api/items", endpoint)], middleware=[Middleware(CORSMiddleware, **POLICY)]
    )


VIEW_METHODS = ("GET", "POST", "DELETE")
PAIRS += [
    Pair(
        "MethodView / HTTPEndpoint",
        flask_views(FlaskItems),
        starlette_views(StarletteItems),
        requests_for("/api/items", methods=VIEW_METHODS),
    ),
    Pair(
        "decorated MethodView / HTTPEndpoint",
        flask_views(DecoratedFlaskItems),
        starlette_views(cross_origin(**ROUTE)(StarletteItems)),
        requests_for("/api/items", methods=VIEW_METHODS),
    ),
]


# --- mounted under a prefix -------------------------------------------------------------------------

MOUNTED_POLICY = {"resources": r"/items*", "origins": [A, "https://c.example"]}


def flask_mounted() -> Any:
    outer = flask.Flask("outer")

    @outer.get("/elsewhere")
    def elsewhere() -> str:
        return "outer"

    inner = flask.Flask("inner")

    @inner.route("/items", methods=["GET", "POST"])
    def items() -> str:
        return "items"

    @inner.get("/items/raise")
    def raise_failure() -> str:
        raise Failure("boom")

    flask_cors.CORS(inner, **MOUNTED_POLICY)
    return DispatcherMiddleware(outer, {"/api": inner})


async def items(request: Request) -> Response:
    return PlainTextResponse("items")


async def raise_failure(request: Request) -> Response:
    raise Failure("boom")


def inner_routes() -> list[Route]:
    return [Route("/items", items, methods=["GET", "POST"]), Route("/items/raise", raise_failure)]


async def elsewhere(request: Request) -> Response:
    return PlainTextResponse("outer")


def starlette_mounted_app() -> Starlette:
    inner = Starlette(routes=inner_routes(), middleware=[Middleware(CORSMiddleware, **MOUNTED_POLICY)])
    return Starlette(routes=[Route("/elsewhere", elsewhere), Mount("/api", app=inner)])


def starlette_mounted_router() -> Starlette:
    inner = CORSMiddleware(Router(routes=inner_routes()), **MOUNTED_POLICY)
    return Starlette(routes=[Route("/elsewhere", elsewhere), Mount("/api", app=inner)])


MOUNT_PATHS = ("/api/items", "/api/items/raise", "/api/items-missing", "/api/missing")
# The outer app has no CORS at all: its automatic OPTIONS is a router difference (docs/engine.md).
MOUNT_REQUESTS = [
    *requests_for(*MOUNT_PATHS, methods=("GET", "DELETE")),
    *requests_for("/elsewhere", preflights=False),
]
PAIRS += [
    Pair(
        "DispatcherMiddleware / mounted Starlette app", flask_mounted, starlette_mounted_app, MOUNT_REQUESTS
    ),
    Pair(
        "DispatcherMiddleware / mounted bare Router", flask_mounted, starlette_mounted_router, MOUNT_REQUESTS
    ),
]


# --- FastAPI path operations ------------------------------------------------------------------------


def flask_decorated() -> flask.Flask:
    app = flask.Flask("decorated")

    @app.post("/api/items")
    @flask_cors.cross_origin(**ROUTE)
    def create() -> dict[str, Any]:
        return {"created": True}

    @app.get("/api/items/<int:item_id>")
    @flask_cors.cross_origin(**ROUTE)
    def read(item_id: int) -> dict[str, Any]:
        return {"item_id": item_id}

    flask_cors.CORS(app, **POLICY)
    return app


def fastapi_decorated() -> FastAPI:
    app = FastAPI()

    @app.post("/api/items")
    @cross_origin(**ROUTE)
    async def create() -> dict[str, Any]:
        return {"created": True}

    @app.get("/api/items/{item_id}")
    @cross_origin(**ROUTE)
    def read(item_id: int) -> dict[str, Any]:
        return {"item_id": item_id}

    app.add_middleware(CORSMiddleware, **POLICY)
    return app


PAIRS.append(
    Pair(
        "cross_origin / FastAPI path operations",
        flask_decorated,
        fastapi_decorated,
        requests_for("/api/items", "/api/items/7", methods=("GET", "POST")),
        # FastAPI's GET routes do not answer HEAD, so Allow truthfully lacks it (test below).
        compare_allow=False,
    )
)


@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
async def test_same_answers_as_flask(pair: Pair) -> None:
    reference_app, port_app = pair.flask(), pair.asgi()
    problems = []
    for request in pair.requests:
        reference = send_flask(reference_app, request)
        port = await send_asgi(port_app, request)
        automatic = pair.compare_allow and is_automatic_options(request, reference)
        found = compare(reference, port, automatic_options=automatic)
        if found:
            problems.append(f"{request.method} {request.path} {dict(request.headers)}: {found}")
    assert problems == []


@pytest.mark.parametrize("pair", PAIRS, ids=[p.id for p in PAIRS])
async def test_the_pair_exercises_cors_headers(pair: Pair) -> None:
    # A pair whose answers all lack CORS headers would compare equal for nothing.
    reference_app = pair.flask()
    answers = [send_flask(reference_app, request) for request in pair.requests]
    assert any(answer.header("access-control-allow-origin") for answer in answers)
    assert any(not answer.header("access-control-allow-origin") for answer in answers)


async def test_difference_fastapi_get_routes_do_not_answer_head() -> None:
    # Werkzeug adds HEAD to every GET rule, so Flask's automatic OPTIONS lists it; FastAPI's GET
    # routes answer HEAD with 405, so the engine's Allow, read from FastAPI's routes, does not.
    request = Req("OPTIONS", "/api/items/7", {"Origin": B, "Access-Control-Request-Method": "GET"})
    reference = send_flask(flask_decorated(), request)
    port = await send_asgi(fastapi_decorated(), request)
    assert (reference.allow, port.allow) == ({"GET", "HEAD", "OPTIONS"}, {"GET", "OPTIONS"})
    assert compare(reference, port) == []
    head = await send_asgi(fastapi_decorated(), Req("HEAD", "/api/items/7", {"Origin": B}))
    assert head.status == 405

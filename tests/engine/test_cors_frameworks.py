"""The engine in other teams' apps: `cross_origin` on every kind of endpoint (Starlette functions,
HTTPEndpoint classes and methods, FastAPI path operations of any signature, ASGI apps), the app's
own exception handlers, every placement of the middleware, and options that fail the start-up.

What Flask + Flask-CORS does for the same shapes is proven in tests/engine/test_cors_apps.py; these tests
pin what only the ASGI side has (FastAPI's validation and OpenAPI document, threads, logging).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

import httpx
import pytest
from fastapi import APIRouter, Depends, FastAPI
from fastapi import Request as FastAPIRequest
from fastapi import Response as FastAPIResponse
from pydantic import BaseModel
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint, WebSocketEndpoint
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route, Router
from starlette.types import Receive, Scope, Send

from flask_cors_asgi import CORSMiddleware, cross_origin
from testing_support import ROOT, clean_env, free_port, run_bounded, uvicorn_command

A = "https://a.example"
B = "https://b.example"
ROUTE = {"origins": [A]}  # the decorator's policy: only A


class Item(BaseModel):
    name: str
    price: float


def settings_dependency() -> str:
    return "dep"


async def client_for(app: Any, raise_app_exceptions: bool = False) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=raise_app_exceptions)
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def request(app: Any, method: str, path: str, **kwargs: Any) -> httpx.Response:
    async with await client_for(app) as client:
        return await client.request(method, path, **kwargs)


def acao(response: httpx.Response) -> list[str]:
    return response.headers.get_list("access-control-allow-origin")


def preflight_headers(origin: str = A, method: str = "POST") -> dict[str, str]:
    return {"Origin": origin, "Access-Control-Request-Method": method}


# --- FastAPI path operations ---------------------------------------------------------------------


def fastapi_app(decorated: bool = True) -> FastAPI:
    """Path operations of every signature, each decorated unless `decorated` is False (the app whose
    OpenAPI document the decorated one must equal)."""
    app = FastAPI()
    router = APIRouter(prefix="/router")
    route = cross_origin(**ROUTE) if decorated else (lambda endpoint: endpoint)

    @app.post("/items")
    @route
    async def create_item(item: Item) -> Item:
        return item

    @app.get("/ping")
    @route
    async def ping() -> dict[str, str]:
        return {"pong": "async"}

    @app.get("/sync-ping")
    @route
    def sync_ping() -> dict[str, Any]:
        return {"pong": "sync", "thread": threading.get_ident()}

    @app.get("/items/{item_id}")
    @route
    async def read_item(
        item_id: int, request: FastAPIRequest, q: str | None = None, dep: str = Depends(settings_dependency)
    ) -> dict[str, Any]:
        return {"item_id": item_id, "q": q, "dep": dep, "path": request.url.path}

    @app.get("/annotated/{item_id}")
    @route
    async def annotated(
        item_id: int, response: FastAPIResponse, dep: Annotated[str, Depends(settings_dependency)]
    ) -> dict[str, Any]:
        response.headers["X-Own"] = "kept"
        return {"item_id": item_id, "dep": dep}

    @app.get("/response")
    @route
    async def returns_a_response() -> Response:
        return PlainTextResponse("plain", status_code=201)

    @app.get("/stream")
    @route
    async def stream() -> AsyncIterator[dict[str, int]]:
        for i in range(2):
            yield {"i": i}

    @router.put("/things/{name}")
    @route
    def put_thing(name: str, item: Item) -> dict[str, Any]:
        return {"name": name, "price": item.price}

    app.include_router(router)
    return app


FASTAPI_CALLS = [
    pytest.param(
        "POST", "/items", {"json": {"name": "x", "price": 2}}, {"name": "x", "price": 2.0}, id="body"
    ),
    pytest.param("GET", "/ping", {}, {"pong": "async"}, id="no arguments, async"),
    pytest.param(
        "GET", "/items/3?q=z", {}, {"item_id": 3, "q": "z", "dep": "dep", "path": "/items/3"}, id="all"
    ),
    pytest.param("GET", "/annotated/4", {}, {"item_id": 4, "dep": "dep"}, id="own Response, Annotated"),
    pytest.param(
        "PUT",
        "/router/things/t",
        {"json": {"name": "t", "price": 1}},
        {"name": "t", "price": 1.0},
        id="router",
    ),
]


@pytest.mark.parametrize(("method", "path", "kwargs", "body"), FASTAPI_CALLS)
async def test_fastapi_path_operations_answer_with_the_route_headers(
    method: str, path: str, kwargs: dict[str, Any], body: Any
) -> None:
    app = fastapi_app()
    allowed = await request(app, method, path, headers={"Origin": A}, **kwargs)
    assert (allowed.status_code, allowed.json(), acao(allowed)) == (200, body, [A])
    refused = await request(app, method, path, headers={"Origin": B}, **kwargs)
    assert (refused.status_code, refused.json(), acao(refused)) == (200, body, [])


async def test_fastapi_sync_path_operation_stays_in_the_thread_pool() -> None:
    response = await request(fastapi_app(), "GET", "/sync-ping", headers={"Origin": A})
    assert (response.status_code, acao(response)) == (200, [A])
    assert response.json()["thread"] != threading.get_ident()


async def test_fastapi_keeps_headers_the_endpoint_set_and_returned_responses() -> None:
    own = await request(fastapi_app(), "GET", "/annotated/1", headers={"Origin": A})
    assert (own.headers["x-own"], acao(own)) == ("kept", [A])
    returned = await request(fastapi_app(), "GET", "/response", headers={"Origin": A})
    assert (returned.status_code, returned.text, acao(returned)) == (201, "plain", [A])


async def test_fastapi_streamed_items_carry_the_headers() -> None:
    response = await request(fastapi_app(), "GET", "/stream", headers={"Origin": A})
    assert (response.status_code, response.text.split(), acao(response)) == (
        200,
        ['{"i":0}', '{"i":1}'],
        [A],
    )


async def test_fastapi_validation_stays_a_422() -> None:
    response = await request(fastapi_app(), "POST", "/items", headers={"Origin": A}, json={"name": "x"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "price"]
    # The path operation never ran: its headers do not apply (Flask-CORS: errors get the extension's).
    assert acao(response) == []


def test_fastapi_openapi_document_is_unchanged() -> None:
    assert fastapi_app().openapi() == fastapi_app(decorated=False).openapi()


async def test_fastapi_preflights_need_the_middleware_and_then_use_the_route_policy() -> None:
    assert (await request(fastapi_app(), "OPTIONS", "/items", headers=preflight_headers())).status_code == 405
    app = fastapi_app()
    app.add_middleware(CORSMiddleware, resources=[])
    answered = await request(app, "OPTIONS", "/items", headers=preflight_headers())
    assert (answered.status_code, acao(answered)) == (200, [A])
    assert answered.headers["allow"] == "OPTIONS, POST"
    refused = await request(app, "OPTIONS", "/items", headers=preflight_headers(B))
    assert (refused.status_code, acao(refused)) == (200, [])
    # A route of an included APIRouter (FastAPI keeps the router as one lazy route).
    routed = await request(app, "OPTIONS", "/router/things/t", headers=preflight_headers(A, "PUT"))
    assert (routed.status_code, routed.headers["allow"], acao(routed)) == (200, "OPTIONS, PUT", [A])


# --- Starlette: functions, partials, HTTPEndpoint classes and methods, ASGI apps ------------------


async def plain(request: Request) -> Response:
    return PlainTextResponse("ok")


class Items(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        return PlainTextResponse("items")

    def post(self, request: Request) -> Response:
        return PlainTextResponse(f"created in {threading.get_ident()}", status_code=201)


class DecoratedMethods(HTTPEndpoint):
    @cross_origin(**ROUTE)
    async def get(self, request: Request) -> Response:
        return PlainTextResponse("items")

    @cross_origin(**ROUTE)
    def post(self, request: Request) -> Response:
        return PlainTextResponse("created", status_code=201)


async def asgi_endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("asgi")(scope, receive, send)


class ASGIApp:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("asgi object")(scope, receive, send)


def partial_endpoint(request: Request, word: str) -> Response:
    return PlainTextResponse(word)


def starlette_endpoints(middleware: bool) -> Starlette:
    return Starlette(
        routes=[
            Route("/items", cross_origin(**ROUTE)(Items)),
            Route("/methods", DecoratedMethods),
            Route("/asgi", cross_origin(**ROUTE)(ASGIApp())),
            Route("/partial", cross_origin(**ROUTE)(functools.partial(partial_endpoint, word="partial"))),
        ],
        middleware=[Middleware(CORSMiddleware, resources=[])] if middleware else [],
    )


STARLETTE_CALLS = [
    pytest.param("GET", "/items", 200, "items", id="HTTPEndpoint class, async handler"),
    pytest.param("GET", "/methods", 200, "items", id="decorated HTTPEndpoint method, async"),
    pytest.param("POST", "/methods", 201, "created", id="decorated HTTPEndpoint method, sync"),
    pytest.param("GET", "/asgi", 200, "asgi object", id="ASGI object"),
    pytest.param("GET", "/partial", 200, "partial", id="functools.partial"),
]


@pytest.mark.parametrize("middleware", [False, True], ids=["decorator only", "with middleware"])
@pytest.mark.parametrize(("method", "path", "status", "text"), STARLETTE_CALLS)
async def test_starlette_endpoints_answer_with_the_route_headers(
    method: str, path: str, status: int, text: str, middleware: bool
) -> None:
    app = starlette_endpoints(middleware)
    allowed = await request(app, method, path, headers={"Origin": A})
    assert (allowed.status_code, allowed.text, acao(allowed)) == (status, text, [A])
    refused = await request(app, method, path, headers={"Origin": B})
    assert (refused.status_code, refused.text, acao(refused)) == (status, text, [])


async def test_httpendpoint_sync_handler_runs_in_the_thread_pool() -> None:
    response = await request(starlette_endpoints(False), "POST", "/items", headers={"Origin": A})
    assert (response.status_code, acao(response)) == (201, [A])
    assert response.text != f"created in {threading.get_ident()}"


@pytest.mark.parametrize("middleware", [False, True], ids=["decorator only", "with middleware"])
async def test_httpendpoint_class_answers_preflights_as_a_decorated_methodview(middleware: bool) -> None:
    # Flask's MethodView with decorators=[cross_origin(...)]: OPTIONS is Flask's automatic answer
    # (Allow: the methods the class defines) without the route's headers; only the extension's
    # policy applies, here none (resources=[]). Proven against Flask in tests/engine/test_cors_apps.py.
    answer = await request(starlette_endpoints(middleware), "OPTIONS", "/items", headers=preflight_headers())
    assert (answer.status_code, answer.content, acao(answer)) == (200, b"", [])
    assert answer.headers["allow"] == "GET, HEAD, OPTIONS, POST"


async def test_httpendpoint_undefined_method_is_a_405() -> None:
    answer = await request(starlette_endpoints(True), "DELETE", "/items", headers={"Origin": A})
    assert answer.status_code == 405


async def test_unsupported_uses_are_refused_when_decorating() -> None:
    class NotAnEndpoint:
        pass

    class Socket(WebSocketEndpoint):
        pass

    for endpoint in (NotAnEndpoint, Socket, 42):
        with pytest.raises(TypeError, match="cross_origin"):
            cross_origin()(endpoint)


def test_decorated_class_stays_a_class_of_the_same_name() -> None:
    decorated = cross_origin()(Items)
    assert isinstance(decorated, type)
    assert issubclass(decorated, Items)
    assert (decorated.__name__, decorated.__qualname__) == ("Items", "Items")


# --- The app's own exception handlers ---------------------------------------------------------------


class Failure(Exception):
    pass


async def raising(request: Request) -> Response:
    raise Failure("boom")


async def aborting(request: Request) -> Response:
    raise HTTPException(418, "teapot")


def handled_app(handlers: dict[Any, Any], calls: list[str]) -> Starlette:
    return Starlette(
        routes=[
            Route("/api/raise", raising),
            Route("/api/abort", aborting),
            Route("/other/raise", raising),
        ],
        middleware=[Middleware(CORSMiddleware, resources=r"/api/*")],
        exception_handlers=handlers,
    )


def recording_handler(calls: list[str], status: int, sync: bool = False) -> Any:
    def answer(request: Request, exc: Exception) -> Response:
        calls.append(type(exc).__name__)
        return JSONResponse({"handled": type(exc).__name__}, status_code=status)

    if sync:
        return answer

    async def async_answer(request: Request, exc: Exception) -> Response:
        return answer(request, exc)

    return async_answer


@pytest.mark.parametrize("key", [500, Exception, Failure], ids=["500", "Exception", "subclass"])
@pytest.mark.parametrize("sync", [False, True], ids=["async handler", "sync handler"])
async def test_the_apps_handler_answers_with_cors_headers_once(key: Any, sync: bool) -> None:
    calls: list[str] = []
    app = handled_app({key: recording_handler(calls, 503, sync)}, calls)
    response = await request(app, "GET", "/api/raise", headers={"Origin": A})
    assert (response.status_code, response.json(), acao(response)) == (503, {"handled": "Failure"}, [A])
    assert calls == ["Failure"]


async def test_a_handled_500_still_reaches_the_server_log() -> None:
    calls: list[str] = []
    app = handled_app({500: recording_handler(calls, 503)}, calls)
    async with await client_for(app, raise_app_exceptions=True) as client:
        with pytest.raises(Failure):  # what uvicorn logs as "Exception in ASGI application"
            await client.get("/api/raise", headers={"Origin": A})
    assert calls == ["Failure"]


async def test_without_a_handler_a_500_with_cors_headers() -> None:
    response = await request(handled_app({}, []), "GET", "/api/raise", headers={"Origin": A})
    assert (response.status_code, response.text, acao(response)) == (500, "Internal Server Error", [A])


async def test_outside_every_resource_the_handler_answers_alone() -> None:
    calls: list[str] = []
    app = handled_app({500: recording_handler(calls, 503)}, calls)
    response = await request(app, "GET", "/other/raise", headers={"Origin": A})
    assert (response.status_code, acao(response), calls) == (503, [], ["Failure"])


@pytest.mark.parametrize("key", [418, HTTPException], ids=["status", "class"])
async def test_http_exception_handlers_answer_with_cors_headers(key: Any) -> None:
    calls: list[str] = []
    app = handled_app({key: recording_handler(calls, 400)}, calls)
    response = await request(app, "GET", "/api/abort", headers={"Origin": A})
    assert (response.status_code, acao(response), calls) == (400, [A], ["HTTPException"])


async def test_debug_mode_shows_the_traceback_page_as_flasks_debugger_does() -> None:
    app = handled_app({}, [])
    app.debug = True
    response = await request(app, "GET", "/api/raise", headers={"Origin": A, "Accept": "text/html"})
    assert response.status_code == 500
    assert "Failure" in response.text


# --- Placements -----------------------------------------------------------------------------------


async def items(request: Request) -> Response:
    return PlainTextResponse("items")


ITEM_ROUTES = [Route("/items", items, methods=["GET", "POST"])]


def placements() -> dict[str, Any]:
    middleware = [Middleware(CORSMiddleware, resources=r"/items*")]
    added = Starlette(routes=list(ITEM_ROUTES))
    added.add_middleware(CORSMiddleware, resources=r"/items*")
    return {
        "middleware=[...]": Starlette(routes=list(ITEM_ROUTES), middleware=middleware),
        "add_middleware": added,
        "around the app": CORSMiddleware(Starlette(routes=list(ITEM_ROUTES)), resources=r"/items*"),
        "mounted app": Starlette(
            routes=[Mount("/api", app=Starlette(routes=list(ITEM_ROUTES), middleware=middleware))]
        ),
        "mounted bare Router": Starlette(
            routes=[Mount("/api", app=CORSMiddleware(Router(routes=list(ITEM_ROUTES)), resources=r"/items*"))]
        ),
        "bare Router alone": CORSMiddleware(Router(routes=list(ITEM_ROUTES)), resources=r"/items*"),
    }


PREFIX = {"mounted app": "/api", "mounted bare Router": "/api"}


@pytest.mark.parametrize("placement", list(placements()))
async def test_every_placement_answers_as_flask_does(placement: str) -> None:
    # Expected values from Flask + Flask-CORS (tests/engine/test_cors_apps.py proves the mounted cases
    # against Werkzeug's DispatcherMiddleware): automatic OPTIONS, 404 and 405 all carry CORS headers.
    app = placements()[placement]
    prefix = PREFIX.get(placement, "")
    answer = await request(app, "OPTIONS", f"{prefix}/items", headers=preflight_headers())
    assert (answer.status_code, answer.headers["allow"], acao(answer)) == (
        200,
        "GET, HEAD, OPTIONS, POST",
        [A],
    )
    assert answer.headers["access-control-allow-methods"]
    missing = await request(app, "GET", f"{prefix}/items-nope", headers={"Origin": A})
    assert (missing.status_code, acao(missing)) == (404, [A])
    wrong = await request(app, "DELETE", f"{prefix}/items", headers={"Origin": A})
    assert (wrong.status_code, acao(wrong)) == (405, [A])
    ok = await request(app, "GET", f"{prefix}/items", headers={"Origin": A})
    assert (ok.status_code, ok.text, acao(ok)) == (200, "items", [A])


async def test_an_app_whose_routes_cannot_be_seen_answers_its_own_options() -> None:
    async def opaque(scope: Scope, receive: Receive, send: Send) -> None:
        status = 204 if scope["method"] == "OPTIONS" else 200
        await Response(status_code=status)(scope, receive, send)

    app = CORSMiddleware(opaque)
    answer = await request(app, "OPTIONS", "/anything", headers=preflight_headers())
    assert (answer.status_code, acao(answer)) == (204, [A])
    assert "allow" not in answer.headers


# --- Fail fast ------------------------------------------------------------------------------------

MISSPELLED_APP = """
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from flask_cors_asgi import CORSMiddleware


async def ok(request):
    return PlainTextResponse("served")


app = Starlette(
    routes=[Route("/", ok)],
    middleware=[Middleware(CORSMiddleware, origin=["https://a.example"])],
)
"""


@pytest.mark.parametrize("lifespan", ["auto", "on"])
def test_a_misspelled_option_never_serves_under_plain_uvicorn(tmp_path: Path, lifespan: str) -> None:
    (tmp_path / "misspelled.py").write_text(MISSPELLED_APP)
    command = uvicorn_command(
        "misspelled:app", free_port(), "--app-dir", str(tmp_path), "--lifespan", lifespan
    )
    status, output = run_bounded(command, clean_env(), ROOT)
    assert status != 0, output
    assert "unknown CORS option 'origin'; did you mean 'origins'?" in output
    assert "Traceback" not in output
    assert "Uvicorn running" not in output


async def test_a_misspelled_option_without_lifespan_answers_500_and_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    app = Starlette(routes=[Route("/", plain)], middleware=[Middleware(CORSMiddleware, origin=[A])])
    response = await request(app, "GET", "/", headers={"Origin": A})
    assert (response.status_code, response.text) == (500, "Internal Server Error")
    assert "did you mean 'origins'?" in caplog.text


def test_a_misspelled_option_raises_when_the_middleware_is_built_by_hand() -> None:
    with pytest.raises(TypeError, match="did you mean 'origins'"):
        CORSMiddleware(Starlette(), origin=[A])  # type: ignore[call-arg]


async def test_the_lifespan_reports_the_refusal() -> None:
    app = Starlette(middleware=[Middleware(CORSMiddleware, max_age=[1])])
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert "max_age" in sent[0]["message"]

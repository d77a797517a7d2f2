"""Every piece of Starlette's, FastAPI's and Quart's layout the engine leans on (all of them in
`flask_cors_asgi.frameworks`), checked against the framework's own behaviour, so that an upgrade that
moves or changes one fails here rather than in a user's request. Each test names the engine's piece
and the framework's original:

- copies of Starlette's handler lookup, its test of an async handler, the way it calls a handler,
  its default HTTPException answer and ServerErrorMiddleware's own 500;
- the scope keys under which Starlette's exception layer leaves the app's handlers, and its routing
  the router, the route and the root path the app was served under;
- the app's ServerErrorMiddleware, found as its built `middleware_stack`, whose `handler` the engine
  patches (and ServerErrorMiddleware calling the patched handler);
- Starlette builds `middleware=[...]` in `build_middleware_stack`, a frame the engine looks for to
  tell a lazily built middleware from one built by hand;
- FastAPI's `iter_route_contexts`, which lists what an included router's lazy route stands for, and
  FastAPI's route classes;
- Quart, found among the imported modules."""

from __future__ import annotations

import functools
import threading
from typing import Any

import httpx
import pytest
from starlette._exception_handler import _lookup_exception_handler
from starlette._utils import is_async_callable
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.middleware.exceptions import ExceptionMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Receive, Scope, Send

from flask_cors_asgi import frameworks, tried_routes


class Base(Exception):
    pass


class Child(Base):
    pass


def handler(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("handled")


async def async_handler(request: Request, exc: Exception) -> Response:
    return PlainTextResponse("handled")


class AsyncCallable:
    async def __call__(self, request: Request, exc: Exception) -> Response:
        return PlainTextResponse("handled")


class SyncCallable:
    def __call__(self, request: Request, exc: Exception) -> Response:
        return PlainTextResponse("handled")


def request() -> Request:
    return Request({"type": "http", "method": "GET", "path": "/", "headers": [], "query_string": b""})


async def body_of(response: Response) -> tuple[int, list[tuple[bytes, bytes]], bytes]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await response({"type": "http", "method": "GET", "path": "/", "headers": []}, receive, send)
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return sent[0]["status"], sorted(sent[0]["headers"]), body


@pytest.mark.parametrize(
    ("handlers", "exc"),
    [
        ({Base: handler}, Child()),  # the first class of the MRO that has one
        ({Child: handler, Base: async_handler}, Child()),
        ({Exception: handler}, KeyError()),
        ({Child: handler}, Base()),  # a subclass's handler never answers its base
        ({}, Child()),
    ],
)
def test_the_handler_lookup_is_starlettes(handlers: dict[Any, Any], exc: Exception) -> None:
    assert frameworks.lookup_exception_handler(handlers, exc) is _lookup_exception_handler(handlers, exc)


@pytest.mark.parametrize(
    "candidate",
    [
        handler,
        async_handler,
        AsyncCallable(),
        SyncCallable(),
        functools.partial(async_handler),
        functools.partial(handler),
    ],
)
def test_the_async_test_is_starlettes(candidate: Any) -> None:
    assert frameworks.is_async_callable(candidate) is is_async_callable(candidate)


@pytest.mark.parametrize(
    "exc",
    [
        HTTPException(404),
        HTTPException(418, detail="teapot", headers={"X-Why": "tea"}),
        HTTPException(204),
        HTTPException(304, headers={"ETag": '"a"'}),
    ],
)
async def test_the_default_http_answer_is_starlettes(exc: HTTPException) -> None:
    ours = await frameworks.default_http_exception_response(request(), exc)
    theirs = await ExceptionMiddleware(app=None).http_exception(request(), exc)  # type: ignore[arg-type]
    assert await body_of(ours) == await body_of(theirs)


async def test_the_default_500_is_server_error_middlewares() -> None:
    ours = frameworks.default_server_error_response()
    theirs = ServerErrorMiddleware(app=None).error_response(request(), RuntimeError())  # type: ignore[arg-type]
    assert await body_of(ours) == await body_of(theirs)


async def test_starlette_leaves_the_apps_handlers_in_the_scope_under_the_key_the_engine_reads() -> None:
    seen: dict[str, Any] = {}

    async def endpoint(request: Request) -> Response:
        seen.update(request.scope)
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/", endpoint)], exception_handlers={Base: handler, 418: async_handler})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        await client.get("/")
    exception_handlers, status_handlers = seen["starlette.exception_handlers"]
    assert exception_handlers[Base] is handler
    assert status_handlers == {418: async_handler}
    # What the engine does with it: the handler the app's exception layer would call.
    assert frameworks.registered_handler(seen, Child()) is handler
    assert frameworks.registered_handler(seen, HTTPException(418)) is async_handler


async def test_the_apps_server_error_middleware_is_its_built_stack_and_holds_its_500_handler() -> None:
    app = Starlette(routes=[], exception_handlers={500: handler})
    assert frameworks.server_error_layer(app) is None  # nothing built before the first event
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        await client.get("/")
    layer = frameworks.server_error_layer(app)
    assert isinstance(layer, ServerErrorMiddleware)
    assert layer.handler is handler


def test_starlette_builds_declared_middleware_inside_build_middleware_stack() -> None:
    built: list[bool] = []

    class Probe:
        def __init__(self, app: Any) -> None:
            # The engine's own test, called from a constructor as CORSMiddleware calls it.
            built.append(frameworks.built_by_a_starlette_app())
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await self.app(scope, receive, send)

    Starlette(middleware=[Middleware(Probe)]).build_middleware_stack()
    Probe(app=None)
    assert built == [True, False]


def test_fastapi_lists_an_included_routers_routes_with_iter_route_contexts() -> None:
    from fastapi import APIRouter, FastAPI
    from fastapi.routing import iter_route_contexts

    router = APIRouter()

    @router.get("/items")
    async def items() -> list[int]:
        return []

    app = FastAPI()
    app.include_router(router, prefix="/v1")
    listed = tried_routes(app.router.routes)
    assert [getattr(route, "path", None) for route in listed] == [
        getattr(route, "path", None) for route in iter_route_contexts(app.router.routes)
    ]
    assert "/v1/items" in [getattr(route, "path", None) for route in listed]


def where_it_runs(kind: str, threads: list[tuple[str, bool]]) -> Any:
    """A handler that records whether it runs on the event loop's thread."""
    loop_thread = threading.get_ident()

    def sync(request: Request, exc: Exception) -> Response:
        threads.append((kind, threading.get_ident() == loop_thread))
        return PlainTextResponse("handled")

    async def asynchronous(request: Request, exc: Exception) -> Response:
        threads.append((kind, threading.get_ident() == loop_thread))
        return PlainTextResponse("handled")

    return sync if kind == "sync" else asynchronous


@pytest.mark.parametrize("kind", ["sync", "async"])
async def test_handlers_are_called_as_starlette_calls_them(kind: str) -> None:
    theirs: list[tuple[str, bool]] = []
    ours: list[tuple[str, bool]] = []

    async def boom(request: Request) -> Response:
        raise Base

    app = Starlette(routes=[Route("/", boom)], exception_handlers={Base: where_it_runs(kind, theirs)})
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        assert (await client.get("/")).text == "handled"
    response = await frameworks.call_exception_handler(where_it_runs(kind, ours), request(), Base())
    assert await body_of(response) == (200, sorted(PlainTextResponse("handled").raw_headers), b"handled")
    assert ours == theirs  # a sync handler in the thread pool, an async one on the loop
    assert theirs == [(kind, kind == "async")]


@pytest.mark.parametrize("handlers", [{500: handler}, {Exception: async_handler}, {}])
async def test_server_error_middleware_calls_the_patched_handler(handlers: dict[Any, Any]) -> None:
    finished: list[bytes] = []

    async def boom(request: Request) -> Response:
        raise RuntimeError("boom")

    def finish(request: Request, response: Any) -> Response:
        # What the app's own 500 answer (its handler's, or Starlette's default) would have been.
        finished.append(response.body)
        return PlainTextResponse("finished", status_code=500)

    app = Starlette(routes=[Route("/boom", boom)], exception_handlers=handlers)
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        await client.get("/")  # builds the stack
        layer = frameworks.server_error_layer(app)
        assert layer is not None
        original = layer.handler
        frameworks.patch_server_error_handler(layer, finish)
        frameworks.patch_server_error_handler(layer, finish)  # once per layer
        answer = await client.get("/boom")
    assert (answer.status_code, answer.text) == (500, "finished")
    assert finished == [b"handled" if handlers else b"Internal Server Error"]
    assert isinstance(layer.handler, frameworks.PatchedServerErrorHandler)
    assert layer.handler.handler is original


def test_fastapi_route_contexts_are_fastapis_own_and_none_without_an_included_router() -> None:
    from fastapi import APIRouter, FastAPI
    from fastapi.routing import iter_route_contexts

    router = APIRouter()

    @router.get("/items")
    async def items() -> list[int]:
        return []

    app = FastAPI()
    assert frameworks.fastapi_route_contexts(app.router.routes) is None  # only FastAPI's own routes
    app.include_router(router, prefix="/v1")
    listed = frameworks.fastapi_route_contexts(app.router.routes)
    assert listed is not None
    assert [getattr(r, "path", None) for r in listed] == [
        getattr(r, "path", None) for r in iter_route_contexts(app.router.routes)
    ]
    assert frameworks.fastapi_route_contexts([Route("/", handler)]) is None


def test_fastapi_routes_are_told_from_starlettes() -> None:
    from fastapi import FastAPI

    app = FastAPI()

    @app.get("/items")
    async def items() -> list[int]:
        return []

    fastapi_routes = [r for r in app.router.routes if getattr(r, "path", None) == "/items"]
    assert [frameworks.is_fastapi_route(r) for r in fastapi_routes] == [True]
    assert not frameworks.is_fastapi_route(Route("/", handler))


def test_quart_is_found_once_imported_with_what_the_engine_reads_of_it() -> None:
    import quart

    assert frameworks.imported_quart() is quart
    assert isinstance(quart.Quart(__name__), quart.Quart)
    assert quart.has_request_context() is False  # outside a request, as quart_views asks


async def test_starlettes_routing_leaves_router_route_and_app_root_path_where_the_engine_reads() -> None:
    seen: dict[str, Any] = {}

    async def endpoint(request: Request) -> Response:
        seen.update(request.scope)
        return PlainTextResponse("ok")

    inner = Route("/x", endpoint)
    app = Starlette(routes=[Mount("/m", routes=[inner])])
    transport = httpx.ASGITransport(app=app, root_path="/root")
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        assert (await client.get("/root/m/x")).text == "ok"
    assert seen[frameworks.ROUTER] is app.router  # the outermost router, not the Mount's
    assert seen[frameworks.ROUTE] is inner
    assert (seen[frameworks.APP_ROOT_PATH], seen["root_path"]) == ("/root", "/root/m")

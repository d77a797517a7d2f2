"""Every piece of Starlette's and FastAPI's private layout the engine leans on, checked against the
framework's own behaviour, so that an upgrade that moves or changes one fails here rather than in a
user's request. Each test names the engine's piece and the framework's original.

- flask_cors_asgi.errors: copies of Starlette's handler lookup, its test of an async handler, its
  default HTTPException answer and ServerErrorMiddleware's own 500; the scope key under which
  Starlette's exception layer leaves the app's handlers; the app's ServerErrorMiddleware, found as
  its built `middleware_stack`, whose `handler` the engine wraps.
- flask_cors_asgi.middleware: Starlette builds `middleware=[...]` in `build_middleware_stack`, a
  frame the engine looks for to tell a lazily built middleware from one built by hand.
- flask_cors_asgi.routing: FastAPI's `iter_route_contexts`, which lists what an included router's
  lazy route stands for."""

from __future__ import annotations

import functools
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
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from flask_cors_asgi import errors, middleware


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
    assert errors._lookup(handlers, exc) is _lookup_exception_handler(handlers, exc)


@pytest.mark.parametrize(
    "candidate",
    [handler, async_handler, AsyncCallable(), functools.partial(async_handler), functools.partial(handler)],
)
def test_the_async_test_is_starlettes(candidate: Any) -> None:
    assert errors._is_async(candidate) is is_async_callable(candidate)


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
    ours = await errors._default_http_answer(request(), exc)
    theirs = await ExceptionMiddleware(app=None).http_exception(request(), exc)  # type: ignore[arg-type]
    assert await body_of(ours) == await body_of(theirs)


async def test_the_default_500_is_server_error_middlewares() -> None:
    carrying = errors._CarryingHandler(None)
    ours = await carrying(request(), RuntimeError())
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
    assert errors.registered_handler(seen, Child()) is handler
    assert errors.registered_handler(seen, HTTPException(418)) is async_handler


async def test_the_apps_server_error_middleware_is_its_built_stack_and_holds_its_500_handler() -> None:
    app = Starlette(routes=[], exception_handlers={500: handler})
    assert errors.server_error_layer(app) is None  # nothing built before the first event
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://test") as client:
        await client.get("/")
    layer = errors.server_error_layer(app)
    assert isinstance(layer, ServerErrorMiddleware)
    assert layer.handler is handler


def test_starlette_builds_declared_middleware_inside_build_middleware_stack() -> None:
    built: list[bool] = []

    class Probe:
        def __init__(self, app: Any) -> None:
            # The engine's own test, called from a constructor as CORSMiddleware calls it.
            built.append(middleware._built_by_a_starlette_app())
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await self.app(scope, receive, send)

    Starlette(middleware=[Middleware(Probe)]).build_middleware_stack()
    Probe(app=None)
    assert built == [True, False]


def test_fastapi_lists_an_included_routers_routes_with_iter_route_contexts() -> None:
    from fastapi import APIRouter, FastAPI
    from fastapi.routing import iter_route_contexts

    from flask_cors_asgi import tried_routes

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

"""Every place the engine leans on Starlette's, FastAPI's or Quart's layout beyond their public API.

Flask answers exceptions and builds its middleware in ways Starlette does differently, and some of
Flask's behaviour can only be reproduced by copying a piece of Starlette or by reaching into what
it builds. Each such piece is here, and only here, so that an upgrade that moves one fails a test
(`tests/engine/test_framework_internals.py`, which checks each against the framework's own
behaviour), not a user's request; `tests/project/test_framework_internals_layout.py` checks that no
other engine module reaches into the frameworks. Written against Starlette 1.10.0 and FastAPI
0.165.0 (the locked versions).

Copied from Starlette (private there, or a method of a class the engine does not instantiate):

- `lookup_exception_handler`: `starlette._exception_handler._lookup_exception_handler`, the first
  class of the exception's MRO that has a handler.
- `is_async_callable`: `starlette._utils.is_async_callable`, how Starlette decides to await a
  handler or run it in the thread pool; `call_exception_handler` calls a handler as
  `wrap_app_handling_exceptions` and `ServerErrorMiddleware.__call__` do.
- `default_http_exception_response`: `ExceptionMiddleware.http_exception`, Starlette's answer to
  an HTTPException that has no handler.
- `default_server_error_response`: `ServerErrorMiddleware.error_response`, its plain 500.

Read from what Starlette builds:

- `ROUTER`, `ROUTE`, `APP_ROOT_PATH`: the scope keys Starlette's routing sets (`Router.app`: the
  outermost router and the route it picked; `Mount.matches`: the root path the app was served under,
  kept once a Mount extends `root_path`).
- `EXCEPTION_HANDLERS`: the scope key under which `ExceptionMiddleware` leaves the app's
  `(exception_handlers, status_handlers)` for `wrap_app_handling_exceptions`;
  `registered_handler` picks from it the handler the app's exception layer would call.
- `server_error_layer`: a Starlette app's built `middleware_stack`, its `ServerErrorMiddleware`.

Patched:

- `patch_server_error_handler`: replaces `ServerErrorMiddleware.handler` (the app's 500 or
  `Exception` handler, None for Starlette's default) by one that calls it, then lets the engine
  finish its answer; `ServerErrorMiddleware.__call__` calls `handler(request, exc)` outside debug.

Found on the call stack:

- `built_by_a_starlette_app`: whether a middleware is being constructed inside
  `Starlette.build_middleware_stack` (lazily, at the app's first event), a frame the engine
  looks for with `sys._getframe`.

FastAPI (0.16x), found through `sys.modules` (the engine does not depend on FastAPI):

- `fastapi_route_contexts`: `fastapi.routing.iter_route_contexts`, which lists what an included
  router's lazy route (one with `effective_route_contexts`) stands for.
- `is_fastapi_route`: a route whose class is FastAPI's.

Quart, found through `sys.modules` (the engine does not depend on Quart):

- `imported_quart`: the `quart` module if the app has imported it.
"""

from __future__ import annotations

import functools
import inspect
import sys
from collections.abc import Callable, Mapping, Sequence
from types import FrameType
from typing import Any

from starlette.applications import Starlette
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException
from starlette.middleware.errors import ServerErrorMiddleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.types import Scope

Handler = Callable[[Request, Exception], Any]
# What `server_error_layer` finds, for the engine's type hints.
ServerErrorLayer = ServerErrorMiddleware

# Starlette's ExceptionMiddleware sets it; wrap_app_handling_exceptions reads it.
EXCEPTION_HANDLERS = "starlette.exception_handlers"
# Starlette's Router sets these (the first router the request reaches, and the route it picked).
ROUTER = "router"
ROUTE = "route"
# Starlette's Mount sets it: the root path the whole app was served under (without the Mounts').
APP_ROOT_PATH = "app_root_path"


def is_async_callable(obj: Any) -> bool:
    """Starlette's `is_async_callable`: a coroutine function, through partials, or an object whose
    `__call__` is one."""
    while isinstance(obj, functools.partial):
        obj = obj.func
    return inspect.iscoroutinefunction(obj) or inspect.iscoroutinefunction(
        getattr(obj, "__call__", None)  # noqa: B004
    )


async def call_exception_handler(handler: Handler, request: Request, exc: Exception) -> Any:
    """A Starlette exception handler called as Starlette calls it: sync ones in the thread pool."""
    if is_async_callable(handler):
        return await handler(request, exc)
    return await run_in_threadpool(handler, request, exc)


def lookup_exception_handler(handlers: Mapping[Any, Handler], exc: Exception) -> Handler | None:
    """Starlette's handler lookup: the first class in the exception's MRO that has one."""
    for cls in type(exc).__mro__:
        if cls in handlers:
            return handlers[cls]
    return None


async def default_http_exception_response(request: Request, exc: Exception) -> Response:
    """Starlette's default HTTPException handler: the status, the detail, the exception's headers."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in {204, 304}:
        return Response(status_code=exc.status_code, headers=exc.headers)
    return PlainTextResponse(exc.detail, status_code=exc.status_code, headers=exc.headers)


def default_server_error_response() -> Response:
    """ServerErrorMiddleware's answer when the app has no 500 handler."""
    return PlainTextResponse("Internal Server Error", status_code=500)


def registered_handler(scope: Scope, exc: Exception) -> Handler | None:
    """The handler the app's exception layer would call for `exc` (HTTPException by status, then by
    class), or Starlette's default for an HTTPException; None for an unhandled exception."""
    exception_handlers: Mapping[Any, Handler] = {}
    status_handlers: Mapping[int, Handler] = {}
    registered = scope.get(EXCEPTION_HANDLERS)
    if registered is not None:
        exception_handlers, status_handlers = registered
    handler = None
    if isinstance(exc, HTTPException):
        handler = status_handlers.get(exc.status_code)
    if handler is None:
        handler = lookup_exception_handler(exception_handlers, exc)
    if handler is None and isinstance(exc, HTTPException):
        handler = default_http_exception_response
    return handler


def server_error_layer(app: Any) -> ServerErrorLayer | None:
    """The ServerErrorMiddleware a Starlette app's exceptions end in, once its stack is built."""
    if not isinstance(app, Starlette):
        return None
    stack = getattr(app, "middleware_stack", None)
    return stack if isinstance(stack, ServerErrorMiddleware) else None


class PatchedServerErrorHandler:
    """What `patch_server_error_handler` leaves in `ServerErrorMiddleware.handler`."""

    def __init__(self, handler: Any, finish: Callable[[Request, Any], Any]) -> None:
        self.handler = handler
        self.finish = finish

    async def __call__(self, request: Request, exc: Exception) -> Any:
        if self.handler is None:
            response: Any = default_server_error_response()
        else:
            response = await call_exception_handler(self.handler, request, exc)
        return self.finish(request, response)


def patch_server_error_handler(layer: ServerErrorMiddleware, finish: Callable[[Request, Any], Any]) -> None:
    """Make the layer's 500 answer (its handler's, or Starlette's default when it has none) pass
    through `finish(request, response)`, which returns the answer to send. Once per layer."""
    if isinstance(layer.handler, PatchedServerErrorHandler):
        return
    layer.handler = PatchedServerErrorHandler(layer.handler, finish)


def built_by_a_starlette_app() -> bool:
    """Whether the middleware whose constructor calls this is part of a Starlette app's middleware
    stack, which Starlette builds on the app's first event (`Middleware(CORSMiddleware, ...)`),
    rather than constructed by the user's own code. Called from the constructor itself (`__init__`
    or `__new__`): the frames between it and Starlette's are the engine's and subclasses'."""
    frame: FrameType | None = sys._getframe(2)
    for _ in range(8):
        if frame is None:
            return False
        if frame.f_code.co_name == "build_middleware_stack" and isinstance(
            frame.f_locals.get("self"), Starlette
        ):
            return True
        frame = frame.f_back
    return False


def fastapi_route_contexts(routes: Sequence[Any]) -> list[Any] | None:
    """What FastAPI's router tries for these routes, when some is an included router's lazy route
    (FastAPI 0.16x keeps each included APIRouter as one): each route it stands for, with its path,
    methods and endpoint, as FastAPI's own `iter_route_contexts` lists them. None when there is no
    such route (or FastAPI was never imported)."""
    expand = getattr(sys.modules.get("fastapi.routing"), "iter_route_contexts", None)
    if expand is not None and any(hasattr(route, "effective_route_contexts") for route in routes):
        return list(expand(routes))
    return None


def is_fastapi_route(route: object) -> bool:
    """Whether a route is one of FastAPI's classes (which serve through apps FastAPI builds)."""
    return type(route).__module__.startswith("fastapi")


def imported_quart() -> Any | None:
    """The `quart` module, if the app has imported it: a Quart app or request can only exist then."""
    return sys.modules.get("quart")

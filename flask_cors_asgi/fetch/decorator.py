"""`cross_origin(profile="fetch", ...)`: the fetch profile for one route.

It decorates what Starlette routes call: a request function (`endpoint(request)`, sync or async)
or an ASGI app. A preflight is answered by the decorator (204 or 403) without calling the endpoint;
any other answer gets the decided headers, and the compat middleware, if the app has one, then
leaves it alone, as it does for a compat `cross_origin` route. Starlette's `Route` answers 405 to
an OPTIONS it was not told about before the endpoint runs: list "OPTIONS" in the route's methods
for its preflights to reach the decorator.
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from typing import Any, TypeVar

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from flask_cors_asgi.fetch.config import FetchConfig, compile_fetch
from flask_cors_asgi.fetch.middleware import answer, raw_fields, send_preflight, with_cors_headers
from flask_cors_asgi.middleware import EVALUATED

Endpoint = TypeVar("Endpoint")


def fetch_cross_origin(options: dict[str, Any]) -> Callable[[Endpoint], Endpoint]:
    debug = options.pop("debug", False)
    config = compile_fetch({"debug": debug, **options})

    def decorator(endpoint: Endpoint) -> Endpoint:
        target: Any = endpoint
        if _is_request_function(target):
            return typing.cast(Endpoint, _function(target, config, debug))
        if callable(target):
            return typing.cast(Endpoint, _FetchRouteApp(target, config, debug))
        raise TypeError(f"cross_origin() decorates endpoints; got {endpoint!r}, which is not callable")

    return decorator


def _is_request_function(endpoint: Any) -> bool:
    """A plain function of one positional parameter: Starlette calls it with the request."""
    if not inspect.isfunction(endpoint):
        return False
    parameters = list(inspect.signature(endpoint).parameters.values())
    return len(parameters) == 1 and parameters[0].kind in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    )


def _function(
    endpoint: Callable[[Request], Any], config: FetchConfig, debug: bool
) -> Callable[[Request], Any]:
    is_async = inspect.iscoroutinefunction(endpoint)

    @functools.wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        decision, added = answer(config, request.method, raw_fields(request.scope["headers"]), debug)
        if decision.preflight:
            # The route's answer, whole: a compat middleware outside must not add to it.
            request.scope[EVALUATED] = True
            assert decision.status is not None
            response = Response(status_code=decision.status)
            response.raw_headers = list(added)  # the decided headers only, as the middleware sends
            return response
        result = await endpoint(request) if is_async else await run_in_threadpool(endpoint, request)
        if not isinstance(result, Response):
            raise TypeError(f"cross_origin(profile='fetch'): {endpoint.__qualname__} must return a Response")
        result.raw_headers = with_cors_headers(result.raw_headers, added, decision.vary)
        request.scope[EVALUATED] = True
        return result

    return wrapper


class _FetchRouteApp:
    """An ASGI app whose preflights the decorator answers and whose answers carry the headers."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Any], config: FetchConfig, debug: bool) -> None:
        self.app = app
        self.config = config
        self.debug = debug
        functools.update_wrapper(self, app, updated=())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        decision, added = answer(self.config, scope["method"], raw_fields(scope["headers"]), self.debug)
        if decision.preflight:
            scope[EVALUATED] = True
            await send_preflight(send, decision, added)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_cors_headers(message.get("headers", ()), added, decision.vary)
                scope[EVALUATED] = True
            await send(message)

        await self.app(scope, receive, send_with_cors)

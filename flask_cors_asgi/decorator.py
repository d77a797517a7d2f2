"""Flask-CORS's `@cross_origin(**options)` for Starlette endpoints.

A decorated endpoint that returns normally gets the route's own CORS headers, and the middleware
then leaves that response alone, so the route's policy wins completely, as in Flask-CORS. An
exception raised by the endpoint never reaches the decorator, so its error response falls back to
the middleware's resource policy, again as in Flask-CORS. With `automatic_options` (the default)
the route answers its own preflight with Flask's default OPTIONS response: the middleware does that
for routes whose methods lack OPTIONS, the decorator for routes that declare it.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from flask_cors_asgi.decision import cors_headers
from flask_cors_asgi.middleware import EVALUATED, ROUTE_POLICY, read_request
from flask_cors_asgi.options import (
    DEFAULTS,
    ROUTE_OPTION_NAMES,
    Policy,
    RouteOptions,
    check_names,
    compile_policy,
)
from flask_cors_asgi.routing import OPTIONS_CONTENT_TYPE, allow_header

if TYPE_CHECKING:
    from typing import Unpack

Endpoint = Callable[[Request], Awaitable[Response] | Response]


def cross_origin(*args: Any, **options: Unpack[RouteOptions]) -> Callable[[Endpoint], Endpoint]:
    """Flask-CORS's decorator: the same options, checked and compiled once, here."""
    if args:
        # Flask-CORS silently drops positional arguments: @cross_origin("https://a.example")
        # allows every origin. Refusing them is a deliberate improvement.
        raise TypeError(
            f"cross_origin() takes keyword options only, got positional {args!r}; "
            f"did you mean origins={args[0]!r}?"
        )
    check_names(options, ROUTE_OPTION_NAMES, "cross_origin()")
    policy = compile_policy({**DEFAULTS, **options})

    def decorator(endpoint: Endpoint) -> Endpoint:
        is_async = _is_async(endpoint)

        async def wrapper(request: Request) -> Response:
            response: Any
            if policy.automatic_options and request.method.upper() == "OPTIONS":
                # Flask-CORS answers with Flask's default OPTIONS response and skips the view.
                allow = {"Allow": allow_header(request.scope)}
                response = Response(b"", headers=allow, media_type=OPTIONS_CONTENT_TYPE)
            elif is_async:
                response = await endpoint(request)  # type: ignore[misc]
            else:
                response = await run_in_threadpool(endpoint, request)
            return _decorate(response, request, policy)

        functools.update_wrapper(wrapper, endpoint)
        setattr(wrapper, ROUTE_POLICY, policy)
        return wrapper

    return decorator


def _is_async(endpoint: Any) -> bool:
    """Whether Starlette would await the endpoint (its own `is_async_callable` is private)."""
    while isinstance(endpoint, functools.partial):
        endpoint = endpoint.func
    return inspect.iscoroutinefunction(endpoint) or (
        callable(endpoint) and inspect.iscoroutinefunction(endpoint.__call__)
    )


def _decorate(response: Response, request: Request, policy: Policy) -> Response:
    # Appended, never set: like Flask-CORS's decorator, an ACAO the view set itself is kept and a
    # second one added (R6.6).
    for name, value in cors_headers(policy, read_request(request.scope)):
        response.headers.append(name, value)
    request.scope[EVALUATED] = True
    return response

"""`cross_origin(profile="fetch", ...)`: the fetch profile for one route.

It decorates what Starlette routes call: a request function (`endpoint(request)`, sync or async)
or an ASGI app; and FastAPI path operations of any signature, as the compat decorator does
(flask_cors_asgi/decorator.py): the wrapper keeps the endpoint's signature, adding a `Request` and a
`Response` parameter for FastAPI to fill in where the endpoint has none, and puts the headers on a
returned `Response`, else on FastAPI's `Response` parameter, which FastAPI merges into its answer.
FastAPI answers 405 to an OPTIONS its route does not list: list "OPTIONS" in
`api_route(..., methods=[...])` for preflights to reach the decorator.

What `cross_origin(profile="fetch", ...)` returns is a `FetchCrossOrigin`: the decorator, whose
`debug`, `set_debug` and `reconfigure` act on every endpoint it decorated at once, as the
middleware's do (fetch/policy.py); each request reads the route's state once.

A preflight is answered by the decorator (204 or 403) without calling the endpoint;
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

import anyio.from_thread
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from flask_cors_asgi.fetch.middleware import (
    Answer,
    EncodedHeaders,
    answer,
    answer_for,
    raw_fields,
    send_preflight,
    with_cors_headers,
)
from flask_cors_asgi.fetch.policy import FetchPolicy
from flask_cors_asgi.middleware import EVALUATED

Endpoint = TypeVar("Endpoint")


class FetchCrossOrigin(FetchPolicy):
    """What `cross_origin(profile="fetch", **options)` returns: the decorator, and the one policy
    of every endpoint it decorated (`config`, `options`, `debug`, `set_debug`, `reconfigure`)."""

    def __init__(self, options: dict[str, Any]) -> None:
        options = dict(options)
        debug = options.pop("debug", False)
        self._start_policy(options, debug)

    def __call__(self, endpoint: Endpoint) -> Endpoint:
        target: Any = endpoint
        if _is_request_function(target):
            return typing.cast(Endpoint, _function(target, self))
        if isinstance(target, type) or _is_asgi_app(target):
            # A class (an HTTPEndpoint: called with scope, receive, send, then awaited) or an app.
            return typing.cast(Endpoint, _FetchRouteApp(target, self))
        if callable(target):
            return typing.cast(Endpoint, _path_operation(target, self))
        raise TypeError(
            f"cross_origin(profile='fetch') decorates request functions, FastAPI path operations and "
            f"ASGI apps; got {endpoint!r}"
        )


def fetch_cross_origin(options: dict[str, Any]) -> FetchCrossOrigin:
    return FetchCrossOrigin(options)


_ASGI_NAMES = ("scope", "receive", "send")


def _is_asgi_app(endpoint: Any) -> bool:
    """An ASGI app as the compat decorator tells one (a callable object, not a function), or an
    async function taking exactly `scope, receive, send` (for a `Mount`), which no FastAPI path
    operation takes."""
    # Imported here: flask_cors_asgi.decorator imports this module to hand profile="fetch" over.
    from flask_cors_asgi import decorator as compat

    if inspect.iscoroutinefunction(endpoint):
        return tuple(inspect.signature(endpoint).parameters) == _ASGI_NAMES
    return compat._is_asgi_app(endpoint)


def _is_request_function(endpoint: Any) -> bool:
    """A plain function of one positional parameter: Starlette calls it with the request."""
    if not inspect.isfunction(endpoint):
        return False
    parameters = list(inspect.signature(endpoint).parameters.values())
    return len(parameters) == 1 and parameters[0].kind in (
        inspect.Parameter.POSITIONAL_ONLY,
        inspect.Parameter.POSITIONAL_OR_KEYWORD,
    )


def _preflight_response(request: Request, decided: Answer) -> Response:
    """The route's answer to a preflight, whole: a compat middleware outside must not add to it."""
    decision, added = decided
    request.scope[EVALUATED] = True
    assert decision.status is not None
    response = Response(status_code=decision.status)
    response.raw_headers = list(added)  # the decided headers only, as the middleware sends
    return response


def _add_headers(response: Response, added: EncodedHeaders) -> None:
    # In place: a response whose `headers` were read already shares this list with them.
    response.raw_headers[:] = with_cors_headers(response.raw_headers, added)


def _function(endpoint: Callable[[Request], Any], route: FetchCrossOrigin) -> Callable[[Request], Any]:
    is_async = inspect.iscoroutinefunction(endpoint)

    @functools.wraps(endpoint)
    async def wrapper(request: Request) -> Response:
        state = route._state  # once: the request sees one policy and one debug flag
        decided = await answer_for(state.config, request.scope, state.debug)
        if decided[0].preflight:
            return _preflight_response(request, decided)
        result = await endpoint(request) if is_async else await run_in_threadpool(endpoint, request)
        if not isinstance(result, Response):
            raise TypeError(f"cross_origin(profile='fetch'): {endpoint.__qualname__} must return a Response")
        _add_headers(result, decided[1])
        request.scope[EVALUATED] = True
        return result

    return wrapper


def _path_operation(endpoint: Callable[..., Any], route: FetchCrossOrigin) -> Callable[..., Any]:
    """A FastAPI path operation of any signature, its signature kept for FastAPI to read, with the
    compat decorator's reading of it (which parameter, if any, takes the Request or the Response)."""
    from flask_cors_asgi import decorator as compat  # see _is_asgi_app

    target = compat._called(endpoint)
    if inspect.isasyncgenfunction(target) or inspect.isgeneratorfunction(target):
        # FastAPI streams these without calling through a wrapper's answer: no place for a preflight.
        raise TypeError(
            f"cross_origin(profile='fetch'): {endpoint!r} is a generator; return a StreamingResponse "
            "from a plain path operation instead"
        )
    try:
        signature = inspect.signature(endpoint)
    except (TypeError, ValueError):
        raise TypeError(f"cross_origin(): cannot read the signature of {endpoint!r}") from None
    annotations = compat._annotations(target, signature)
    request_name = compat._parameter_of(annotations, Request)
    response_name = compat._parameter_of(annotations, Response)

    def split(kwargs: dict[str, Any]) -> tuple[Request | None, Response | None]:
        """The request and FastAPI's response parameter, taking out what the wrapper added."""
        request_key = compat._REQUEST_PARAMETER if request_name is None else request_name
        response_key = compat._RESPONSE_PARAMETER if response_name is None else response_name
        # Ours are taken out (the endpoint does not take them); the endpoint's own stay.
        request = kwargs.pop(request_key, None) if request_name is None else kwargs.get(request_key)
        sub_response = kwargs.pop(response_key, None) if response_name is None else kwargs.get(response_key)
        return request, sub_response

    def finish(result: Any, sub_response: Response | None, request: Request, added: EncodedHeaders) -> Any:
        if isinstance(result, Response):
            _add_headers(result, added)
        elif sub_response is not None:
            _add_headers(sub_response, added)  # FastAPI merges these into the answer it builds
        request.scope[EVALUATED] = True
        return result

    wrapper: Callable[..., Any]
    if inspect.iscoroutinefunction(target):

        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            request, sub_response = split(kwargs)
            if request is None:  # not called by FastAPI: nothing to decide
                return await endpoint(*args, **kwargs)
            state = route._state  # once: the request sees one policy and one debug flag
            decided = await answer_for(state.config, request.scope, state.debug)
            if decided[0].preflight:
                return _preflight_response(request, decided)
            return finish(await endpoint(*args, **kwargs), sub_response, request, decided[1])

        wrapper = async_wrapper
    else:
        # Sync: FastAPI runs the wrapper in its thread pool, as it would the endpoint; an origin
        # callable is then asked on the event loop (`anyio.from_thread`).
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            request, sub_response = split(kwargs)
            if request is None:
                return endpoint(*args, **kwargs)
            state = route._state
            if state.config.origin_check is None:
                raw = raw_fields(request.scope["headers"])
                decided = answer(state.config, request.method, raw, state.debug)
            else:
                decided = anyio.from_thread.run(answer_for, state.config, request.scope, state.debug)
            if decided[0].preflight:
                return _preflight_response(request, decided)
            return finish(endpoint(*args, **kwargs), sub_response, request, decided[1])

        wrapper = sync_wrapper

    functools.update_wrapper(wrapper, endpoint)
    added = []
    if request_name is None:
        added.append(
            inspect.Parameter(compat._REQUEST_PARAMETER, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
        )
    if response_name is None:
        added.append(
            inspect.Parameter(compat._RESPONSE_PARAMETER, inspect.Parameter.KEYWORD_ONLY, annotation=Response)
        )
    parameters = list(signature.parameters.values())
    variadic = [p for p in parameters if p.kind is inspect.Parameter.VAR_KEYWORD]
    parameters = [p for p in parameters if p.kind is not inspect.Parameter.VAR_KEYWORD]
    setattr(wrapper, "__signature__", signature.replace(parameters=[*parameters, *added, *variadic]))  # noqa: B010
    return wrapper


class _FetchRouteApp:
    """An ASGI app whose preflights the decorator answers and whose answers carry the headers."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Any], route: FetchCrossOrigin) -> None:
        self.app = app
        self.route = route
        functools.update_wrapper(self, app, updated=())

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self.route._state  # once: the request sees one policy and one debug flag
        decision, added = await answer_for(state.config, scope, state.debug)
        if decision.preflight:
            scope[EVALUATED] = True
            await send_preflight(send, decision, added)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_cors_headers(message.get("headers", ()), added)
                scope[EVALUATED] = True
            await send(message)

        await self.app(scope, receive, send_with_cors)

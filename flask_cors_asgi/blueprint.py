"""Flask-CORS's `CORS(blueprint, **options)` for a group of Starlette routes: `cors_blueprint`.

Flask-CORS registers its after_request hook on the blueprint itself, so it runs only for requests
one of the blueprint's routes handled: their answers, Flask's automatic OPTIONS answer on them, and
the answers to their errors; never a 404 under the blueprint's URL prefix nor a 405 on one of its
routes (no rule matched, so no blueprint). Flask runs a blueprint's after_request hooks before the
app's, innermost blueprint first, and Flask-CORS skips a response that already has an
Access-Control-Allow-Origin: where the blueprint's policy gives headers they win, elsewhere the
app's policy applies. Two orders come from Flask-CORS's wrapping of the app's exception handling:

- an exception the app handles (an HTTPException, or one with a registered handler) is answered by
  Flask's `handle_user_exception`, which `CORS(app)` wraps with the app's policy: the app's policy
  first, the blueprint's only where the app's gives nothing;
- an exception nobody handles (a 500, or one answered by an `errorhandler(500)`) is answered by
  `handle_exception`, whose answer goes through the after_request hooks first: the blueprint's
  policy first.

A blueprint reads no app configuration: Flask-CORS reads `config` from the blueprint, which has none.

Here a blueprint is a list of routes: `cors_blueprint(routes, **options)` wraps each route's app
(in place, and inside every Mount among them, as a nested blueprint's routes belong to its parent)
and returns the list, to mount where the blueprint was registered:
`Mount("/admin", routes=cors_blueprint([...], origins=[...]))`. Preflights need a `CORSMiddleware`
around the app (`resources=[]` when the app has no policy of its own), which gives Flask's automatic
OPTIONS answer, as for `cross_origin`.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from typing import TYPE_CHECKING, Any

from starlette.routing import BaseRoute
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flask_cors_asgi.decision import match_resource
from flask_cors_asgi.errors import (
    EncodedHeaders,
    answer_handled,
    answer_unhandled,
    has_allow_origin,
    response_headers,
)
from flask_cors_asgi.frameworks import (
    EXCEPTION_HANDLERS,
    is_fastapi_route,
    registered_handler,
)
from flask_cors_asgi.middleware import (
    APP_HEADERS,
    BLUEPRINT_RESOURCES,
    EVALUATED,
    MEMO_MAX_INPUT_BYTES,
    asked_for,
    flask_path,
    headers_for,
    input_size,
    known_for,
    raw_inputs,
    request_headers,
    to_request,
)
from flask_cors_asgi.options import CORSOptions, Resource, compile_options
from flask_cors_asgi.routing import route_methods

if TYPE_CHECKING:
    from typing import Unpack

# Set in the scope by an app exception handler called for a blueprint route's error (see
# `_Marking`): the answer is the handled error's, to which the app's policy applies first.
_HANDLED = "flask_cors_asgi.handled_error"
_HANDLERS = EXCEPTION_HANDLERS


def cors_blueprint(routes: Iterable[BaseRoute], **options: Unpack[CORSOptions]) -> list[BaseRoute]:
    """Flask-CORS's `CORS(blueprint, **options)`: the same options as `CORSMiddleware` (`resources`
    included, matched against the whole request path, the blueprint's prefix in it), applied to
    what these routes answer. Returns the routes, wrapped in place. Options it refuses raise
    TypeError or ValueError here, as `CORSMiddleware`'s do."""
    resources = compile_options(options, "cors_blueprint()")
    routes = list(routes)
    for route in _http_routes(routes):
        if is_fastapi_route(route):
            # FastAPI serves an included router's routes through apps it builds itself, past the
            # route's own: the policy would be silently skipped.
            raise TypeError(
                f"cors_blueprint() takes Starlette routes; {route!r} is FastAPI's, which it cannot "
                "wrap: decorate the router's path operations with cross_origin() instead"
            )
        route.app = _BlueprintRoute(route.app, resources, route_methods(route))  # type: ignore[attr-defined]
    return routes


def _http_routes(routes: Iterable[BaseRoute]) -> Iterator[BaseRoute]:
    """The routes with an app of their own, looking inside Mounts and Hosts."""
    for route in routes:
        inner = getattr(route, "routes", None)
        if inner is not None and getattr(route, "methods", None) is None:
            yield from _http_routes(inner)
        elif hasattr(route, "app"):
            yield route


class _BlueprintRoute:
    """A blueprint route's app: the blueprint's policy on what the route answers (see the module)."""

    def __init__(self, app: ASGIApp, resources: tuple[Resource, ...], methods: frozenset[str] | None) -> None:
        self.app = app
        # The methods the route itself handles: an HTTPEndpoint answers any other with its own 405,
        # which in Flask is a routing 405 (no blueprint).
        self.methods = methods
        setattr(self, BLUEPRINT_RESOURCES, resources)
        self.resources = resources
        # Some resource's origins hold a callable: it is asked before the route runs (once per
        # request), so that every answer of the route, its errors' included, reads that one answer.
        self.dynamic = any(resource.policy.origin_check is not None for resource in resources)

    def headers(self, scope: Scope) -> EncodedHeaders:
        path = flask_path(scope)
        resource = match_resource(self.resources, path)
        if resource is None:
            return ()
        raw = raw_inputs(request_headers(scope))
        # Memoised for small inputs only, as in the middleware (a client chooses their size).
        memo = input_size(path, raw) <= MEMO_MAX_INPUT_BYTES
        # Judged by the blueprint policy's own origin callable, never by the middleware's answer.
        request = known_for(resource.policy, to_request(scope["method"], raw), scope)
        return headers_for(resource.policy, request, memo)

    async def ask(self, scope: Scope) -> None:
        """Ask the origin callable of the resource covering the request, when it must be asked."""
        resource = match_resource(self.resources, flask_path(scope))
        if resource is not None and resource.policy.origin_check is not None:
            request = to_request(scope["method"], raw_inputs(request_headers(scope)))
            await asked_for(resource.policy, request, scope)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or (self.methods is not None and scope["method"] not in self.methods):
            await self.app(scope, receive, send)
            return
        if self.dynamic:
            await self.ask(scope)
        response_started = False

        async def send_with_cors(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                headers = response_headers(message)
                # An error the app handled gets the app's policy first, where it has headers.
                app_first = scope.pop(_HANDLED, False) and scope.get(APP_HEADERS)
                if not (app_first or scope.get(EVALUATED) or has_allow_origin(headers)):
                    message["headers"] = [*headers, *self.headers(scope)]
            await send(message)

        registered = scope.get(_HANDLERS)
        if registered is not None:
            # Starlette answers a route's handled errors inside the route's app, with the handlers
            # it reads from the scope there: marked ones tell the answer apart from the view's.
            scope[_HANDLERS] = (_Marking(registered[0], scope), _Marking(registered[1], scope))
        try:
            await self.app(scope, receive, send_with_cors)
        except Exception as exc:
            if registered is not None:
                scope[_HANDLERS] = registered  # the app's own handlers, unmarked, from here on
            if response_started:
                raise
            headers = self.headers(scope)
            if not headers:
                raise
            handler = registered_handler(scope, exc)
            if handler is not None:
                if scope.get(APP_HEADERS):
                    raise  # the app's policy answers it first, around this route
                await answer_handled(handler, exc, scope, receive, send, headers)
                return
            app = scope.get("app")
            if Exception in getattr(app, "exception_handlers", {}) and scope.get(APP_HEADERS):
                # Flask's errorhandler(Exception) answers through handle_user_exception, which
                # CORS(app) wraps: the app's policy first. (Starlette keeps that handler, and a 500
                # one, in ServerErrorMiddleware, where the middleware gives it the app's headers.)
                raise
            # Unhandled: Flask's after_request hooks, the blueprint's first, decorate the 500.
            await answer_unhandled(app, scope, receive, send, headers)
            raise
        finally:
            if registered is not None:
                scope[_HANDLERS] = registered


class _Marking(Mapping[Any, Any]):
    """An app's exception handlers, each marking the scope when called (see `_HANDLED`)."""

    def __init__(self, handlers: Mapping[Any, Any], scope: Scope) -> None:
        self.handlers = handlers
        self.scope = scope

    def __getitem__(self, key: Any) -> Any:
        return _marking(self.handlers[key], self.scope)

    def __iter__(self) -> Iterator[Any]:
        return iter(self.handlers)

    def __len__(self) -> int:
        return len(self.handlers)


def _marking(handler: Callable[..., Any], scope: Scope) -> Callable[..., Any]:
    target = handler
    while isinstance(target, functools.partial):
        target = target.func
    is_async = inspect.iscoroutinefunction(target) or inspect.iscoroutinefunction(
        getattr(target, "__call__", None)  # noqa: B004
    )
    if is_async:

        async def async_marking(request: Any, exc: Exception) -> Any:
            scope[_HANDLED] = True
            return await handler(request, exc)

        return async_marking

    def sync_marking(request: Any, exc: Exception) -> Any:
        scope[_HANDLED] = True
        return handler(request, exc)

    return sync_marking

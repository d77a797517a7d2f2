"""Flask-CORS's `@cross_origin(**options)` for Starlette and FastAPI endpoints.

A decorated endpoint that returns normally gets the route's own CORS headers, and the middleware
then leaves that response alone, so the route's policy wins completely, as in Flask-CORS. An
exception raised by the endpoint never reaches the decorator, so its error response falls back to
the middleware's resource policy, again as in Flask-CORS. With `automatic_options` (the default)
the route answers its own preflight with Flask's default OPTIONS response: the middleware does that
for routes whose methods lack OPTIONS, the decorator for routes that declare it.

What it decorates, and how the endpoint keeps working as its framework calls it:

- a request function, sync or async (Starlette's `endpoint(request)`, an `HTTPEndpoint`'s
  `get(self, request)`): the wrapper is the same kind of function and passes every argument on;
- a FastAPI path operation of any signature: FastAPI calls the wrapper with keyword arguments it
  reads from the wrapper's signature, which is the endpoint's own plus, when the endpoint does not
  declare them, a `Request` and a `Response` parameter FastAPI fills in (never part of the OpenAPI
  document or of validation). Headers go on a returned `Response`, else on FastAPI's `Response`
  parameter, which FastAPI merges into the answer it builds (generator endpoints included);
- an `HTTPEndpoint` class: a subclass whose answers carry the headers (its preflights get the
  middleware's policy, as a Flask `MethodView`'s with `decorators = [cross_origin(...)]` do);
- an ASGI app (a callable object taking scope, receive and send): an ASGI app around it;
- a Quart view (called with its path parameters inside a Quart request): what Flask-CORS's decorator
  does on the same Flask view (`quart_views`).

Anything else is refused with a TypeError when decorating.
"""

from __future__ import annotations

import functools
import inspect
import logging
import threading
import typing
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Literal, TypeVar

import anyio.from_thread
from starlette.endpoints import HTTPEndpoint, WebSocketEndpoint
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Message, Receive, Scope, Send

from flask_cors_asgi.decision import cors_headers
from flask_cors_asgi.fetch.decorator import FetchCrossOrigin, fetch_cross_origin
from flask_cors_asgi.fetch.hook import check_profile
from flask_cors_asgi.middleware import (
    APP_CONFIG,
    EVALUATED,
    ROUTE_POLICIES,
    ROUTE_POLICY,
    asked_for,
    encode,
    known_for,
    read_request,
)
from flask_cors_asgi.options import DEFAULTS, Policy, RouteOptions, RoutePolicies
from flask_cors_asgi.placement import MiddlewareCheck
from flask_cors_asgi.quart_views import RoutePolicy, answer, answer_sync, quart_module, route_options_to_view
from flask_cors_asgi.routing import OPTIONS_CONTENT_TYPE, allow_header
from flask_cors_asgi.validation import validated_route

if TYPE_CHECKING:
    from typing import Unpack

Endpoint = TypeVar("Endpoint")
logger = logging.getLogger("flask_cors_asgi")

# The parameters the wrapper adds for FastAPI to fill in, when the endpoint has none of its own.
_REQUEST_PARAMETER = "__cors_request"
_RESPONSE_PARAMETER = "__cors_response"
_ASGI_PARAMETERS = 3  # scope, receive, send


@typing.overload
def cross_origin(*, profile: Literal["fetch"], **options: Any) -> FetchCrossOrigin: ...
@typing.overload
def cross_origin(
    *args: Any, profile: Literal["flask_cors"] = ..., **options: Unpack[RouteOptions]
) -> CrossOrigin: ...
def cross_origin(*args: Any, **options: Any) -> CrossOrigin | FetchCrossOrigin:
    """Flask-CORS's decorator: the same options, checked and compiled once, here. Under a
    `CORSMiddleware` given the app's config (`config=`), they are layered over its `CORS_*` keys,
    as Flask-CORS's decorator layers them over `app.config`: `@cross_origin()` then takes the
    app's configured origins, not every origin. The decorator it returns has
    `reconfigure(**options)`, for every endpoint it decorated."""
    profile = options.pop("profile", "flask_cors")
    if profile != "flask_cors":
        # The strict profile's decorator (flask_cors_asgi.fetch); positional arguments are refused there too.
        check_profile(profile, "cross_origin()")
        if not args:
            return fetch_cross_origin(dict(options))
    if args:
        # Flask-CORS silently drops positional arguments: @cross_origin("https://a.example")
        # allows every origin. Refusing them is a deliberate improvement.
        raise TypeError(
            f"cross_origin() takes keyword options only, got positional {args!r}; "
            f"did you mean origins={args[0]!r}?"
        )
    return CrossOrigin(RoutePolicies(options, "cross_origin()"))


class CrossOrigin:
    """What `cross_origin(**options)` returns: the decorator, and the policies of every endpoint it
    decorated (`RoutePolicies`: its policy under each app config), which `reconfigure` replaces at
    once (each request reads them once)."""

    def __init__(self, policies: RoutePolicies) -> None:
        self.policies = policies
        self._decorated: list[Any] = []  # what carries ROUTE_POLICY(IES) for the middleware
        self._reconfiguring = threading.Lock()

    @property
    def options(self) -> Mapping[str, Any]:
        """The options in force, as given (read-only)."""
        return self.policies.options

    @property
    def policy(self) -> Policy:
        """The policy in force outside any app config."""
        return self.policies.default

    def __call__(self, endpoint: Endpoint) -> Endpoint:
        decorated: Any
        if isinstance(endpoint, type):
            # No route policy for the middleware's preflight answer: see _endpoint_class.
            return typing.cast(Endpoint, _endpoint_class(endpoint, self))
        if _is_asgi_app(endpoint):
            decorated = _CrossOriginApp(typing.cast(Any, endpoint), self)
        elif callable(endpoint):
            decorated = _function(endpoint, self)
        else:
            raise TypeError(f"cross_origin() decorates endpoints; got {endpoint!r}, which is not callable")
        _mark(decorated, self.policies)
        self._decorated.append(decorated)
        return typing.cast(Endpoint, decorated)

    def reconfigure(self, **options: Unpack[RouteOptions]) -> bool:
        """Replace the policy of every endpoint this decorated with `cross_origin(**options)`'s, as
        `CORSMiddleware.reconfigure` does: every problem at once (OptionsRefused) and nothing
        changed, or one swap; False for the options in force. The new options are layered over the
        app config of the request's middleware, as the first ones were. What the router was told
        at decoration (a Quart view's OPTIONS) stays."""
        with self._reconfiguring:
            if {**DEFAULTS, **self.options} == {**DEFAULTS, **options}:
                return False
            policies = validated_route(options, "cross_origin().reconfigure()")
            self.policies = policies
            for decorated in self._decorated:
                _mark(decorated, policies)
            return True


def _mark(decorated: Any, policies: RoutePolicies) -> None:
    """What the middleware reads of a decorated endpoint for its automatic OPTIONS answer, and
    the toolkit for its policy (without app config)."""
    setattr(decorated, ROUTE_POLICY, policies.default)
    setattr(decorated, ROUTE_POLICIES, policies)


# --- functions: Starlette request functions, HTTPEndpoint methods, FastAPI path operations -------


def _policy(route: CrossOrigin, scope: Scope) -> Policy:
    """The route's policy in force (read once per request), under the app config a CORSMiddleware
    left in the scope, if any."""
    return route.policies.policy(scope.get(APP_CONFIG))


def _function(endpoint: Callable[..., Any], route: CrossOrigin) -> Callable[..., Any]:
    target = _called(endpoint)
    try:
        signature = inspect.signature(endpoint)
    except (TypeError, ValueError):
        raise TypeError(f"cross_origin(): cannot read the signature of {endpoint!r}") from None
    annotations = _annotations(target, signature)
    request_name = _parameter_of(annotations, Request)
    response_name = _parameter_of(annotations, Response)
    check_middleware = MiddlewareCheck(endpoint)
    quart_policy = RoutePolicy(route)

    def split(args: tuple[Any, ...], kwargs: dict[str, Any]) -> tuple[Request | None, Response | None]:
        """The request and FastAPI's response parameter, taking out what the wrapper added."""
        request = kwargs.pop(_REQUEST_PARAMETER, None) if request_name is None else kwargs.get(request_name)
        sub_response = (
            kwargs.pop(_RESPONSE_PARAMETER, None) if response_name is None else kwargs.get(response_name)
        )
        if request is None:  # called positionally: Starlette's endpoint(request), a method's (self, request)
            request = next((a for a in args if isinstance(a, Request)), None)
        return request, sub_response

    wrapper: Callable[..., Any]
    if inspect.isasyncgenfunction(target) or inspect.isgeneratorfunction(target):
        # FastAPI streams a generator endpoint's items: its headers are decided when it is called.
        def generator_wrapper(*args: Any, **kwargs: Any) -> Any:
            request, sub_response = split(args, kwargs)
            if request is None:
                if (quart := quart_module()) is not None:
                    return answer_sync(quart, endpoint, args, kwargs, quart_policy)
                return endpoint(*args, **kwargs)
            check_middleware(request.scope)
            if sub_response is not None:
                policy = _policy(route, request.scope)  # once: the request sees one policy
                if policy.origin_check is not None:
                    _ask_from_thread(policy, request.scope)
                _decorate(sub_response, request, policy)
            return endpoint(*args, **kwargs)

        wrapper = generator_wrapper
    elif inspect.iscoroutinefunction(target):

        async def async_wrapper(*args: Any, **kwargs: Any) -> Any:
            request, sub_response = split(args, kwargs)
            if request is None:
                if (quart := quart_module()) is not None:  # a Quart view: see quart_views
                    return await answer(quart, endpoint, args, kwargs, quart_policy)
                return await endpoint(*args, **kwargs)  # a WebSocket: CORS does not apply
            check_middleware(request.scope)
            policy = _policy(route, request.scope)  # once: the request sees one policy
            if policy.origin_check is not None:
                await _ask(policy, request.scope)
            if _answers_preflight(policy, request):
                return _decorate(_default_options(request), request, policy)
            result = await endpoint(*args, **kwargs)
            return _decorate_result(result, sub_response, request, policy)

        wrapper = async_wrapper
    else:
        # Sync: the framework runs the wrapper in its thread pool, as it would the endpoint.
        def sync_wrapper(*args: Any, **kwargs: Any) -> Any:
            request, sub_response = split(args, kwargs)
            if request is None:
                if (quart := quart_module()) is not None:
                    return answer_sync(quart, endpoint, args, kwargs, quart_policy)
                return endpoint(*args, **kwargs)
            check_middleware(request.scope)
            policy = _policy(route, request.scope)  # once: the request sees one policy
            if policy.origin_check is not None:
                _ask_from_thread(policy, request.scope)
            if _answers_preflight(policy, request):
                return _decorate(_default_options(request), request, policy)
            result = endpoint(*args, **kwargs)
            return _decorate_result(result, sub_response, request, policy)

        wrapper = sync_wrapper

    functools.update_wrapper(wrapper, endpoint)
    route_options_to_view(wrapper, endpoint, route.policy)
    added = []
    if request_name is None:
        added.append(
            inspect.Parameter(_REQUEST_PARAMETER, inspect.Parameter.KEYWORD_ONLY, annotation=Request)
        )
    if response_name is None:
        added.append(
            inspect.Parameter(_RESPONSE_PARAMETER, inspect.Parameter.KEYWORD_ONLY, annotation=Response)
        )
    parameters = list(signature.parameters.values())
    variadic = [p for p in parameters if p.kind is inspect.Parameter.VAR_KEYWORD]
    parameters = [p for p in parameters if p.kind is not inspect.Parameter.VAR_KEYWORD]
    setattr(wrapper, "__signature__", signature.replace(parameters=[*parameters, *added, *variadic]))  # noqa: B010
    return wrapper


def _called(endpoint: Any) -> Any:
    """The function that runs when `endpoint` is called: through partials, and a callable object's
    `__call__`."""
    while isinstance(endpoint, functools.partial):
        endpoint = endpoint.func
    if not (inspect.isfunction(endpoint) or inspect.ismethod(endpoint)):
        endpoint = getattr(endpoint, "__call__", endpoint)  # noqa: B004
    return inspect.unwrap(endpoint)


def _annotations(target: Any, signature: inspect.Signature) -> dict[str, Any]:
    """Each parameter's annotation, evaluated where written as text, as FastAPI evaluates them
    (against the endpoint's module); one that cannot be evaluated yet is left out."""
    namespace = getattr(target, "__globals__", {})
    annotations = {}
    for name, parameter in signature.parameters.items():
        annotation = parameter.annotation
        if isinstance(annotation, str):
            try:
                annotation = eval(annotation, namespace)
            except Exception:
                continue
        if typing.get_origin(annotation) is typing.Annotated:
            annotation = typing.get_args(annotation)[0]
        annotations[name] = annotation
    return annotations


def _parameter_of(annotations: dict[str, Any], cls: type) -> str | None:
    for name, annotation in annotations.items():
        if isinstance(annotation, type) and issubclass(annotation, cls):
            return name
    return None


async def _ask(policy: Policy, scope: Scope) -> None:
    """Ask the route's origin callable, when it must be asked: its answer waits in the scope for
    the headers (`known_for`). Callers test `policy.origin_check` first, so that a static policy
    awaits nothing."""
    if policy.origin_check is not None:
        await asked_for(policy, read_request(scope), scope)


def _ask_from_thread(policy: Policy, scope: Scope) -> None:
    """`_ask` from a sync endpoint, which its framework runs in anyio's thread pool; elsewhere the
    callable is not asked, and the origin counts as refused (fails closed)."""
    if policy.origin_check is not None:
        try:
            anyio.from_thread.run(_ask, policy, scope)
        except RuntimeError:  # not in a worker thread of a running event loop
            logger.warning(
                "cross_origin: %r cannot be asked from this thread (not anyio's thread pool); "
                "the origin is refused",
                policy.origin_check,
            )


def _answers_preflight(policy: Policy, request: Request) -> bool:
    return policy.automatic_options and request.method.upper() == "OPTIONS"


def _default_options(request: Request) -> Response:
    # Flask-CORS answers with Flask's default OPTIONS response and skips the view.
    return Response(b"", headers={"Allow": allow_header(request.scope)}, media_type=OPTIONS_CONTENT_TYPE)


def _decorate_result(result: Any, sub_response: Response | None, request: Request, policy: Policy) -> Any:
    if isinstance(result, Response):
        return _decorate(result, request, policy)
    if sub_response is not None:
        # FastAPI builds the answer from the returned value and merges this response's headers in.
        _decorate(sub_response, request, policy)
    return result


def _decorate(response: Response, request: Request, policy: Policy) -> Response:
    # Appended, never set: like Flask-CORS's decorator, an ACAO the view set itself is kept and a
    # second one added.
    for name, value in cors_headers(policy, known_for(policy, read_request(request.scope), request.scope)):
        response.headers.append(name, value)
    request.scope[EVALUATED] = True
    return response


# --- classes and ASGI apps ------------------------------------------------------------------------


def _endpoint_class(cls: type, route: CrossOrigin) -> type:
    """A subclass whose answers carry the route's headers. Its preflights are Flask's automatic
    OPTIONS answer *without* them, as for a Flask `MethodView` whose `decorators` hold
    `cross_origin`: `as_view` resets the view's `provide_automatic_options`, so Flask answers OPTIONS
    itself and only the extension's policy (the middleware's resource) applies to it."""
    if not issubclass(cls, HTTPEndpoint) or issubclass(cls, WebSocketEndpoint):
        raise TypeError(
            f"cross_origin() decorates request functions, FastAPI path operations, HTTPEndpoint "
            f"classes and ASGI apps; {cls.__qualname__} is none of them"
        )
    answers_options = callable(getattr(cls, "options", None))

    class CrossOriginEndpoint(cls):  # type: ignore[misc]
        def __init__(self, scope: Scope, receive: Receive, send: Send) -> None:
            # Once per request (an endpoint is built for each one), under the request's app config.
            self._cors_route_policy = _policy(route, scope)
            super().__init__(scope, receive, _sending_route_headers(scope, send, self._cors_route_policy))
            self.send_without_route_headers = send

        async def dispatch(self) -> None:
            if self.scope["method"].upper() == "OPTIONS" and (
                not answers_options or self._cors_route_policy.automatic_options
            ):
                # Without an options() handler Flask answers OPTIONS itself, without the route's
                # headers (reached here without the middleware, which answers first otherwise); with
                # one, Flask-CORS's decorator answers instead of the view, with them.
                send = self.send if answers_options else self.send_without_route_headers
                await _default_options(Request(self.scope, self.receive))(self.scope, self.receive, send)
                return
            await super().dispatch()

    for attribute in ("__module__", "__name__", "__qualname__", "__doc__"):
        setattr(CrossOriginEndpoint, attribute, getattr(cls, attribute))
    CrossOriginEndpoint.__wrapped__ = cls
    return CrossOriginEndpoint


def _is_asgi_app(endpoint: Any) -> bool:
    """A callable object (not a function) whose `__call__` is async and takes scope, receive, send."""
    if inspect.isfunction(endpoint) or inspect.ismethod(endpoint) or isinstance(endpoint, functools.partial):
        return False
    call = getattr(endpoint, "__call__", None)  # noqa: B004
    if call is None or not inspect.iscoroutinefunction(call):
        return False
    try:
        parameters = inspect.signature(call).parameters.values()
    except (TypeError, ValueError):
        return False
    positional = [p for p in parameters if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
    return len(positional) == _ASGI_PARAMETERS


class _CrossOriginApp:
    """An ASGI app whose answers carry the route's headers; it answers preflights itself."""

    def __init__(self, app: Callable[[Scope, Receive, Send], Any], route: CrossOrigin) -> None:
        self.app = app
        self.route = route
        functools.update_wrapper(self, app, updated=())

    @property
    def policy(self) -> Policy:
        """The policy in force outside any app config."""
        return self.route.policy

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        policy = _policy(self.route, scope)  # once: the request sees one policy
        if policy.automatic_options and scope["method"].upper() == "OPTIONS":
            request = Request(scope, receive)
            if policy.origin_check is not None:
                await _ask(policy, scope)
            await _decorate(_default_options(request), request, policy)(scope, receive, send)
            return
        await self.app(scope, receive, _sending_route_headers(scope, send, policy))


def _sending_route_headers(scope: Scope, send: Send, policy: Policy) -> Send:
    """`send` with the route's headers appended to the response's start; the response is then the
    decorator's, which the middleware leaves alone."""

    async def send_with_route_headers(message: Message) -> None:
        if message["type"] == "http.response.start":
            request = read_request(scope)
            if policy.origin_check is not None:
                request = await asked_for(policy, request, scope)
            added = encode(cors_headers(policy, request))
            message["headers"] = [*message.get("headers", ()), *added]
            scope[EVALUATED] = True
        await send(message)

    return send_with_route_headers

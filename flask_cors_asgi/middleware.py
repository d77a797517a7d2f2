"""Flask-CORS's `CORS(app, **options)` as a pure ASGI middleware.

The middleware appends the headers `decision.cors_headers` chooses to whatever the app answers, as
Flask-CORS's after_request hook does, and adds the two things Flask does around it: the automatic
OPTIONS answer on existing routes (`routing`), and answers to exceptions that carry CORS headers too
(`errors`). It never reads the request body and never buffers the response.
"""

from __future__ import annotations

import functools
import logging
import threading
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import MappingProxyType
from typing import TYPE_CHECKING, Any

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flask_cors_asgi.decision import CORSRequest, Headers, cors_headers, match_resource, needs_verdict
from flask_cors_asgi.dynamic import OriginCheck
from flask_cors_asgi.errors import (
    answer_handled,
    answer_unhandled,
    has_allow_origin,
    response_headers,
)
from flask_cors_asgi.fetch.hook import build
from flask_cors_asgi.frameworks import (
    APP_ROOT_PATH,
    built_by_a_starlette_app,
    registered_handler,
)
from flask_cors_asgi.options import (
    DEFAULTS,
    AppConfig,
    CORSOptions,
    Policy,
    Resource,
    RoutePolicies,
    compile_options,
)
from flask_cors_asgi.quart_config import wrapped_quart_config
from flask_cors_asgi.routing import (
    OPTIONS_CONTENT_TYPE,
    AutomaticOptions,
    automatic_options,
    find_router,
    has_mounted_policy,
    routed_into_own_policy,
)
from flask_cors_asgi.validation import validated

if TYPE_CHECKING:
    from typing import Unpack

logger = logging.getLogger("flask_cors_asgi")

# Set in the scope by a `cross_origin` endpoint that returned normally: the route's policy has been
# applied and the middleware leaves the response alone (Flask-CORS's FLASK_CORS_EVALUATED marker).
EVALUATED = "flask_cors.evaluated"
# Set in the scope by the middleware on every HTTP request: a `cross_origin` endpoint that finds it
# missing warns that its preflights go unanswered (`placement`).
MIDDLEWARE_SEEN = "flask_cors.middleware"
# The attribute carrying a `cross_origin` endpoint's compiled policy (without app config).
ROUTE_POLICY = "__cors_policy__"
# The attribute carrying a `cross_origin` endpoint's `RoutePolicies` (its policy under an app config).
ROUTE_POLICIES = "__cors_route_policies__"
# Set in the scope by a middleware given the app's config: the `AppConfig` cross_origin reads.
APP_CONFIG = "flask_cors_asgi.app_config"
# The attribute carrying a blueprint route's compiled resources (see `blueprint`).
BLUEPRINT_RESOURCES = "__cors_blueprint_resources__"
# Set in the scope by the middleware: the headers its own policy gives the request, which a
# blueprint route reads to know whether the app's policy answers an error first (as in Flask-CORS).
APP_HEADERS = "flask_cors_asgi.app_headers"

_ORIGIN = b"origin"
_ACRM = b"access-control-request-method"
_ACRH = b"access-control-request-headers"
_ACRPN = b"access-control-request-private-network"
_REQUEST_FIELDS = {_ORIGIN: 0, _ACRM: 1, _ACRH: 2, _ACRPN: 3}
RawInputs = tuple[bytes | None, bytes | None, bytes | None, bytes | None]
_OPTIONS_CONTENT_TYPE = OPTIONS_CONTENT_TYPE.encode()


def raw_inputs(headers: Sequence[tuple[bytes, bytes]]) -> RawInputs:
    """The raw Origin and Access-Control-Request-* values of an ASGI request, None where absent.
    A repeated header is joined with ",", as WSGI servers (Werkzeug's, gunicorn) join them before
    Flask-CORS reads the first (and only) value."""
    fields = dict(headers)
    if len(fields) == len(headers):  # no repeated header, the usual case: all done in C
        return fields.get(_ORIGIN), fields.get(_ACRM), fields.get(_ACRH), fields.get(_ACRPN)
    joined: list[bytes | None] = [None, None, None, None]
    for name, value in headers:
        index = _REQUEST_FIELDS.get(name)
        if index is not None:
            previous = joined[index]
            joined[index] = value if previous is None else previous + b"," + value
    return joined[0], joined[1], joined[2], joined[3]


def request_headers(scope: Scope) -> Sequence[tuple[bytes, bytes]]:
    """The request's header lines as a sequence. ASGI allows any iterable, which may be readable only
    once (Falcon's test client sends an iterator): it is read here into a list that replaces it in
    the scope, so the app below still gets every header."""
    headers: Sequence[tuple[bytes, bytes]] = scope["headers"]
    if not isinstance(headers, (list, tuple)):
        headers = scope["headers"] = list(headers)
    return headers


def flask_path(scope: Scope) -> str:
    """The request path as Flask's request.path has it: without the root path the whole app is
    served under (SCRIPT_NAME), but with every Mount's prefix, as a blueprint's url_prefix is part
    of it (Starlette keeps the app's root as `app_root_path` once a Mount extended `root_path`)."""
    path: str = scope["path"]
    root: str = scope.get(APP_ROOT_PATH, scope.get("root_path", ""))
    return path[len(root) :] if root and path.startswith(root) else path


def to_request(method: str, raw: RawInputs) -> CORSRequest:
    # Werkzeug upper-cases request.method, so "options" is a preflight for Flask-CORS.
    origin, acrm, acrh, acrpn = (None if v is None else v.decode("latin-1") for v in raw)
    return CORSRequest(method.upper(), origin, acrm, acrh, acrpn)


def read_request(scope: Scope) -> CORSRequest:
    """The CORS inputs of an ASGI request, decoded as WSGI does (latin-1)."""
    return to_request(scope["method"], raw_inputs(request_headers(scope)))


def known_for(policy: Policy, request: CORSRequest, scope: Scope) -> CORSRequest:
    """The request with the answer of *this* policy's origin callable (another policy's may be in
    it): the one this request already got, else a cached one; an origin the callable was not asked
    about, or failed to answer, counts as refused (fails closed)."""
    if not needs_verdict(policy, request.origin):
        return request if request.origin_verdict is None else request._replace(origin_verdict=None)
    assert policy.origin_check is not None
    assert request.origin
    return request._replace(origin_verdict=bool(policy.origin_check.known(request.origin, scope)))


async def asked_for(policy: Policy, request: CORSRequest, scope: Scope) -> CORSRequest:
    """`known_for`, asking the policy's origin callable first when it must be asked."""
    if policy.origin_check is not None and needs_verdict(policy, request.origin):
        assert request.origin
        await policy.origin_check.verdict(request.origin, scope)
    return known_for(policy, request, scope)


def encode(headers: Headers) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


@functools.lru_cache(maxsize=4096)
def header_block(policy: Policy, request: CORSRequest) -> tuple[tuple[bytes, bytes], ...]:
    """`cors_headers`, encoded for ASGI and memoised: the decision is a pure function of its
    arguments, and real traffic repeats a handful of origins and preflights."""
    return tuple(encode(cors_headers(policy, request)))


# Decisions are memoised only for small inputs. Real traffic's are small (an origin, a method, a few
# header names); a client can send kilobytes per header, all different, which would otherwise keep
# up to maxsize x their size alive in the caches.
MEMO_MAX_INPUT_BYTES = 1024


def input_size(path: str, raw: RawInputs) -> int:
    origin, method, headers, private = raw
    return (
        len(path)
        + (len(origin) if origin else 0)
        + (len(method) if method else 0)
        + (len(headers) if headers else 0)
        + (len(private) if private else 0)
    )


def headers_for(policy: Policy, request: CORSRequest, memo: bool) -> tuple[tuple[bytes, bytes], ...]:
    return header_block(policy, request) if memo else tuple(encode(cors_headers(policy, request)))


def _match(resources: tuple[Resource, ...], path: str, root_path: str) -> Resource | None:
    # The path without the mount prefix, as Werkzeug's request.path excludes SCRIPT_NAME.
    if root_path and path.startswith(root_path):
        path = path[len(root_path) :]
    return match_resource(resources, path)


class _Refused:
    """What a `CORSMiddleware` with options it refuses serves instead of the app, when Starlette
    builds it lazily (at the first lifespan or request event, where raising cannot stop a server):
    a failed lifespan start-up (uvicorn exits, even under its default lifespan "auto"), and a 500
    for any request that arrives anyway (servers without lifespan support)."""

    def __init__(self, message: str) -> None:
        self.message = message

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "lifespan":
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.failed", "message": self.message})
            return
        logger.error("%s", self.message)
        if scope["type"] == "http":
            await PlainTextResponse("Internal Server Error", status_code=500)(scope, receive, send)
        else:
            await send({"type": "websocket.close", "code": 1011})


Decided = tuple[CORSRequest, tuple[tuple[bytes, bytes], ...]]
# The origin callable to ask (None where the listed origins decide), the origin to ask about, and
# the decision if it admits the origin, then if it does not.
Plan = tuple[OriginCheck | None, str, Decided, Decided]


@dataclass(frozen=True, slots=True, eq=False)
class PolicyState:
    """Everything a request reads of a middleware's policy, as one immutable object: `reconfigure`
    replaces it whole, and each request reads it once, so it sees one policy from start to end."""

    options: Mapping[str, Any]  # as given (read-only): what a reconfiguration compares against
    # The app config given at construction (`config=`): the resources are compiled over it, and
    # cross_origin routes read it from the scope. A reconfiguration keeps it.
    config: AppConfig | None
    resources: tuple[Resource, ...]
    # The memoised decision over these resources (its memo goes with them).
    decide: Callable[..., Decided]
    # Some resource's origins hold a callable: requests may have to ask it first. Then `plan`
    # (memoised like `decide`) says which callable to ask, and holds the decision for either answer.
    dynamic: bool
    plan: Callable[..., Plan]


class CORSMiddleware:
    """`CORSMiddleware(app, **options)` takes Flask-CORS 6.0.5's `CORS(app, **options)` options.

    Options it refuses raise TypeError or ValueError here; inside a Starlette app's `middleware=[...]`
    (built lazily, when the server starts the app) they fail the app's start-up instead.
    `reconfigure(**options)` replaces the policy of a running middleware, atomically (the app
    config given at construction stays)."""

    # An app mounted with its own CORSMiddleware answers its automatic OPTIONS itself (routing's
    # OWN_CORS_POLICY names this attribute).
    __flask_cors_middleware__ = True

    def __new__(cls, *args: Any, **options: Any) -> Any:
        # profile="fetch" builds the strict profile's own middleware instead (flask_cors_asgi.fetch);
        # shadow=... wraps the serving middleware in the report-only evaluator of a second policy.
        # Anything else (a subclass's own signature included) is built as always.
        profile = options.pop("profile", "flask_cors")
        shadow = options.pop("shadow", None)
        if shadow is not None or profile != "flask_cors":
            try:
                return build(cls, *args, profile=profile, shadow=shadow, options=options)
            except (TypeError, ValueError) as exc:
                if not built_by_a_starlette_app():
                    raise
                return _Refused(f"flask_cors_asgi: {type(exc).__name__}: {exc}")  # as __init__ does
        return super().__new__(cls)

    def __init__(
        self, app: ASGIApp, config: Mapping[str, Any] | None = None, **options: Unpack[CORSOptions]
    ) -> None:
        """`config` is the app's configuration as Flask's `app.config` holds it (its `CORS_*` keys
        are read, any other key ignored): under the options, as `CORS(app)` reads `app.config`, and
        under the options of every `cross_origin` route below, as Flask-CORS's decorator reads it.
        Without it, a wrapped Quart app's `app.config` is read, here, once (`quart_config`)."""
        options.pop("profile", None)  # type: ignore[typeddict-item]  # "flask_cors", seen in __new__
        app_config: AppConfig | None = None
        if config is None:
            config = wrapped_quart_config(app)
        try:
            resources = compile_options(options, "CORSMiddleware", config)
            app_config = AppConfig.of(config, "CORSMiddleware")
        except (TypeError, ValueError) as exc:
            if not built_by_a_starlette_app():
                raise
            app = _Refused(f"flask_cors_asgi: {type(exc).__name__}: {exc}")
            resources = ()
        self.app = app
        # Flask's automatic OPTIONS needs the routes below; None when they cannot be seen.
        self.router = find_router(app)
        # The one attribute holding the policy (see PolicyState); reconfigure swaps it under a lock
        # so that concurrent reconfigurations compare against the policy they replace.
        self._state = self._new_state(options, app_config, resources)
        self._reconfiguring = threading.Lock()
        # So is Flask's automatic OPTIONS answer, of the path and the routes (their number stands
        # for them: a route added later is seen; one changed in place is not).
        self._automatic = functools.lru_cache(maxsize=1024)(self._automatic_answer)
        # Whether the routes hold a mounted app with its own CORSMiddleware (for this number of
        # routes, as for the automatic OPTIONS answer), and whether a request goes there.
        self._mounted_policy = (-1, False)
        self._into_own_policy = functools.lru_cache(maxsize=1024)(self._routed_into_own_policy)

    def _routed_into_own_policy(
        self, path: str, root_path: str, method: str, host: bytes | None, routes: int
    ) -> bool:
        assert self.router is not None
        scope = {
            "type": "http",
            "method": method,
            "path": path,
            "root_path": root_path,
            "headers": [] if host is None else [(b"host", host)],  # for Host routes
        }
        return routed_into_own_policy(self.router.routes, scope)

    def _leaves_to_mounted_policy(self, scope: Scope, path: str, memo: bool) -> bool:
        """Whether the request goes to a mounted app with its own CORSMiddleware, which then answers
        it alone: a Flask app under Werkzeug's DispatcherMiddleware never sees the outer app's
        CORS(app), not even where its own policy gives no headers."""
        if self.router is None:
            return False
        routes = len(self.router.routes)
        if self._mounted_policy[0] != routes:
            self._mounted_policy = (routes, has_mounted_policy(self.router.routes))
        if not self._mounted_policy[1]:
            return False
        if not memo:
            return routed_into_own_policy(self.router.routes, scope)
        host = next((value for name, value in scope["headers"] if name == b"host"), None)
        root_path = scope.get("root_path", "")
        return self._into_own_policy(path, root_path, scope["method"], host, routes)

    def _automatic_answer(
        self, path: str, root_path: str, host: bytes | None, routes: int
    ) -> AutomaticOptions | None:
        assert self.router is not None
        scope = {
            "type": "http",
            "method": "OPTIONS",
            "path": path,
            "root_path": root_path,
            "headers": [] if host is None else [(b"host", host)],  # for Host routes
        }
        return automatic_options(self.router.routes, scope)

    @property
    def resources(self) -> tuple[Resource, ...]:
        """The compiled resources of the policy in force."""
        return self._state.resources

    @property
    def config(self) -> AppConfig | None:
        """The app config's `CORS_*` keys given at construction (None without any): kept by
        `reconfigure`."""
        return self._state.config

    @property
    def options(self) -> Mapping[str, Any]:
        """The options of the policy in force, as given (read-only)."""
        return self._state.options

    def origin_check_for(self, path: str, origin: str) -> OriginCheck | None:
        """The origin callable a request to `path` (outside any mount) from `origin` would ask; None
        where the listed origins decide, or no resource covers the path. For tools that say which
        answers are decided at request time."""
        resource = _match(self.resources, path, "")
        if resource is None or not needs_verdict(resource.policy, origin):
            return None
        return resource.policy.origin_check

    def _new_state(
        self, options: Mapping[str, Any], config: AppConfig | None, resources: tuple[Resource, ...]
    ) -> PolicyState:
        # The whole decision is a pure function of these request fields: memoise it, bounded.
        decide = functools.lru_cache(maxsize=4096)(functools.partial(self._decision, resources))
        dynamic = any(resource.policy.origin_check is not None for resource in resources)
        plan = functools.lru_cache(maxsize=4096)(functools.partial(self._plan, resources))
        return PolicyState(MappingProxyType(dict(options)), config, resources, decide, dynamic, plan)

    def reconfigure(self, **options: Unpack[CORSOptions]) -> bool:
        """Replace the policy with the one `CORSMiddleware(app, **options)` would have (the options
        replace the current ones, they are not merged into them). Safe from any task or thread.

        Validates first: on any problem raises `OptionsRefused` (a TypeError and a ValueError)
        listing every problem, and the policy in force keeps serving. Returns False, changing
        nothing (memos stay warm), when the options are the ones in force; True once swapped.
        Nothing else of the middleware (its app, its routes, a debug flag) changes, and the app
        config given at construction (`config=`) stays: the new options are layered over it, as
        at construction, as `CORS(app, **options)` called again reads the same `app.config`."""
        with self._reconfiguring:
            state = self._state
            if {**DEFAULTS, **state.options} == {**DEFAULTS, **options}:
                return False
            config = None if state.config is None else state.config.keys
            resources = validated(options, "CORSMiddleware.reconfigure()", config)
            self._state = self._new_state(options, state.config, resources)
            return True

    def _decision(
        self,
        resources: tuple[Resource, ...],
        path: str,
        root_path: str,
        method: str,
        *raw: bytes | None,
        memo: bool = True,
        verdict: bool | None = None,
    ) -> Decided:
        """The request's CORS inputs and the encoded headers its resource's policy gives it."""
        request = to_request(method, raw)  # type: ignore[arg-type]
        if verdict is not None:
            request = request._replace(origin_verdict=verdict)
        resource = _match(resources, path, root_path)
        if resource is None:
            return request, ()
        return request, headers_for(resource.policy, request, memo)

    @staticmethod
    def _blueprint_policies(route: object, scope: Scope) -> list[Policy]:
        """The blueprint policies covering an automatic OPTIONS answer's route, the innermost
        blueprint first (Flask's order); none for a route outside any blueprint."""
        chain = []
        app = getattr(route, "app", None)
        while (resources := getattr(app, BLUEPRINT_RESOURCES, None)) is not None:
            chain.append(resources)
            app = getattr(app, "app", None)
        policies = []
        for resources in reversed(chain):  # wrapped outermost first: the innermost is last
            resource = match_resource(resources, flask_path(scope))
            if resource is not None:
                policies.append(resource.policy)
        return policies

    @staticmethod
    async def _blueprint_headers(
        policies: list[Policy], scope: Scope, request: CORSRequest, memo: bool
    ) -> tuple[tuple[bytes, bytes], ...]:
        """The headers of the first of these blueprint policies that gives any, or none. Each is
        judged by its own origin callable, if it has one, never by the middleware's answer."""
        for policy in policies:
            if policy.origin_check is not None:
                own = await asked_for(policy, request, scope)
            else:
                own = known_for(policy, request, scope)
            headers = headers_for(policy, own, memo)
            if headers:
                return headers
        return ()

    def _plan(
        self,
        resources: tuple[Resource, ...],
        path: str,
        root_path: str,
        method: str,
        *raw: bytes | None,
        memo: bool = True,
    ) -> Plan:
        """For a policy whose origins hold a callable: the callable to ask and the origin to ask
        about (None, "" when the listed origins decide), and the decision for each answer (both
        the same then). Both are decided at once, so that a memoised plan costs what a memoised
        static decision does, and a cached answer only picks one."""
        raw_origin = raw[0]
        if raw_origin:
            origin = raw_origin.decode("latin-1")
            resource = _match(resources, path, root_path)
            if resource is not None and needs_verdict(resource.policy, origin):
                assert resource.policy.origin_check is not None
                admitted = self._decision(resources, path, root_path, method, *raw, memo=memo, verdict=True)
                refused = self._decision(resources, path, root_path, method, *raw, memo=memo, verdict=False)
                return resource.policy.origin_check, origin, admitted, refused
        decided = self._decision(resources, path, root_path, method, *raw, memo=memo)
        return None, "", decided, decided

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[MIDDLEWARE_SEEN] = True
        state = self._state  # once: this request, its error answers included, sees one policy
        if state.config is not None:
            scope[APP_CONFIG] = state.config
        path = scope["path"]
        headers = scope["headers"]
        # Read through request_headers only when not a list: the usual case costs no call.
        raw = raw_inputs(headers if type(headers) is list else request_headers(scope))
        memo = input_size(path, raw) <= MEMO_MAX_INPUT_BYTES
        # Checked through a call only when the routes changed or some mounted app has its own policy:
        # the usual request pays two lookups.
        router, (seen_routes, mounted) = self.router, self._mounted_policy
        if (
            (mounted or (router is not None and seen_routes != len(router.routes)))
            and self._leaves_to_mounted_policy(scope, path, memo)
        ):  # fmt: skip
            await self.app(scope, receive, send)
            return
        if state.dynamic:
            # Ask the origin callable first, when it must be asked; a cached answer awaits nothing.
            plan = state.plan if memo else functools.partial(self._plan, state.resources, memo=False)
            check, origin, admitted, refused = plan(path, scope.get("root_path", ""), scope["method"], *raw)
            if check is None:  # the listed origins decide
                request, added = admitted
            else:
                verdict = check.known(origin, scope)
                if verdict is None:
                    verdict = await check.verdict(origin, scope)
                request, added = admitted if verdict else refused
        else:
            decide = state.decide if memo else functools.partial(self._decision, state.resources, memo=False)
            request, added = decide(path, scope.get("root_path", ""), scope["method"], *raw)

        if request.method == "OPTIONS" and self.router is not None:
            if memo:
                host = next((value for name, value in scope["headers"] if name == b"host"), None)
                root_path = scope.get("root_path", "")
                automatic = self._automatic(path, root_path, host, len(self.router.routes))
            else:
                automatic = automatic_options(self.router.routes, scope)
            if automatic is not None:
                # Flask's default OPTIONS response; a cross_origin route's own policy wins over the
                # resource's, unless it was decorated with automatic_options=False.
                # A route's policy is judged by its own origin callable, if any, never by the
                # middleware's answer.
                policies: RoutePolicies | None = getattr(automatic.endpoint, ROUTE_POLICIES, None)
                if policies is not None and policies.takes_options:
                    route_policy = policies.policy(state.config)
                    if route_policy.origin_check is not None:
                        route_request = await asked_for(route_policy, request, scope)
                    else:
                        route_request = known_for(route_policy, request, scope)
                    added = headers_for(route_policy, route_request, memo)
                else:
                    # A blueprint's after_request runs before the app's: its headers, if any, win.
                    # Most routes are in no blueprint: one lookup says so, without a call.
                    in_blueprint = hasattr(getattr(automatic.route, "app", None), BLUEPRINT_RESOURCES)
                    blueprint = self._blueprint_policies(automatic.route, scope) if in_blueprint else None
                    if blueprint:
                        added = await self._blueprint_headers(blueprint, scope, request, memo) or added
                headers = [(b"content-type", _OPTIONS_CONTENT_TYPE), (b"allow", automatic.allow.encode())]
                headers += added
                headers.append((b"content-length", b"0"))
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return

        scope[APP_HEADERS] = added
        if not added:
            # Nothing to append, not even to an error: the app's own answers are already Flask's.
            await self.app(scope, receive, send)
            return

        response_started = False
        app = scope.get("app")  # the Starlette app this middleware is part of, if any

        async def send_with_cors(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                headers = message.get("headers", ())
                if type(headers) is not list:  # any other iterable: read once (response_headers)
                    headers = response_headers(message)
                # Flask-CORS skips a response the decorator evaluated, or that already has an ACAO.
                if not scope.get(EVALUATED) and not has_allow_origin(headers):
                    message["headers"] = [*headers, *added]
            await send(message)

        try:
            await self.app(scope, receive, send_with_cors)
        except Exception as exc:
            if response_started:
                raise
            # Flask answers the exception (with the app's handler, if any), and that answer passes
            # through Flask-CORS with the resource's policy, also for cross_origin routes.
            handler = registered_handler(scope, exc)
            if handler is not None:
                await answer_handled(handler, exc, scope, receive, send, added)
                return
            # A blueprint route may have left its own first: Flask runs its after_request first.
            await answer_unhandled(app, scope, receive, send, added)
            raise  # for the server's log, as without this middleware

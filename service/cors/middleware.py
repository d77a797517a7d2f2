"""Flask-CORS's `CORS(app, **options)` as a pure ASGI middleware.

The middleware appends the headers `decision.cors_headers` chooses to whatever the app answers, as
Flask-CORS's after_request hook does, and adds the two things Flask does around it: the automatic
OPTIONS answer on existing routes, and a 500 (with CORS headers) for an exception in a handler.
It never reads the request body and never buffers the response.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.cors.decision import CORSRequest, Headers, cors_headers, match_resource
from service.cors.options import DEFAULTS, CORSOptions, Policy, check_names, compile_policy, compile_resources
from service.cors.routing import OPTIONS_CONTENT_TYPE, automatic_options

if TYPE_CHECKING:
    from typing import Unpack

# Set in the scope by a `cross_origin` endpoint that returned normally: the route's policy has been
# applied and the middleware leaves the response alone (Flask-CORS's FLASK_CORS_EVALUATED marker).
EVALUATED = "flask_cors.evaluated"
# The attribute carrying a `cross_origin` endpoint's compiled policy.
ROUTE_POLICY = "__cors_policy__"

_REQUEST_FIELDS = {
    b"origin": 0,
    b"access-control-request-method": 1,
    b"access-control-request-headers": 2,
    b"access-control-request-private-network": 3,
}
_ACAO = b"access-control-allow-origin"
_ERROR_BODY = b"Internal Server Error"


def read_request(scope: Scope) -> CORSRequest:
    """The CORS inputs of an ASGI request. A repeated header is joined with ",", as WSGI servers
    (Werkzeug's, gunicorn) join them before Flask-CORS reads the first (and only) value."""
    fields: list[str | None] = [None, None, None, None]
    for name, value in scope["headers"]:
        index = _REQUEST_FIELDS.get(name)
        if index is not None:
            text = value.decode("latin-1")
            previous = fields[index]
            fields[index] = text if previous is None else f"{previous},{text}"
    # Werkzeug upper-cases request.method, so "options" is a preflight for Flask-CORS.
    return CORSRequest(scope["method"].upper(), *fields)


def encode(headers: Headers) -> list[tuple[bytes, bytes]]:
    return [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers]


def route_path(scope: Scope) -> str:
    """The path without the mount prefix, as Werkzeug's request.path excludes SCRIPT_NAME."""
    path: str = scope["path"]
    root_path: str = scope.get("root_path", "")
    return path[len(root_path) :] if root_path and path.startswith(root_path) else path


def _has_allow_origin(headers: Any) -> bool:
    return any(value and name.lower() == _ACAO for name, value in headers)


class CORSMiddleware:
    """`CORSMiddleware(app, **options)` takes Flask-CORS 6.0.5's `CORS(app, **options)` options."""

    def __init__(self, app: ASGIApp, **options: Unpack[CORSOptions]) -> None:
        check_names(options, DEFAULTS, "CORSMiddleware")
        merged = {**DEFAULTS, **options}
        # Flask-CORS validates the app-level options even where every resource overrides them.
        compile_policy(merged)
        self.app = app
        self.resources = compile_resources(merged, "CORSMiddleware")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request = read_request(scope)
        resource = match_resource(self.resources, route_path(scope))
        policy = resource.policy if resource is not None else None

        if request.method == "OPTIONS":
            automatic = automatic_options(scope)
            if automatic is not None:
                # Flask's default OPTIONS response; a cross_origin route's own policy wins over the
                # resource's, unless it was decorated with automatic_options=False.
                route_policy: Policy | None = getattr(automatic.endpoint, ROUTE_POLICY, None)
                if route_policy is not None and route_policy.automatic_options:
                    policy = route_policy
                headers = [
                    (b"content-type", OPTIONS_CONTENT_TYPE.encode()),
                    (b"allow", automatic.allow.encode()),
                ]
                if policy is not None:
                    headers += encode(cors_headers(policy, request))
                headers.append((b"content-length", b"0"))
                await send({"type": "http.response.start", "status": 200, "headers": headers})
                await send({"type": "http.response.body", "body": b""})
                return

        if policy is None:
            await self.app(scope, receive, send)
            return

        response_started = False

        async def send_with_cors(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
                headers = message.get("headers", [])
                # Flask-CORS skips a response the decorator evaluated, or that already has an ACAO.
                if not scope.get(EVALUATED) and not _has_allow_origin(headers):
                    added = cors_headers(policy, request)
                    if added:
                        message["headers"] = [*headers, *encode(added)]
            await send(message)

        try:
            await self.app(scope, receive, send_with_cors)
        except Exception:
            if response_started:
                raise
            # Flask turns the exception into a 500 that still passes through Flask-CORS (the
            # resource's policy, also for cross_origin routes). Answer it here, then re-raise so the
            # server logs the exception as it would without us.
            headers = [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(_ERROR_BODY)).encode()),
                *encode(cors_headers(policy, request)),
            ]
            await send({"type": "http.response.start", "status": 500, "headers": headers})
            await send({"type": "http.response.body", "body": _ERROR_BODY})
            raise

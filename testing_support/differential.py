"""Build the same routes twice, on Flask + Flask-CORS (the reference) and on Starlette + our engine,
send both the same request in-process, and compare what the CORS contract covers."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote, unquote_to_bytes

import flask
import flask_cors
import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from cors_conformance import Response as Answer
from flask_cors_asgi import CORSMiddleware, cross_origin

# What a handler does: "ok" (200 text), "status:N", "raise" (an unhandled exception),
# "abort:N" (an HTTP exception), "acao" (sets Access-Control-Allow-Origin itself),
# "vary" (returns its own Vary header), "stream" (a streamed body).
Behaviour = str


@dataclass(frozen=True)
class RouteSpec:
    path: str
    methods: tuple[str, ...] = ("GET",)
    behaviour: Behaviour = "ok"
    # None: not decorated; a dict: decorated with cross_origin(**decorator).
    decorator: Mapping[str, Any] | None = None


@dataclass(frozen=True)
class Req:
    method: str = "GET"
    path: str = "/"
    headers: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Observed:
    """The parts of a response the equivalence contract compares."""

    status: int
    cors: tuple[tuple[str, str], ...]  # every Access-Control-* line, in order, names lower-cased
    vary: frozenset[str]  # Vary tokens, lower-cased
    allow: frozenset[str] | None  # the Allow header as a set (Flask's order depends on the hash seed)

    def header(self, name: str) -> list[str]:
        return [value for key, value in self.cors if key == name.lower()]


def observe(response: httpx.Response) -> Observed:
    """The contract's view of a response, through the conformance toolkit's own reading of it."""
    return observe_lines(response.status_code, tuple(response.headers.multi_items()))


def observe_lines(status: int, headers: Sequence[tuple[str, str]]) -> Observed:
    """`observe` for a status and header lines (names lower-cased, values decoded)."""
    seen = Answer(status, tuple(headers))
    allows = seen.values("allow")
    allow = ", ".join(allows) if allows else None  # httpx's headers.get joins repeated lines so
    return Observed(
        status=seen.status,
        cors=seen.cors,
        vary=seen.vary,
        allow=frozenset(m.strip() for m in allow.split(",")) if allow is not None else None,
    )


# --- the reference: Flask + Flask-CORS -------------------------------------------------------------


def flask_style_answer(spec: RouteSpec, abort: Callable[[int], Any], response_class: Any) -> Any:
    """What a view of Flask's API returns for `spec.behaviour`: Flask's own (`flask.abort`,
    `flask.Response`) or a port's with the same API (Quart's), so the two apps answer alike."""
    kind, _, arg = spec.behaviour.partition(":")
    if kind == "raise":
        raise RuntimeError("handler failure")
    if kind == "abort":
        abort(int(arg))
    if kind == "status":
        return "status", int(arg)
    if kind == "acao":
        return "own", 200, {"Access-Control-Allow-Origin": "https://own.example"}
    if kind == "vary":
        return "vary", 200, {"Vary": "Accept-Encoding"}
    if kind == "stream":
        return response_class((chunk for chunk in ("a", "b")), mimetype="text/plain")
    return "ok"


def _flask_view(spec: RouteSpec) -> Any:
    def view() -> Any:
        return flask_style_answer(spec, flask.abort, flask.Response)

    return view


def flask_app(options: Mapping[str, Any] | None, routes: Sequence[RouteSpec]) -> flask.Flask:
    """`options` None means no CORS(app) at all (decorator-only apps)."""
    app = flask.Flask("reference")
    for index, spec in enumerate(routes):
        view = _flask_view(spec)
        if spec.decorator is not None:
            view = flask_cors.cross_origin(**spec.decorator)(view)
        app.add_url_rule(spec.path, f"view{index}", view, methods=list(spec.methods))
    if options is not None:
        flask_cors.CORS(app, **options)
    return app


# --- the port: Starlette + flask_cors_asgi ------------------------------------------------------------


def _starlette_endpoint(spec: RouteSpec) -> Any:
    async def endpoint(request: Request) -> Response:
        kind, _, arg = spec.behaviour.partition(":")
        if kind == "raise":
            raise RuntimeError("handler failure")
        if kind == "abort":
            raise HTTPException(int(arg))
        if kind == "status":
            return PlainTextResponse("status", int(arg))
        if kind == "acao":
            return PlainTextResponse("own", headers={"Access-Control-Allow-Origin": "https://own.example"})
        if kind == "vary":
            return PlainTextResponse("vary", headers={"Vary": "Accept-Encoding"})
        if kind == "stream":
            return StreamingResponse(iter(["a", "b"]), media_type="text/plain")
        return PlainTextResponse("ok")

    return endpoint


def starlette_app(options: Mapping[str, Any] | None, routes: Sequence[RouteSpec]) -> Starlette:
    routing = []
    for spec in routes:
        endpoint = _starlette_endpoint(spec)
        if spec.decorator is not None:
            endpoint = cross_origin(**spec.decorator)(endpoint)
        routing.append(Route(spec.path, endpoint, methods=list(spec.methods)))
    # A decorator-only app still needs the middleware for automatic OPTIONS: no resources at all.
    cors_options = options if options is not None else {"resources": []}
    # Starlette builds its middleware on the app's first event, where refused options fail the
    # start-up; built by hand, they raise at once, as CORS(app) does in Flask.
    CORSMiddleware(Starlette(), **cors_options)
    app = Starlette(routes=routing, middleware=[Middleware(CORSMiddleware, **cors_options)])
    # Werkzeug never redirects "/x/" to "/x" (Starlette does, with 307): see docs/engine.md.
    app.router.redirect_slashes = False
    return app


# --- sending ---------------------------------------------------------------------------------------


def send_flask(app: flask.Flask, request: Req) -> Observed:
    with httpx.Client(transport=httpx.WSGITransport(app=app), base_url="http://testserver") as client:
        return observe(client.request(request.method, request.path, headers=dict(request.headers)))


async def send_asgi(app: Any, request: Req) -> Observed:
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return observe(await client.request(request.method, request.path, headers=dict(request.headers)))


def send_asgi_sync(app: Any, request: Req) -> Observed:
    return asyncio.run(send_asgi(app, request))


# --- raw requests: the bytes an HTTP server delivers ------------------------------------------------
#
# httpx's transports cannot carry everything a server can deliver: WSGITransport decodes header values
# as ASCII and keeps only the last of a repeated header, and httpx upper-cases methods. These send a
# request as a server hands it over, to both sides.


@dataclass(frozen=True)
class RawReq:
    """A request as a server hands it to the app: the method as sent, the header lines as bytes in
    order (repeats allowed, no Content-Length: it is added for a non-empty body), and the body."""

    method: str = "GET"
    path: str = "/"
    headers: tuple[tuple[bytes, bytes], ...] = ()
    body: bytes = b""

    def header_lines(self) -> list[tuple[bytes, bytes]]:
        lines = list(self.headers)
        if self.body:
            lines.append((b"content-length", str(len(self.body)).encode()))
        return lines


@dataclass(frozen=True)
class RawAnswer:
    status: int
    headers: tuple[tuple[str, str], ...]  # every line in order, names lower-cased, values latin-1
    body: bytes

    def observed(self) -> Observed:
        return observe_lines(self.status, self.headers)

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]


def wsgi_environ(request: RawReq) -> dict[str, Any]:
    """The environ Werkzeug's development server builds: header values decoded as latin-1, a repeated
    header joined with "," in arrival order, except Content-Type and Content-Length (the last line
    wins). gunicorn joins the same way, but refuses a repeated Content-Type (since 27.0)."""
    environ: dict[str, Any] = {
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.input": io.BytesIO(request.body),
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        # PEP 3333: the percent-decoded path's bytes, as latin-1 text.
        "PATH_INFO": unquote_to_bytes(request.path).decode("latin-1"),
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
    }
    for name, value in request.header_lines():
        key = name.decode("latin-1").upper().replace("-", "_")
        text = value.decode("latin-1")
        if key not in ("CONTENT_TYPE", "CONTENT_LENGTH"):
            key = f"HTTP_{key}"
            if key in environ:
                text = f"{environ[key]},{text}"
        environ[key] = text
    return environ


def send_flask_raw(app: flask.Flask, request: RawReq) -> RawAnswer:
    seen: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        seen[:] = [int(status.split()[0]), headers]
        return lambda data: None

    result = app(wsgi_environ(request), start_response)
    try:
        body = b"".join(result)
    finally:
        getattr(result, "close", lambda: None)()
    status, headers = seen
    return RawAnswer(status, tuple((k.lower(), v) for k, v in headers), body)


def asgi_scope(request: RawReq) -> dict[str, Any]:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": unquote(request.path),
        "raw_path": request.path.encode("ascii"),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"testserver"), *((k.lower(), v) for k, v in request.header_lines())],
        "client": ("127.0.0.1", 50000),
        "server": ("testserver", 80),
    }


async def send_asgi_raw(app: Any, request: RawReq) -> RawAnswer:
    """Call the ASGI app directly (an exception it raises propagates). The body arrives in one
    message; after it, `receive` reports a disconnect, as a server does once the response is sent."""
    messages: list[dict[str, Any]] = []
    delivered = False

    async def receive() -> dict[str, Any]:
        nonlocal delivered
        if delivered:
            return {"type": "http.disconnect"}
        delivered = True
        return {"type": "http.request", "body": request.body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        messages.append(message)

    await app(asgi_scope(request), receive, send)
    start = next(m for m in messages if m["type"] == "http.response.start")
    headers = tuple((k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in start.get("headers", ()))
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    return RawAnswer(start["status"], headers, body)


def compare(reference: Observed, port: Observed, *, automatic_options: bool = False) -> list[str]:
    """The differences the contract forbids, as readable lines (empty when equivalent)."""
    problems = []
    if reference.status != port.status:
        problems.append(f"status: flask {reference.status} != port {port.status}")
    if reference.cors != port.cors:
        problems.append(f"Access-Control-* lines: flask {reference.cors} != port {port.cors}")
    if reference.vary != port.vary:
        problems.append(f"Vary tokens: flask {sorted(reference.vary)} != port {sorted(port.vary)}")
    if automatic_options and reference.allow != port.allow:
        problems.append(f"Allow: flask {reference.allow} != port {port.allow}")
    return problems


def is_automatic_options(request: Req, observed: Observed) -> bool:
    return request.method == "OPTIONS" and observed.status == 200 and observed.allow is not None


def differences(
    reference: flask.Flask, port: Any, requests: Sequence[Req], *, compare_allow: bool = True
) -> list[str]:
    """Each request sent to the Flask reference and to the (sync-driven) ASGI port: one line per
    request whose answers differ. Allow is compared on the preflights Flask answers itself, unless
    `compare_allow` is false."""
    problems = []
    for request in requests:
        expected = send_flask(reference, request)
        automatic = compare_allow and is_automatic_options(request, expected)
        found = compare(expected, send_asgi_sync(port, request), automatic_options=automatic)
        if found:
            problems.append(f"{request.method} {request.path} {dict(request.headers)}: {found}")
    return problems


async def sent_for(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    """The messages the ASGI app sends for `scope` as is (a test's own scope, unlike
    `send_asgi_raw`'s), its request body empty."""
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def post_preflight(path: str, origin: str) -> Req:
    """The preflight of a POST sending the two request headers apps most often allow or not."""
    headers = {
        "Origin": origin,
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "content-type, authorization",
    }
    return Req("OPTIONS", path, headers)

"""Build the same routes twice, on Flask + Flask-CORS (the reference) and on Starlette + our engine,
send both the same request in-process, and compare what the CORS contract covers."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import flask
import flask_cors
import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from service.conformance.targets import Response as Answer
from service.cors import CORSMiddleware, cross_origin

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
    seen = Answer(response.status_code, tuple(response.headers.multi_items()))
    allow = response.headers.get("allow")
    return Observed(
        status=seen.status,
        cors=seen.cors,
        vary=seen.vary,
        allow=frozenset(m.strip() for m in allow.split(",")) if allow is not None else None,
    )


# --- the reference: Flask + Flask-CORS -------------------------------------------------------------


def _flask_view(spec: RouteSpec) -> Any:
    def view() -> Any:
        kind, _, arg = spec.behaviour.partition(":")
        if kind == "raise":
            raise RuntimeError("handler failure")
        if kind == "abort":
            flask.abort(int(arg))
        if kind == "status":
            return "status", int(arg)
        if kind == "acao":
            return "own", 200, {"Access-Control-Allow-Origin": "https://own.example"}
        if kind == "vary":
            return "vary", 200, {"Vary": "Accept-Encoding"}
        if kind == "stream":
            return flask.Response((chunk for chunk in ("a", "b")), mimetype="text/plain")
        return "ok"

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


# --- the port: Starlette + service.cors ------------------------------------------------------------


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
    middleware = [Middleware(CORSMiddleware, **(options if options is not None else {"resources": []}))]
    app = Starlette(routes=routing, middleware=middleware)
    # Werkzeug never redirects "/x/" to "/x" (Starlette does, with 307): see the README.
    app.router.redirect_slashes = False
    # Starlette instantiates middleware on the first request (or at lifespan start-up under a
    # server); build it now so refused options raise here, as CORS(app) does in Flask.
    app.middleware_stack = app.build_middleware_stack()
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

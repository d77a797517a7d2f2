"""Targets: a WSGI app, an ASGI app (or factory) or a live URL, all spoken to over httpx.

`Target("wsgi:package.module:attr")` imports the app; `Target("http://host:port")` talks to a
running server. A target that cannot be imported, is not what its kind says, or cannot be reached
is a `TargetError` with a one-line message saying what was found and what to write instead.
"""

from __future__ import annotations

import asyncio
import difflib
import importlib
import inspect
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from cors_conformance.recording import import_recording

Header = tuple[str, str]
KINDS = "wsgi:module:app, asgi:module:app, asgi-factory:module:function or an http(s):// URL"
_ASGI_PARAMETERS = ("scope", "receive", "send")


class TargetError(Exception):
    """The target string is malformed, or the target cannot be imported, used or reached."""


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    headers: tuple[Header, ...] = ()
    body: bytes = b""


@dataclass(frozen=True)
class Response:
    status: int
    headers: tuple[Header, ...]  # every line, names lower-cased, in order
    body: bytes = b""

    def values(self, name: str) -> list[str]:
        return [value for key, value in self.headers if key == name]

    @property
    def revealed_origins(self) -> list[str]:
        """Concrete origins in Access-Control-Allow-Origin (not "*" or "null")."""
        return [v for v in self.values("access-control-allow-origin") if v not in ("*", "null")]

    @property
    def cors(self) -> tuple[Header, ...]:
        return tuple((k, v) for k, v in self.headers if k.startswith("access-control-"))

    @property
    def vary(self) -> frozenset[str]:
        return frozenset(t.strip().lower() for v in self.values("vary") for t in v.split(",") if t.strip())


def _import(reference: str, kind: str, recorded: list[dict[str, Any]] | None = None) -> Any:
    """`module:attribute`, imported; with `recorded`, afresh while Flask-CORS's calls are recorded
    into it (their keyword options), so that a Flask app's configured origins can be probed."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise TargetError(f"expected {kind}:package.module:attribute, got {kind}:{reference}")
    try:
        if recorded is None:
            module = importlib.import_module(module_name)
        else:
            recording = import_recording(module_name)
            module = recording.module
            recorded += recording.calls()
    except Exception as exc:  # an app module can fail in any way while importing
        raise TargetError(f"cannot import {module_name}: {type(exc).__name__}: {exc}") from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        apps = [
            name for name, value in vars(module).items() if not name.startswith("_") and _is_app_like(value)
        ]
        close = difflib.get_close_matches(attribute, apps, n=1)
        hint = f"; did you mean {module_name}:{close[0]}?" if close else ""
        raise TargetError(f"{module_name} has no attribute {attribute!r}{hint}") from None


def _parameters(function: Any) -> list[inspect.Parameter] | None:
    try:
        return list(inspect.signature(function).parameters.values())
    except (TypeError, ValueError):
        return None


def is_asgi_app(obj: Any) -> bool:
    """An ASGI 3 app: an async callable (function or object) taking scope, receive and send."""
    if isinstance(obj, type):
        return False
    call = obj if inspect.isfunction(obj) or inspect.ismethod(obj) else getattr(obj, "__call__", None)  # noqa: B004
    if call is None or not inspect.iscoroutinefunction(call):
        return False
    parameters = _parameters(call)
    return parameters is not None and len(parameters) == len(_ASGI_PARAMETERS)


def is_wsgi_app(obj: Any) -> bool:
    """A WSGI app: Flask's (which has `wsgi_app`), or a plain callable taking environ and start_response."""
    if hasattr(obj, "wsgi_app") and callable(obj):
        return True
    if isinstance(obj, type) or not callable(obj):
        return False
    call = obj if inspect.isfunction(obj) or inspect.ismethod(obj) else getattr(obj, "__call__", None)  # noqa: B004
    if call is None or inspect.iscoroutinefunction(call):
        return False
    parameters = _parameters(call)
    return parameters is not None and [p.name for p in parameters][:2] == ["environ", "start_response"]


def _is_factory(obj: Any) -> bool:
    """A function (not an app) that can be called without arguments."""
    if not (inspect.isfunction(obj) or inspect.ismethod(obj)) or inspect.iscoroutinefunction(obj):
        return False
    parameters = _parameters(obj) or []
    return all(p.default is not p.empty or p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in parameters)


def _is_app_like(obj: Any) -> bool:
    """An app or a factory; False for anything that cannot even be looked at (Flask's `request`
    proxy raises outside a request)."""
    try:
        return is_asgi_app(obj) or is_wsgi_app(obj) or _is_factory(obj)
    except Exception:
        return False


def _describe(obj: Any) -> str:
    if is_wsgi_app(obj):
        return "a WSGI app" if not hasattr(obj, "wsgi_app") else f"a {type(obj).__name__} (WSGI) app"
    if is_asgi_app(obj):
        return f"an ASGI app ({type(obj).__name__})"
    if _is_factory(obj):
        return "a function that builds an app"
    return f"a {type(obj).__name__}, not an app"


def _build(factory: Any, reference: str) -> Any:
    try:
        return factory()
    except (Exception, SystemExit) as exc:
        raise TargetError(f"{reference}() failed: {type(exc).__name__}: {exc}") from None


class Target:
    """Sends requests to one target and returns what came back."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        kind, _, rest = spec.partition(":")
        self.app: Any = None
        self.url: str | None = None
        # The keyword options of every Flask-CORS call made while a wsgi: target was imported.
        self.flask_cors_calls: list[dict[str, Any]] = []
        self.sent = 0  # HTTP requests sent so far (the report says how many were made)
        if kind in ("http", "https"):
            url = httpx.URL(spec)
            if not url.host:
                raise TargetError(f"no host in {spec!r}")
            self.url = str(url.copy_with(path="/", query=None, fragment=None)).rstrip("/")
            self.kind = "http"
        elif kind == "wsgi":
            self.app, self.kind = self._wsgi(_import(rest, kind, self.flask_cors_calls), rest), "wsgi"
        elif kind == "asgi":
            self.app, self.kind = self._asgi(_import(rest, kind), rest), "asgi"
        elif kind == "asgi-factory":
            self.app, self.kind = self._asgi_factory(_import(rest, kind), rest), "asgi"
        else:
            raise TargetError(f"unknown target {spec!r}: use {KINDS}")

    @staticmethod
    def _wsgi(obj: Any, reference: str) -> Any:
        if is_wsgi_app(obj):
            return obj
        if is_asgi_app(obj):
            raise TargetError(f"{reference} is {_describe(obj)}; write asgi:{reference}")
        if _is_factory(obj):
            built = _build(obj, reference)
            if is_asgi_app(built):
                raise TargetError(f"{reference} builds {_describe(built)}; write asgi-factory:{reference}")
            raise TargetError(
                f"{reference} is a function that builds {_describe(built)}; name the app itself"
            )
        raise TargetError(f"{reference} is {_describe(obj)}; wsgi: takes a WSGI app such as a Flask app")

    @staticmethod
    def _asgi(obj: Any, reference: str) -> Any:
        if is_asgi_app(obj):
            return obj
        if is_wsgi_app(obj):
            raise TargetError(f"{reference} is {_describe(obj)}; write wsgi:{reference}")
        if _is_factory(obj):
            raise TargetError(f"{reference} is {_describe(obj)}; write asgi-factory:{reference}")
        raise TargetError(f"{reference} is {_describe(obj)}; asgi: takes an ASGI app such as a Starlette app")

    @staticmethod
    def _asgi_factory(obj: Any, reference: str) -> Any:
        if is_asgi_app(obj):
            raise TargetError(f"{reference} is {_describe(obj)}, not a factory; write asgi:{reference}")
        if is_wsgi_app(obj):
            raise TargetError(f"{reference} is {_describe(obj)}; write wsgi:{reference}")
        if not _is_factory(obj):
            raise TargetError(
                f"{reference} is {_describe(obj)}; asgi-factory: takes a function building an app"
            )
        built = _build(obj, reference)
        if not is_asgi_app(built):
            hint = (
                "; make it return the ASGI app"
                if not is_wsgi_app(built)
                else ", a WSGI app: name that app with wsgi:"
            )
            raise TargetError(f"{reference}() returned {_describe(built)}{hint}")
        return built

    def send(self, requests: Sequence[Request]) -> list[Response]:
        self.sent += len(requests)
        if self.kind == "asgi":
            return asyncio.run(self._send_asgi(requests))
        transport: httpx.BaseTransport | None = None
        if self.kind == "wsgi":
            transport = httpx.WSGITransport(app=self.app)
        base = self.url or "http://testserver"
        try:
            with httpx.Client(
                transport=transport, base_url=base, timeout=10, follow_redirects=False
            ) as client:
                return [
                    _response(client.request(r.method, r.path, headers=list(r.headers), content=r.body))
                    for r in requests
                ]
        except httpx.TransportError as exc:
            raise TargetError(f"cannot reach {self.spec}: {exc}") from None

    async def _send_asgi(self, requests: Sequence[Request]) -> list[Response]:
        transport = httpx.ASGITransport(app=self.app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return [
                _response(await client.request(r.method, r.path, headers=list(r.headers), content=r.body))
                for r in requests
            ]


def _response(response: httpx.Response) -> Response:
    return Response(response.status_code, tuple(response.headers.multi_items()), response.content)

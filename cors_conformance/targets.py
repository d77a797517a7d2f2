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
import io
import logging
import sys
from collections.abc import Iterator, Sequence
from contextlib import contextmanager, redirect_stderr, redirect_stdout
from dataclasses import dataclass
from typing import Any

import httpx

from cors_conformance.recording import import_fresh, recording

Header = tuple[str, str]
KINDS = (
    "wsgi:module:app, wsgi-factory:module:function, asgi:module:app, asgi-factory:module:function "
    "or an http(s):// URL"
)
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


def _import(reference: str, kind: str, fresh: bool = False) -> Any:
    """`module:attribute`, imported (`fresh`: afresh, so that Flask-CORS's calls run again inside
    a recording and a Flask app's configured origins can be probed)."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise TargetError(f"expected {kind}:package.module:attribute, got {kind}:{reference}")
    try:
        module = import_fresh(module_name) if fresh else importlib.import_module(module_name)
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
        # Those of CORS(blueprint): Flask-CORS reads no app.config for a blueprint.
        self.flask_cors_blueprint_calls: list[dict[str, Any]] = []
        self.sent = 0  # HTTP requests sent so far (the report says how many were made)
        self.output = AppOutput()  # what the app wrote to stdout, stderr and its logs
        if kind in ("http", "https"):
            url = httpx.URL(spec)
            if not url.host:
                raise TargetError(f"no host in {spec!r}")
            self.url = str(url.copy_with(path="/", query=None, fragment=None)).rstrip("/")
            self.kind = "http"
        elif kind in ("wsgi", "wsgi-factory"):
            # Flask-CORS's calls are recorded while the module is imported and the factory runs.
            with recording() as recorded, self.output.capture():
                found = _import(rest, kind, fresh=True)
                app = self._wsgi(found, rest) if kind == "wsgi" else self._wsgi_factory(found, rest)
            self.app, self.kind = app, "wsgi"
            self.flask_cors_calls = recorded.calls_for(app)
            self.flask_cors_blueprint_calls = recorded.blueprint_calls_for(app)
        elif kind == "asgi":
            self.app, self.kind = self._asgi(_import(rest, kind), rest), "asgi"
        elif kind == "asgi-factory":
            with self.output.capture():
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
            if is_wsgi_app(built):
                raise TargetError(f"{reference} builds {_describe(built)}; write wsgi-factory:{reference}")
            raise TargetError(f"{reference} is a function that builds {_describe(built)}, not an app")
        raise TargetError(f"{reference} is {_describe(obj)}; wsgi: takes a WSGI app such as a Flask app")

    @staticmethod
    def _wsgi_factory(obj: Any, reference: str) -> Any:
        if is_wsgi_app(obj):
            raise TargetError(f"{reference} is {_describe(obj)}, not a factory; write wsgi:{reference}")
        if is_asgi_app(obj):
            raise TargetError(f"{reference} is {_describe(obj)}; write asgi:{reference}")
        if not _is_factory(obj):
            raise TargetError(
                f"{reference} is {_describe(obj)}; wsgi-factory: takes a function building an app"
            )
        built = _build(obj, reference)
        if not is_wsgi_app(built):
            hint = (
                ", an ASGI app: write asgi-factory:" + reference
                if is_asgi_app(built)
                else "; make it return the WSGI app"
            )
            raise TargetError(f"{reference}() returned {_describe(built)}{hint}")
        return built

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
        with self.output.capture():
            return self._send(requests)

    def _send(self, requests: Sequence[Request]) -> list[Response]:
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


class _Collector(logging.Handler):
    """Keeps the log records that reach the root logger while an app is captured."""

    def __init__(self, records: list[logging.LogRecord]) -> None:
        super().__init__(logging.NOTSET)
        self.records = records

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


class AppOutput:
    """What an in-process app produces while it is built and probed: log records (with their
    tracebacks) and whatever it writes to stdout and stderr. Captured, so that the report stays
    readable and JSON on stdout stays JSON; summarised in the report (counts and the first line)."""

    def __init__(self) -> None:
        self.buffer = io.StringIO()
        self.records: list[logging.LogRecord] = []

    @contextmanager
    def capture(self) -> Iterator[None]:
        # Handlers that already hold the real stderr (basicConfig's, Flask's default one) write
        # there whatever sys.stderr is: point them at the buffer for the duration too.
        streams = (sys.stderr, sys.stdout, sys.__stderr__, sys.__stdout__)
        handlers = [
            h
            for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]
            if isinstance(logger, logging.Logger)
            for h in logger.handlers
            if isinstance(h, logging.StreamHandler) and h.stream in streams
        ]
        previous = [h.setStream(self.buffer) for h in handlers]
        collector = _Collector(self.records)
        root = logging.getLogger()
        root.addHandler(collector)
        try:
            with redirect_stderr(self.buffer), redirect_stdout(self.buffer):
                yield
        finally:
            root.removeHandler(collector)
            for handler, stream in zip(handlers, previous, strict=True):
                handler.setStream(stream)

    @property
    def lines(self) -> list[str]:
        return [line for line in self.buffer.getvalue().splitlines() if line.strip()]

    def json(self) -> dict[str, Any]:
        lines = self.lines
        tracebacks = sum(r.exc_info is not None for r in self.records) or sum(
            line.startswith("Traceback (most recent call last)") for line in lines
        )
        first = (
            f"{self.records[0].levelname} {self.records[0].name}: {self.records[0].getMessage()}"
            if self.records
            else (lines[0] if lines else None)
        )
        return {
            "log_records": len(self.records),
            "tracebacks": tracebacks,
            "lines": len(lines),
            "first_line": first,
        }


def _response(response: httpx.Response) -> Response:
    return Response(response.status_code, tuple(response.headers.multi_items()), response.content)

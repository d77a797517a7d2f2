"""Targets: a WSGI app, an ASGI app (or factory) or a live URL, all spoken to over httpx.

`open_target("wsgi:package.module:attr")` imports the app; `http://host:port` talks to a running
server. A target that cannot be imported or reached is a `TargetError` with a one-line message.
"""

from __future__ import annotations

import asyncio
import importlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import httpx

Header = tuple[str, str]


class TargetError(Exception):
    """The target string is malformed, or the target cannot be imported or reached."""


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


def _import(reference: str) -> Any:
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise TargetError(f"expected package.module:attribute, got {reference!r}")
    try:
        module = importlib.import_module(module_name)
    except Exception as exc:  # an app module can fail in any way while importing
        raise TargetError(f"cannot import {module_name}: {type(exc).__name__}: {exc}") from None
    try:
        return getattr(module, attribute)
    except AttributeError:
        raise TargetError(f"{module_name} has no attribute {attribute!r}") from None


class Target:
    """Sends requests to one target and returns what came back."""

    def __init__(self, spec: str) -> None:
        self.spec = spec
        kind, _, rest = spec.partition(":")
        self._app: Any = None
        self._url: str | None = None
        if kind in ("http", "https"):
            url = httpx.URL(spec)
            if not url.host:
                raise TargetError(f"no host in {spec!r}")
            self._url = str(url).rstrip("/")
            self.kind = "http"
        elif kind == "wsgi":
            self._app, self.kind = _import(rest), "wsgi"
        elif kind == "asgi":
            self._app, self.kind = _import(rest), "asgi"
        elif kind == "asgi-factory":
            factory = _import(rest)
            try:
                self._app = factory()
            except (Exception, SystemExit) as exc:
                raise TargetError(f"{rest}() failed: {type(exc).__name__}: {exc}") from None
            self.kind = "asgi"
        else:
            kinds = "wsgi:module:app, asgi:module:app, asgi-factory:module:function or a URL"
            raise TargetError(f"unknown target {spec!r}: use {kinds}")

    def send(self, requests: Sequence[Request]) -> list[Response]:
        if self.kind == "asgi":
            return asyncio.run(self._send_asgi(requests))
        transport: httpx.BaseTransport | None = None
        if self.kind == "wsgi":
            transport = httpx.WSGITransport(app=self._app)
        base = self._url or "http://testserver"
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
        transport = httpx.ASGITransport(app=self._app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
            return [
                _response(await client.request(r.method, r.path, headers=list(r.headers), content=r.body))
                for r in requests
            ]


def _response(response: httpx.Response) -> Response:
    return Response(response.status_code, tuple(response.headers.multi_items()))

"""The fetch profile as a pure ASGI middleware: `CORSMiddleware(app, profile="fetch", ...)`.

`__init__` compiles the options once (every problem raised at once); `__call__` reads the request's
CORS fields, asks `decide` and either answers the preflight itself (the app never sees it) or
appends the decided headers to the app's answer. The debug flag is one attribute read once per
request: `set_debug` swaps it atomically, so concurrent requests see either value, never a mix.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flask_cors_asgi.fetch.config import FetchConfig, compile_fetch
from flask_cors_asgi.fetch.decision import Decision, decide

_ORIGIN = b"origin"
_ACRM = b"access-control-request-method"
_ACRH = b"access-control-request-headers"
_VARY_ORIGIN = (b"vary", b"Origin")
# Decisions are memoised for small inputs only: real traffic repeats a few origins and preflights,
# a hostile client sends kilobytes, all different.
MEMO_MAX_INPUT_BYTES = 1024

RequestFields = tuple[str | None, str | None, tuple[str, ...] | None]
RawFields = tuple[bytes | None, bytes | None, tuple[bytes, ...] | None]
EncodedHeaders = tuple[tuple[bytes, bytes], ...]


def raw_fields(headers: Sequence[tuple[bytes, bytes]]) -> RawFields:
    """The first Origin, the first Access-Control-Request-Method and every
    Access-Control-Request-Headers line (an intermediary may split it), undecoded."""
    fields = dict(headers)
    if len(fields) == len(headers):  # no repeated header, the usual case: all done in C
        acrh = fields.get(_ACRH)
        return fields.get(_ORIGIN), fields.get(_ACRM), None if acrh is None else (acrh,)
    origin: bytes | None = None
    acrm: bytes | None = None
    lines: list[bytes] | None = None
    for name, value in headers:
        if name == _ORIGIN:
            if origin is None:
                origin = value
        elif name == _ACRM:
            if acrm is None:
                acrm = value
        elif name == _ACRH:
            if lines is None:
                lines = [value]
            else:
                lines.append(value)
    return origin, acrm, None if lines is None else tuple(lines)


def decoded(raw: RawFields) -> RequestFields:
    """The fields as text, decoded as latin-1 (every byte is one character)."""
    origin, acrm, acrh = raw
    return (
        None if origin is None else origin.decode("latin-1"),
        None if acrm is None else acrm.decode("latin-1"),
        None if acrh is None else tuple(line.decode("latin-1") for line in acrh),
    )


def request_fields(headers: Sequence[tuple[bytes, bytes]]) -> RequestFields:
    """The request's CORS fields as text."""
    return decoded(raw_fields(headers))


def _encoded(decision: Decision) -> EncodedHeaders:
    return tuple(
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in decision.headers
    )


def _decide(config: FetchConfig, method: str, raw: RawFields, debug: bool) -> tuple[Decision, EncodedHeaders]:
    decision = decide(config, method, *decoded(raw), debug=debug)
    return decision, _encoded(decision)


_memo = functools.lru_cache(maxsize=4096)(_decide)


def answer(config: FetchConfig, method: str, raw: RawFields, debug: bool) -> tuple[Decision, EncodedHeaders]:
    """The decision and its encoded headers for the raw fields, memoised when they are small."""
    origin, acrm, acrh = raw
    if acrh is None or len(acrh) == 1:
        size = len(origin or b"") + len(acrm or b"") + (len(acrh[0]) if acrh else 0)
        if size <= MEMO_MAX_INPUT_BYTES:
            return _memo(config, method, raw, debug)
    return _decide(config, method, raw, debug)


async def send_preflight(send: Send, decision: Decision, headers: EncodedHeaders) -> None:
    """The whole answer to a preflight: 204 or 403, the decided headers and nothing else (the server
    frames the empty body), no body."""
    await send({"type": "http.response.start", "status": decision.status, "headers": list(headers)})
    await send({"type": "http.response.body", "body": b""})


def with_cors_headers(response_headers: Any, added: EncodedHeaders, vary: bool) -> list[tuple[bytes, bytes]]:
    """The app's headers plus the decided ones. A header the app set itself wins (jub0bs sets its
    headers before the handler runs, so a handler's own value replaces them); Vary: Origin is
    appended beside the app's Vary, never replacing it."""
    lines = [*response_headers]
    if added:
        own = [name.lower() for name, _ in lines if name[:15].lower() == b"access-control-"]
        lines += [line for line in added if line[0] not in own] if own else added
    if vary:
        lines.append(_VARY_ORIGIN)
    return lines


class FetchCORSMiddleware:
    """jub0bs/cors v1.0.2's CORS middleware, with Flask-CORS's option names."""

    def __init__(self, app: ASGIApp, *, debug: bool = False, **options: Any) -> None:
        self.config = compile_fetch({"debug": debug, **options})
        self.app = app
        self._debug = debug

    @property
    def debug(self) -> bool:
        """Whether debug mode is on: failed preflights whose origin passed get 204 and the headers
        so far, so the browser's console names the method or header that failed."""
        return self._debug

    def set_debug(self, on: bool) -> None:
        """Turn debug mode on or off while serving. One attribute store: atomic under asyncio and
        under the GIL, and each request reads the flag once."""
        if not isinstance(on, bool):
            raise TypeError(f"set_debug() takes True or False, got {on!r}")
        self._debug = on

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        decision, added = answer(self.config, scope["method"], raw_fields(scope["headers"]), self._debug)
        if decision.preflight:
            await send_preflight(send, decision, added)
            return
        if not added and not decision.vary:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_cors_headers(message.get("headers", ()), added, decision.vary)
            await send(message)

        await self.app(scope, receive, send_with_cors)

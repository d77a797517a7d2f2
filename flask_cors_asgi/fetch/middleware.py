"""The fetch profile as a pure ASGI middleware: `CORSMiddleware(app, profile="fetch", ...)`.

`__init__` compiles the options once (every problem raised at once); `__call__` reads the request's
CORS fields, asks `decide` and either answers the preflight itself (the app never sees it) or
appends the decided headers to the app's answer. The policy and the debug flag are one state read
once per request (fetch/policy.py): `set_debug` and `reconfigure` swap it atomically, so concurrent
requests see either state, never a mix.

With a callable among the origins, a request whose origin no pattern allows asks it (at most once:
`OriginCheck.verdict` keeps the answer in the scope, and caches it as configured), and the memoised
plan holds the decision for either answer, so the verdict only picks one.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flask_cors_asgi.dynamic import OriginCheck
from flask_cors_asgi.fetch.config import FetchConfig
from flask_cors_asgi.fetch.decision import Decision, asks_callable, decide
from flask_cors_asgi.fetch.policy import FetchPolicy

_ORIGIN = b"origin"
_ACRM = b"access-control-request-method"
_ACRH = b"access-control-request-headers"
_VARY = b"vary"
# Decisions are memoised for small inputs only: real traffic repeats a few origins and preflights,
# a hostile client sends kilobytes, all different.
MEMO_MAX_INPUT_BYTES = 1024

RequestFields = tuple[str | None, str | None, tuple[str, ...] | None]
RawFields = tuple[bytes | None, bytes | None, tuple[bytes, ...] | None]
EncodedHeaders = tuple[tuple[bytes, bytes], ...]
Answer = tuple[Decision, EncodedHeaders]
# The origin to ask the callable about (None: the answer does not depend on it), and the answer if
# it admits the origin, then if it does not.
Plan = tuple[str | None, Answer, Answer]


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
    """The decided headers as ASGI sends them, the Vary line (when any) last."""
    encoded = tuple(
        (name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in decision.headers
    )
    if decision.vary:
        encoded += ((_VARY, decision.vary_value.encode("latin-1")),)
    return encoded


def _decide(config: FetchConfig, method: str, raw: RawFields, debug: bool) -> tuple[Decision, EncodedHeaders]:
    decision = decide(config, method, *decoded(raw), debug=debug)
    return decision, _encoded(decision)


_memo = functools.lru_cache(maxsize=4096)(_decide)


def _memoisable(raw: RawFields) -> bool:
    """Whether the fields are small enough to memoise their decision (at most one ACRH line)."""
    origin, acrm, acrh = raw
    if acrh is not None and len(acrh) != 1:
        return False
    size = len(origin or b"") + len(acrm or b"") + (len(acrh[0]) if acrh else 0)
    return size <= MEMO_MAX_INPUT_BYTES


def answer(config: FetchConfig, method: str, raw: RawFields, debug: bool) -> tuple[Decision, EncodedHeaders]:
    """The decision and its encoded headers for the raw fields, memoised when they are small."""
    if _memoisable(raw):
        return _memo(config, method, raw, debug)
    return _decide(config, method, raw, debug)


def _plan(config: FetchConfig, method: str, raw: RawFields, debug: bool) -> Plan:
    fields = decoded(raw)
    if asks_callable(config, fields[0]):
        admitted = decide(config, method, *fields, debug=debug, verdict=True)
        refused = decide(config, method, *fields, debug=debug, verdict=False)
        # A preflight that fails before the origin is judged needs no verdict.
        if admitted != refused:
            return fields[0], (admitted, _encoded(admitted)), (refused, _encoded(refused))
    decided = _decide(config, method, raw, debug)
    return None, decided, decided


_plan_memo = functools.lru_cache(maxsize=4096)(_plan)


async def answer_asking(config: FetchConfig, scope: Scope, raw: RawFields, debug: bool) -> Answer:
    """`answer` for a policy with an origin callable: the callable asked when the answer depends
    on it, at most once per request (a cached or this request's verdict awaits nothing)."""
    if _memoisable(raw):
        asked, admitted, refused = _plan_memo(config, scope["method"], raw, debug)
    else:
        asked, admitted, refused = _plan(config, scope["method"], raw, debug)
    if asked is None:
        return admitted
    check = config.origin_check
    assert check is not None  # asks_callable said so
    verdict = check.known(asked, scope)
    if verdict is None:
        verdict = await check.verdict(asked, scope)  # never raises: a failure is a refusal
    return admitted if verdict else refused


async def answer_for(config: FetchConfig, scope: Scope, debug: bool) -> Answer:
    """The decision and encoded headers for a request, its origin callable asked if need be."""
    raw = raw_fields(scope["headers"])
    if config.origin_check is None:
        return answer(config, scope["method"], raw, debug)
    return await answer_asking(config, scope, raw, debug)


async def send_preflight(send: Send, decision: Decision, headers: EncodedHeaders) -> None:
    """The whole answer to a preflight: 204 or 403, the decided headers and nothing else (the server
    frames the empty body), no body."""
    await send({"type": "http.response.start", "status": decision.status, "headers": list(headers)})
    await send({"type": "http.response.body", "body": b""})


def with_cors_headers(response_headers: Any, added: EncodedHeaders) -> list[tuple[bytes, bytes]]:
    """The app's headers plus the decided ones. An Access-Control-* header the app set itself wins
    (jub0bs sets its headers before the handler runs, so a handler's own value replaces them); the
    decided Vary line is appended beside the app's Vary, never replacing it."""
    lines = [*response_headers]
    if added:
        own = [name.lower() for name, _ in lines if name[:15].lower() == b"access-control-"]
        lines += [line for line in added if line[0] not in own] if own else added
    return lines


class FetchCORSMiddleware(FetchPolicy):
    """jub0bs/cors v1.0.2's CORS middleware, with Flask-CORS's option names. `config`, `options`,
    `debug`, `set_debug` and `reconfigure` come from `FetchPolicy`."""

    def __init__(self, app: ASGIApp, *, debug: bool = False, **options: Any) -> None:
        self._start_policy(options, debug)
        self.app = app

    def origin_check_for(self, path: str, origin: str) -> OriginCheck | None:
        """The origin callable a request from `origin` would ask (any path: the profile has no
        resources); None where the patterns decide. `CORSMiddleware.origin_check_for`'s contract,
        for tools that say which answers are decided at request time."""
        config = self._state.config
        return config.origin_check if asks_callable(config, origin) else None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        state = self._state  # once: this request sees one policy and one debug flag
        config = state.config
        if config.origin_check is None:
            decision, added = answer(config, scope["method"], raw_fields(scope["headers"]), state.debug)
        else:
            decision, added = await answer_asking(config, scope, raw_fields(scope["headers"]), state.debug)
        if decision.preflight:
            await send_preflight(send, decision, added)
            return
        if not added:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = with_cors_headers(message.get("headers", ()), added)
            await send(message)

        await self.app(scope, receive, send_with_cors)

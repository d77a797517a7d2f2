"""`POST /api/foo`: the Flask app's contract, minus its crashes.

Flask's handler is `data = request.get_json(); if data and 'inputVar' in data: return
{'result': data['inputVar'] * 2}; return {'error': 'Invalid input'}, 400`. Everything it answers
with 200 or 400 is answered the same here; where it crashes (500) this answers 400 with a JSON
error saying why; every error body is JSON.
"""

from __future__ import annotations

import asyncio
import json
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from starlette.types import Receive, Scope, Send


class FooRequest(BaseModel):
    """The document `/api/foo` expects: an object with `inputVar`."""

    model_config = ConfigDict(extra="allow")
    inputVar: JsonValue = Field(description="A number, string, array or boolean; the result is it `* 2`.")


class FooResponse(BaseModel):
    result: JsonValue = Field(description="`inputVar * 2` with Python's meaning of `* 2`.")


class ErrorResponse(BaseModel):
    error: str = Field(description="What was wrong with the request.")


class BadRequest(Exception):
    def __init__(self, status: int, message: str) -> None:
        self.status = status
        self.message = message


# JSON as Flask writes it: ASCII only, so a lone surrogate (from a `"\ud800"` escape, which UTF-8
# cannot carry) is escaped again rather than a UnicodeEncodeError; and, unlike Flask, never
# NaN/Infinity. `encode` raises ValueError for those and for integers over Python's digit limit, and
# RecursionError for documents nested deeper than the encoder can go. Built once: json.dumps and
# json.loads with options build a new encoder or decoder per call.
_ENCODER = json.JSONEncoder(ensure_ascii=True, allow_nan=False, separators=(",", ":"))
_JSON = b"application/json"


def standard_json(content: Any) -> bytes:
    return _ENCODER.encode(content).encode("ascii")


def error_body(message: str) -> bytes:
    return standard_json(ErrorResponse(error=message).model_dump())


def is_json_content_type(content_type: str | None) -> bool:
    """Werkzeug's `is_json`: application/json or application/*+json, any case, any parameters."""
    if not content_type:
        return False
    # Werkzeug strips spaces and tabs only: "\xa0application/json" (str.strip's whitespace) is not JSON.
    mimetype = content_type.split(";", 1)[0].strip(" \t").lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


class BodyDeadlines:
    """BODY_TIMEOUT for every body being read, kept by one timer per event loop rather than one per
    request: asyncio.timeout, or a call_later per request, was a fifth of this endpoint's cost. The
    timer ticks while bodies are pending (every timeout/4, at most 1 s) and cancels the tasks whose
    deadline has passed, so a body is cut off within timeout + tick."""

    def __init__(self, timeout: float) -> None:
        self.timeout = timeout
        self.tick = min(timeout / 4, 1.0)
        self.loop: asyncio.AbstractEventLoop | None = None
        self.pending: dict[asyncio.Task[Any], float] = {}
        self.expired: set[asyncio.Task[Any]] = set()
        self.timer: asyncio.TimerHandle | None = None

    def start(self, task: asyncio.Task[Any]) -> None:
        loop = task.get_loop()
        if loop is not self.loop:  # a new event loop (tests make one each): nothing carries over
            self.loop, self.pending, self.expired, self.timer = loop, {}, set(), None
        self.pending[task] = loop.time() + self.timeout
        if self.timer is None:
            self.timer = loop.call_later(self.tick, self._sweep)

    def stop(self, task: asyncio.Task[Any]) -> None:
        self.pending.pop(task, None)

    def timed_out(self, task: asyncio.Task[Any]) -> bool:
        """Whether this deadline cancelled the task (once)."""
        if task in self.expired:
            self.expired.discard(task)
            return True
        return False

    def _sweep(self) -> None:
        assert self.loop is not None
        now = self.loop.time()
        for task, deadline in list(self.pending.items()):
            if deadline <= now:
                del self.pending[task]
                self.expired.add(task)
                task.cancel()
        self.timer = self.loop.call_later(self.tick, self._sweep) if self.pending else None


async def read_body(declared: bytes | None, receive: Receive, limit: int, deadlines: BodyDeadlines) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed `limit` bytes: from a declared
    Content-Length before reading anything, otherwise while streaming (never more than `limit`
    bytes are held); refused with 408 unless all of it arrives before its deadline (a body
    shorter than its declared length, a body sent byte by byte)."""
    if declared is not None:
        if not declared.isdigit():
            raise BadRequest(400, "Content-Length must be a whole number of bytes")
        if int(declared) > limit:
            raise BadRequest(413, f"request body exceeds the limit of {limit} bytes")
    task = asyncio.current_task()
    assert task is not None
    cancelling = task.cancelling()  # as asyncio.timeout: tell our cancellation from any other
    deadlines.start(task)
    chunks = []
    size = 0
    try:
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                raise BadRequest(400, "client disconnected before sending the whole body")
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise BadRequest(413, f"request body exceeds the limit of {limit} bytes")
            chunks.append(chunk)
            if not message.get("more_body", False):
                return b"".join(chunks) if len(chunks) != 1 else chunk
    except asyncio.CancelledError:
        if deadlines.timed_out(task) and task.uncancel() <= cancelling:
            raise BadRequest(408, f"request body not received within {deadlines.timeout:g} s") from None
        raise
    finally:
        deadlines.stop(task)


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


# Standard JSON only: Flask accepts NaN and Infinity, and then answers invalid JSON.
_DECODER = json.JSONDecoder(parse_constant=_refuse_constant)


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise BadRequest(400, "request body is empty; expected a JSON document")
    try:
        # json.loads(body) for bytes, as Flask calls it (UTF-8, -16 or -32, told by the first bytes;
        # a document starting "{" and a non-zero byte is UTF-8 without asking).
        encoding = "utf-8" if body[:1] == b"{" and len(body) >= 4 and body[1] else json.detect_encoding(body)
        return _DECODER.decode(body.decode(encoding, "surrogatepass"))
    except RecursionError:
        raise BadRequest(400, "malformed JSON: nested too deeply") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise BadRequest(400, f"malformed JSON: {exc}") from None


def double(data: Any) -> Any:
    """Flask's `data['inputVar'] * 2` for a document Flask would not crash on; raises BadRequest
    where Flask's handler raises (and so answers 500)."""
    if not data:
        raise BadRequest(400, "Invalid input")
    if isinstance(data, dict):
        if "inputVar" not in data:
            raise BadRequest(400, "Invalid input")
        # The parsed document is JSON already: FooRequest documents it, but validating with it
        # would refuse (500) the arrays nested deeper than pydantic's limit of 255 that Flask doubles.
        value = data["inputVar"]
        if value is None or isinstance(value, dict):
            raise BadRequest(
                400, f"inputVar cannot be doubled: it is {'null' if value is None else 'an object'}"
            )
        result = value * 2
        if isinstance(result, float) and not math.isfinite(result):
            raise BadRequest(400, "inputVar * 2 is not a finite number, which JSON cannot carry")
        return result
    if isinstance(data, (list, str)):
        # Flask tests `'inputVar' in data` on a list or a string too, then fails to index it.
        if "inputVar" in data:
            kind = "an array" if isinstance(data, list) else "a string"
            raise BadRequest(400, f"expected a JSON object with inputVar, got {kind}")
        raise BadRequest(400, "Invalid input")
    # A non-zero number or true: Flask's `'inputVar' in data` raises TypeError.
    raise BadRequest(400, "expected a JSON object with inputVar")


# Integers JSON writes as their digits, with no encoder needed (and far from the 4300-digit limit).
_SHORT_INT = 10**18


def result_body(result: Any) -> bytes:
    """`{"result": result}`, or a 400 where Flask's jsonify fails (500) or writes invalid JSON."""
    if type(result) is int and -_SHORT_INT < result < _SHORT_INT:
        return b'{"result":%d}' % result
    try:
        return standard_json({"result": result})
    except ValueError as exc:
        # NaN/Infinity inside an array (`[1e999]`), or an integer result over 4300 digits.
        raise BadRequest(400, f"inputVar * 2 cannot be written as standard JSON: {exc}") from None
    except RecursionError:
        raise BadRequest(400, "inputVar * 2 is nested too deeply to be written as JSON") from None


class Foo:
    """`POST /api/foo` as a plain ASGI app: Starlette routes to it directly (405 for other methods),
    without building a Request, a Response or an exception wrapper per call, the hot path's main
    costs (docs/performance.md). The answer is JSON, headers as Starlette's JSONResponse sends them."""

    def __init__(self, max_body_bytes: int, body_timeout: float) -> None:
        self.max_body_bytes = max_body_bytes
        self.deadlines = BodyDeadlines(body_timeout)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        content_type = declared = None
        for name, value in scope["headers"]:
            if name == b"content-type":
                content_type = value  # a repeated Content-Type: Werkzeug's server keeps the last line
            elif name == b"content-length" and declared is None:
                declared = value
        status = 200
        try:
            if not is_json_content_type(None if content_type is None else content_type.decode("latin-1")):
                raise BadRequest(415, "Content-Type must be application/json (or application/*+json)")
            body = await read_body(declared, receive, self.max_body_bytes, self.deadlines)
            payload = result_body(double(parse_json(body)))
        except BadRequest as exc:
            status, payload = exc.status, error_body(exc.message)
        headers = [(b"content-length", b"%d" % len(payload)), (b"content-type", _JSON)]
        if status == 408:
            # RFC 9110 15.5.9: the rest of the body may still be coming; this connection is done.
            headers.append((b"connection", b"close"))
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": payload})

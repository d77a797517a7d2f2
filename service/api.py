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
from starlette.responses import JSONResponse, Response
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


class StandardJSONResponse(JSONResponse):
    """JSON as Flask writes it: ASCII only, so a lone surrogate (from a `"\\ud800"` escape, which
    UTF-8 cannot carry) is escaped again rather than a UnicodeEncodeError; and, unlike Flask, never
    NaN/Infinity. Raises ValueError for those and for integers over Python's digit limit, and
    RecursionError for documents nested deeper than the encoder can go."""

    def render(self, content: Any) -> bytes:
        return json.dumps(content, ensure_ascii=True, allow_nan=False, separators=(",", ":")).encode("ascii")


def error(status: int, message: str) -> JSONResponse:
    return StandardJSONResponse(ErrorResponse(error=message).model_dump(), status_code=status)


def is_json_content_type(content_type: str | None) -> bool:
    """Werkzeug's `is_json`: application/json or application/*+json, any case, any parameters."""
    if not content_type:
        return False
    # Werkzeug strips spaces and tabs only: "\xa0application/json" (str.strip's whitespace) is not JSON.
    mimetype = content_type.split(";", 1)[0].strip(" \t").lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


def header(headers: list[tuple[bytes, bytes]], name: bytes, last: bool = False) -> str | None:
    """A request header's first (or last) value, decoded as WSGI servers do (latin-1)."""
    found = None
    for key, value in headers:
        if key == name:
            if not last:
                return value.decode("latin-1")
            found = value
    return None if found is None else found.decode("latin-1")


async def read_body(
    headers: list[tuple[bytes, bytes]], receive: Receive, limit: int, timeout: float
) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed `limit` bytes: from a declared
    Content-Length before reading anything, otherwise while streaming (never more than `limit`
    bytes are held); refused with 408 unless all of it arrives within `timeout` seconds (a body
    shorter than its declared length, a body sent byte by byte)."""
    declared = header(headers, b"content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequest(400, "Content-Length must be a whole number of bytes")
        if int(declared) > limit:
            raise BadRequest(413, f"request body exceeds the limit of {limit} bytes")
    chunks = []
    size = 0
    try:
        async with asyncio.timeout(timeout):
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
                    return b"".join(chunks)
    except TimeoutError:
        raise BadRequest(408, f"request body not received within {timeout:g} s") from None


def _refuse_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def parse_json(body: bytes) -> Any:
    if not body.strip():
        raise BadRequest(400, "request body is empty; expected a JSON document")
    try:
        # Standard JSON only: Flask accepts NaN and Infinity, and then answers invalid JSON.
        return json.loads(body, parse_constant=_refuse_constant)
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


def result_response(result: Any) -> Response:
    """`{"result": result}`, or a 400 where Flask's jsonify fails (500) or writes invalid JSON."""
    try:
        return StandardJSONResponse({"result": result})
    except ValueError as exc:
        # NaN/Infinity inside an array (`[1e999]`), or an integer result over 4300 digits.
        raise BadRequest(400, f"inputVar * 2 cannot be written as standard JSON: {exc}") from None
    except RecursionError:
        raise BadRequest(400, "inputVar * 2 is nested too deeply to be written as JSON") from None


class Foo:
    """`POST /api/foo` as a plain ASGI app: Starlette routes to it directly (405 for other methods),
    without building a Request or wrapping each call for exception handlers, the hot path's main
    costs (README, Performance)."""

    def __init__(self, max_body_bytes: int, body_timeout: float) -> None:
        self.max_body_bytes = max_body_bytes
        self.body_timeout = body_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = scope["headers"]
        try:
            # A repeated Content-Type: Werkzeug's server keeps the last line.
            if not is_json_content_type(header(headers, b"content-type", last=True)):
                raise BadRequest(415, "Content-Type must be application/json (or application/*+json)")
            body = await read_body(headers, receive, self.max_body_bytes, self.body_timeout)
            response = result_response(double(parse_json(body)))
        except BadRequest as exc:
            response = error(exc.status, exc.message)
            if exc.status == 408:
                # RFC 9110 15.5.9: the rest of the body may still be coming; this connection is done.
                response.headers["connection"] = "close"
        await response(scope, receive, send)

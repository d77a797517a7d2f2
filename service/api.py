"""`POST /api/foo`: the Flask app's contract, minus its crashes.

Flask's handler is `data = request.get_json(); if data and 'inputVar' in data: return
{'result': data['inputVar'] * 2}; return {'error': 'Invalid input'}, 400`. Everything it answers
with 200 or 400 is answered the same here; where it crashes (500) this answers 400 with a JSON
error saying why; every error body is JSON.
"""

from __future__ import annotations

import json
import math
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, JsonValue
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response


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


def error(status: int, message: str) -> JSONResponse:
    return JSONResponse(ErrorResponse(error=message).model_dump(), status_code=status)


def is_json_content_type(content_type: str | None) -> bool:
    """Werkzeug's `is_json`: application/json or application/*+json, any case, any parameters."""
    if not content_type:
        return False
    mimetype = content_type.split(";", 1)[0].strip().lower()
    return mimetype == "application/json" or (
        mimetype.startswith("application/") and mimetype.endswith("+json")
    )


async def read_body(request: Request, limit: int) -> bytes:
    """The body, refused with 413 as soon as it is known to exceed `limit` bytes: from a declared
    Content-Length before reading anything, otherwise while streaming (never more than `limit`
    bytes are held)."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequest(400, "Content-Length must be a whole number of bytes")
        if int(declared) > limit:
            raise BadRequest(413, f"request body exceeds the limit of {limit} bytes")
    chunks = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BadRequest(413, f"request body exceeds the limit of {limit} bytes")
        chunks.append(chunk)
    return b"".join(chunks)


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
        value = FooRequest.model_validate(data).inputVar
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


async def foo(request: Request) -> Response:
    limit: int = request.app.state.settings.max_body_bytes
    try:
        if not is_json_content_type(request.headers.get("content-type")):
            raise BadRequest(415, "Content-Type must be application/json (or application/*+json)")
        data = parse_json(await read_body(request, limit))
        return JSONResponse(FooResponse(result=double(data)).model_dump())
    except BadRequest as exc:
        return error(exc.status, exc.message)
    except ClientDisconnect:
        return error(400, "client disconnected before sending the whole body")

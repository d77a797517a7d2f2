"""The floor: a bare ASGI callable doing the same work as the service for the benchmark's two
requests (parse the JSON body, double inputVar, answer with the same header lines in the same
order; answer the preflight as the service does), and nothing else: no framework, no routing table,
no general CORS policy. Imports only the standard library (and bench/workload.py, which does too),
so its memory is the server's own.

`uvicorn bench.floor:app`
"""

from __future__ import annotations

import json
from typing import Any

from bench import workload

ORIGINS = frozenset(workload.ORIGINS)
METHODS = frozenset(workload.METHODS)
ALLOW_HEADERS = frozenset(name.lower() for name in workload.ALLOW_HEADERS)
PATH = workload.PATH
_METHODS_VALUE = ", ".join(sorted(METHODS)).encode()
_NOT_FOUND = [(b"content-type", b"application/json"), (b"content-length", b"21")]


async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    if scope["path"] != PATH:
        await send({"type": "http.response.start", "status": 404, "headers": _NOT_FOUND})
        await send({"type": "http.response.body", "body": b'{"error":"Not Found"}'})
        return
    origin = next((v for k, v in scope["headers"] if k == b"origin"), None)
    allowed = origin is not None and origin.decode("latin-1") in ORIGINS
    if scope["method"] == "OPTIONS":
        headers = [(b"content-type", b"text/html; charset=utf-8"), (b"allow", b"OPTIONS, POST")]
        request = dict(scope["headers"])
        requested = request.get(b"access-control-request-headers", b"").decode("latin-1")
        wanted = [h.strip() for h in requested.split(",") if h.strip()]
        if allowed and request.get(b"access-control-request-method", b"").decode() in METHODS:
            headers.append((b"access-control-allow-origin", origin))
            if wanted and all(h.lower() in ALLOW_HEADERS for h in wanted):
                headers.append((b"access-control-allow-headers", ", ".join(wanted).encode()))
            headers.append((b"access-control-allow-methods", _METHODS_VALUE))
            headers.append((b"vary", b"Origin"))
        headers.append((b"content-length", b"0"))
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": b""})
        return
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            break
    data = json.loads(b"".join(chunks))
    if isinstance(data, dict) and "inputVar" in data:
        status, document = 200, {"result": data["inputVar"] * 2}
    else:
        status, document = 400, {"error": "Invalid input"}
    body = json.dumps(document, separators=(",", ":")).encode()
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", b"application/json")]
    if allowed:
        headers += [(b"access-control-allow-origin", origin), (b"vary", b"Origin")]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})

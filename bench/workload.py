"""What every peer serves and what the benchmark sends: the policy, and the two requests (an allowed
`POST /api/foo` with `{"inputVar": 2}` from http://localhost:3000, and its preflight), as a server
hands them to the app (header names lower-case, no Host, no Content-Length).

Standard library only, so a peer served by uvicorn (bench.ceiling, bench.starlette_peer) imports
only what it serves.
"""

from __future__ import annotations

ORIGIN = "http://localhost:3000"
ORIGINS = [ORIGIN, "https://yourapp.com"]
METHODS = ["GET", "POST", "PUT", "DELETE"]
ALLOW_HEADERS = ["Content-Type", "Authorization"]
PATH = "/api/foo"
BODY = b'{"inputVar": 2}'
RESULT = {"result": 4}

Headers = tuple[tuple[bytes, bytes], ...]

# kind -> (method, header lines, body)
REQUESTS: dict[str, tuple[str, Headers, bytes]] = {
    "POST": ("POST", ((b"origin", ORIGIN.encode()), (b"content-type", b"application/json")), BODY),
    "preflight": (
        "OPTIONS",
        (
            (b"origin", ORIGIN.encode()),
            (b"access-control-request-method", b"POST"),
            (b"access-control-request-headers", b"content-type"),
        ),
        b"",
    ),
}

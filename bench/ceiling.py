"""The framework's ceiling: Starlette's bare `Router` (no `Starlette` application around it, so no
error or exception middleware) with one `Route("/api/foo", methods=["POST", "OPTIONS"])` whose
endpoint is a bare ASGI callable that reads the request body and sends the answer recorded from the
service: for the benchmark's POST and its preflight, the very messages the service sends, byte for
byte (tests/project/test_bench_smoke.py checks it). What Starlette's routing allows when the app's own work
costs nothing: no CORS decision, no JSON, no guards.

It answers any POST (or OPTIONS) as it answers the benchmark's: it is a ceiling, not an app.

`uvicorn bench.ceiling:app` (records the service's answers once, at import, in process)
"""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from starlette.routing import Route, Router
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from bench.workload import ORIGINS, PATH, REQUESTS
from service import create_app
from settings import ProductionSettings


def recorded(app: ASGIApp, method: str, headers: Any, body: bytes) -> list[Message]:
    """The messages `app` sends for the request, called in process as uvicorn would call it."""
    sent: list[Message] = []
    length = [(b"content-length", str(len(body)).encode())] if body else []
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.4"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(b"host", b"127.0.0.1"), *headers, *length],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        sent.append(message)

    # In a thread of its own: uvicorn imports the app from inside its running event loop.
    with ThreadPoolExecutor(1) as thread:
        thread.submit(asyncio.run, app(scope, receive, send)).result()
    return sent


class Replay:
    """A bare ASGI endpoint sending recorded messages by request method."""

    def __init__(self, answers: dict[str, list[Message]]) -> None:
        self.answers = answers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        more = scope["method"] == "POST"
        while more:  # the body, as any endpoint must read it
            more = (await receive()).get("more_body", False)
        for message in self.answers[scope["method"]]:
            await send(message)


def create_router() -> Router:
    service = create_app(ProductionSettings(cors_origins=ORIGINS))
    answers = {method: recorded(service, method, lines, body) for method, lines, body in REQUESTS.values()}
    # redirect_slashes off, as in the service (it only matters for paths no route matches).
    return Router(routes=[Route(PATH, Replay(answers), methods=list(answers))], redirect_slashes=False)


app = create_router()

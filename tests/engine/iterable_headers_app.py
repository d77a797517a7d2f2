"""An ASGI app that sends its response headers as a generator (ASGI allows any iterable; uvicorn
takes one), behind CORSMiddleware: served by uvicorn in tests/engine/test_asgi_iterables.py."""

from __future__ import annotations

from collections.abc import Iterator

from starlette.types import Receive, Scope, Send

from flask_cors_asgi import CORSMiddleware

APP_ORIGIN = "https://own.example"


def _lines(scope: Scope) -> Iterator[tuple[bytes, bytes]]:
    yield (b"content-type", b"application/json")
    yield (b"set-cookie", b"session=1")
    if scope["path"] == "/own-acao":
        yield (b"access-control-allow-origin", APP_ORIGIN.encode())


async def inner(scope: Scope, receive: Receive, send: Send) -> None:
    if scope["type"] != "http":
        return
    body = b'{"ok": true}'
    headers = _lines(scope)
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


app = CORSMiddleware(inner, origins=["https://a.example"])

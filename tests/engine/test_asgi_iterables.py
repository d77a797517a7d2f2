"""Header lines as ASGI allows them: request headers as any iterable (Falcon's test client sends an
iterator) and response headers as a one-shot iterable (a generator, which uvicorn accepts). The
middleware reads each once and loses nothing, in process and under uvicorn."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from flask_cors_asgi import CORSMiddleware, cross_origin
from testing_support import RawReq, asgi_scope, free_port, serving, uvicorn_command
from tests.engine.iterable_headers_app import APP_ORIGIN
from tests.engine.iterable_headers_app import app as generator_app

A = "https://a.example"


async def call(app: Any, scope: dict[str, Any]) -> list[dict[str, Any]]:
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app(scope, receive, send)
    return sent


def start_lines(sent: list[dict[str, Any]]) -> list[tuple[bytes, bytes]]:
    start = next(m for m in sent if m["type"] == "http.response.start")
    return list(start["headers"])


async def headers_echo(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """Answers with the request header lines it got, one response header per line."""
    lines = [(b"x-got-" + name, value) for name, value in scope["headers"]]
    await send({"type": "http.response.start", "status": 200, "headers": lines})
    await send({"type": "http.response.body", "body": b""})


def scope_with_iterator(method: str, path: str, headers: list[tuple[bytes, bytes]]) -> dict[str, Any]:
    scope = asgi_scope(RawReq(method, path))
    scope["headers"] = iter([*scope["headers"], *headers])
    return scope


async def test_request_headers_as_an_iterator_reach_the_app_and_the_decision() -> None:
    scope = scope_with_iterator("GET", "/x", [(b"origin", A.encode()), (b"x-token", b"t")])
    sent = await call(CORSMiddleware(headers_echo, origins=[A]), scope)
    lines = start_lines(sent)
    assert (b"x-got-origin", A.encode()) in lines
    assert (b"x-got-x-token", b"t") in lines  # the app still gets every header
    assert (b"access-control-allow-origin", A.encode()) in lines


async def test_request_headers_as_an_iterator_on_a_preflight_and_a_decorated_route() -> None:
    @cross_origin(origins=[A])
    async def view(request: Request) -> Response:
        return PlainTextResponse(request.headers.get("x-token", "none"))

    app = CORSMiddleware(Starlette(routes=[Route("/v", view)]), resources=[])
    preflight = scope_with_iterator(
        "OPTIONS", "/v", [(b"origin", A.encode()), (b"access-control-request-method", b"POST")]
    )
    lines = start_lines(await call(app, preflight))
    assert (b"access-control-allow-origin", A.encode()) in lines
    get = scope_with_iterator("GET", "/v", [(b"origin", A.encode()), (b"x-token", b"t")])
    sent = await call(app, get)
    assert (b"access-control-allow-origin", A.encode()) in start_lines(sent)
    assert b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body") == b"t"


def generator_scope(path: str, origin: str) -> dict[str, Any]:
    return asgi_scope(RawReq("GET", path, ((b"origin", origin.encode()),)))


async def test_response_headers_as_a_generator_lose_nothing() -> None:
    lines = start_lines(await call(generator_app, generator_scope("/", A)))
    assert (b"content-type", b"application/json") in lines
    assert (b"set-cookie", b"session=1") in lines
    assert (b"access-control-allow-origin", A.encode()) in lines


async def test_the_apps_own_allow_origin_in_a_generator_is_kept_and_not_doubled() -> None:
    lines = start_lines(await call(generator_app, generator_scope("/own-acao", A)))
    acaos = [value for name, value in lines if name == b"access-control-allow-origin"]
    assert acaos == [APP_ORIGIN.encode()]  # Flask-CORS skips a response that has an ACAO
    assert (b"set-cookie", b"session=1") in lines


async def test_an_error_answer_with_generator_headers_keeps_them() -> None:
    async def raising(scope: dict[str, Any], receive: Any, send: Any) -> None:
        raise HTTPException(418)

    def handler_lines() -> Iterator[tuple[bytes, bytes]]:
        yield (b"content-type", b"text/plain")
        yield (b"x-handled", b"yes")

    async def handler_response(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await send({"type": "http.response.start", "status": 418, "headers": handler_lines()})
        await send({"type": "http.response.body", "body": b""})

    scope = generator_scope("/", A)
    scope["starlette.exception_handlers"] = ({}, {418: lambda request, exc: handler_response})
    lines = start_lines(await call(CORSMiddleware(raising, origins=[A]), scope))
    assert (b"x-handled", b"yes") in lines
    assert (b"access-control-allow-origin", A.encode()) in lines


def test_response_headers_as_a_generator_under_uvicorn() -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    with serving(uvicorn_command("tests.engine.iterable_headers_app:app", port), f"{base}/"):
        plain = httpx.get(f"{base}/", headers={"Origin": A}, timeout=10)
        own = httpx.get(f"{base}/own-acao", headers={"Origin": A}, timeout=10)
    assert plain.headers["content-type"] == "application/json"
    assert plain.headers["set-cookie"] == "session=1"
    assert plain.headers["access-control-allow-origin"] == A
    assert own.headers.get_list("access-control-allow-origin") == [APP_ORIGIN]
    assert own.headers["set-cookie"] == "session=1"

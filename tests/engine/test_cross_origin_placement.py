"""A `cross_origin` route served without `CORSMiddleware` logs one warning naming the route, once:
its preflights get the framework's 405 (Flask, where the decorator works alone, answers them 200
with the route's headers), and the endpoint never sees them, so it tells on the first request it
does see."""

from __future__ import annotations

import logging
from typing import Any

import flask
import flask_cors
import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from flask_cors_asgi import CORSMiddleware, cross_origin
from testing_support import Req, send_asgi, send_flask

FRONT = "https://front.example"
PREFLIGHT = Req("OPTIONS", "/items", {"Origin": FRONT, "Access-Control-Request-Method": "POST"})


def _warnings(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.name == "flask_cors_asgi" and r.levelno == logging.WARNING
    ]


def starlette_app(*, methods: tuple[str, ...] = ("GET", "POST")) -> Starlette:
    @cross_origin(origins=[FRONT])
    async def items(request: Request) -> PlainTextResponse:
        return PlainTextResponse("items")

    @cross_origin(origins=[FRONT])
    def orders(request: Request) -> PlainTextResponse:  # sync: runs in the thread pool
        return PlainTextResponse("orders")

    return Starlette(routes=[Route("/items", items, methods=list(methods)), Route("/orders", orders)])


async def _get(app: Any, *paths: str) -> None:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for path in paths:
            assert (await client.get(path, headers={"Origin": FRONT})).status_code == 200


def test_flask_answers_the_decorated_route_preflight_without_the_extension() -> None:
    # Why the warning exists: Flask-CORS's decorator alone answers the preflight; Starlette does not.
    app = flask.Flask("reference")

    @app.route("/items", methods=["GET", "POST"])
    @flask_cors.cross_origin(origins=[FRONT])
    def items() -> str:
        return "items"

    assert send_flask(app, PREFLIGHT).header("access-control-allow-origin") == [FRONT]


async def test_a_route_without_the_middleware_warns_once_naming_it(caplog: pytest.LogCaptureFixture) -> None:
    app = starlette_app()
    assert (await send_asgi(app, PREFLIGHT)).status == 405  # the framework's answer, silent
    assert _warnings(caplog) == []
    await _get(app, "/items", "/items", "/items")
    [message] = _warnings(caplog)
    assert "GET, HEAD, POST /items" in message
    assert "starlette_app.<locals>.items" in message
    assert "CORSMiddleware" in message


async def test_each_route_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    app = starlette_app()
    await _get(app, "/items", "/orders", "/orders", "/items")
    assert [m.split(" (")[0] for m in _warnings(caplog)] == [
        "cross_origin route GET, HEAD, POST /items",
        "cross_origin route GET, HEAD /orders",
    ]


async def test_a_fastapi_route_is_named_by_its_path_template(caplog: pytest.LogCaptureFixture) -> None:
    app = FastAPI()

    @app.delete("/items/{item_id}")
    @cross_origin(origins=[FRONT])
    async def delete_item(item_id: int) -> dict[str, int]:
        return {"item_id": item_id}

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        for item_id in (1, 2):
            assert (await client.delete(f"/items/{item_id}")).json() == {"item_id": item_id}
    [message] = _warnings(caplog)
    assert "DELETE /items/{item_id}" in message


async def test_no_warning_behind_the_middleware(caplog: pytest.LogCaptureFixture) -> None:
    app = CORSMiddleware(starlette_app(), resources=[])
    assert (await send_asgi(app, PREFLIGHT)).header("access-control-allow-origin") == [FRONT]
    await _get(app, "/items", "/orders")
    assert _warnings(caplog) == []


async def test_no_warning_for_a_route_that_takes_options(caplog: pytest.LogCaptureFixture) -> None:
    # The route sends OPTIONS to the decorator, which answers the preflight itself, as in Flask.
    app = starlette_app(methods=("GET", "POST", "OPTIONS"))
    assert (await send_asgi(app, PREFLIGHT)).header("access-control-allow-origin") == [FRONT]
    await _get(app, "/items")
    assert _warnings(caplog) == []

"""Starlette's `StaticFiles` mounted under a CORS path answers as Flask's static route under
Flask-CORS: preflights get Flask's automatic OPTIONS answer (200, Allow, the CORS headers), files
and missing files their GET answers, other methods 405, all with the resource's headers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask
import flask_cors
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles

from flask_cors_asgi import CORSMiddleware
from testing_support import Observed, Req, compare, send_asgi, send_flask

FRONT = "https://front.example"
OTHER = "https://other.example"
OPTIONS: dict[str, Any] = {"resources": {r"/static/*": {"origins": [FRONT]}}}


def _directory(tmp_path: Path) -> Path:
    static = tmp_path / "static"
    (static / "css").mkdir(parents=True)
    (static / "app.js").write_text("console.log(1)")
    (static / "css" / "site.css").write_text("body {}")
    return static


def flask_reference(static: Path) -> flask.Flask:
    app = flask.Flask("reference", static_folder=str(static))

    @app.get("/api")
    def api() -> str:
        return "api"

    flask_cors.CORS(app, **OPTIONS)
    return app


async def api(request: Request) -> PlainTextResponse:
    return PlainTextResponse("api")


def starlette_port(static: Path) -> Any:
    routes = [Route("/api", api), Mount("/static", StaticFiles(directory=static))]
    return CORSMiddleware(Starlette(routes=routes), **OPTIONS)


def fastapi_port(static: Path) -> Any:
    app = FastAPI()
    app.add_middleware(CORSMiddleware, **OPTIONS)
    app.get("/api")(api)
    app.mount("/static", StaticFiles(directory=static))
    return app


def _preflight(path: str, origin: str = FRONT) -> Req:
    return Req("OPTIONS", path, {"Origin": origin, "Access-Control-Request-Method": "GET"})


REQUESTS = [
    _preflight("/static/app.js"),
    _preflight("/static/css/site.css"),
    _preflight("/static/missing.js"),  # Flask's rule matches any file name: 200 all the same
    _preflight("/static/app.js", OTHER),
    Req("OPTIONS", "/static/app.js"),  # a plain OPTIONS, no Origin
    Req("GET", "/static/app.js", {"Origin": FRONT}),
    Req("HEAD", "/static/app.js", {"Origin": FRONT}),
    Req("GET", "/static/missing.js", {"Origin": FRONT}),
    Req("POST", "/static/app.js", {"Origin": FRONT}),
    Req("GET", "/api", {"Origin": FRONT}),
]


@pytest.mark.parametrize("port", [starlette_port, fastapi_port], ids=["Starlette", "FastAPI"])
@pytest.mark.parametrize("request_", REQUESTS, ids=lambda r: f"{r.method} {r.path} {r.headers}")
async def test_static_files_answer_as_flask_static_route(tmp_path: Path, request_: Req, port: Any) -> None:
    static = _directory(tmp_path)
    expected = send_flask(flask_reference(static), request_)
    seen = await send_asgi(port(static), request_)
    assert compare(expected, seen, automatic_options=request_.method == "OPTIONS") == []


async def test_a_static_preflight_is_answered_with_the_resource_headers(tmp_path: Path) -> None:
    seen: Observed = await send_asgi(starlette_port(_directory(tmp_path)), _preflight("/static/app.js"))
    assert seen.status == 200
    assert seen.allow == {"GET", "HEAD", "OPTIONS"}
    assert seen.header("access-control-allow-origin") == [FRONT]


async def test_options_on_the_bare_mount_path_is_static_files_own_405(tmp_path: Path) -> None:
    # A documented difference (docs/frameworks.md, Starlette): no Flask rule matches "/static/", so
    # Flask answers 404; StaticFiles answers every method but GET and HEAD 405, before looking at
    # the path. Both carry the resource's headers, so a browser sees the same failed preflight.
    static = _directory(tmp_path)
    expected = send_flask(flask_reference(static), _preflight("/static/"))
    seen = await send_asgi(starlette_port(static), _preflight("/static/"))
    assert (expected.status, seen.status) == (404, 405)
    assert expected.cors == seen.cors

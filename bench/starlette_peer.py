"""Starlette as its documentation teaches: the article's handler as a `request.json()` endpoint,
behind Starlette's stock `CORSMiddleware` configured with the benchmark's policy. The naive port:
neither Flask-CORS's exact semantics nor any of the service's guards. Imports only Starlette.

`uvicorn bench.starlette_peer:app`
"""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bench.workload import ALLOW_HEADERS, METHODS, ORIGINS, PATH


async def foo(request: Request) -> Response:
    """The article's handler, as Starlette code."""
    data = await request.json()
    if data and "inputVar" in data:
        return JSONResponse({"result": data["inputVar"] * 2})
    return JSONResponse({"error": "Invalid input"}, status_code=400)


def starlette_app(cors: Middleware | None = None) -> Starlette:
    return Starlette(routes=[Route(PATH, foo, methods=["POST"])], middleware=[cors] if cors else [])


def stock_cors() -> Middleware:
    return Middleware(
        CORSMiddleware, allow_origins=ORIGINS, allow_methods=METHODS, allow_headers=ALLOW_HEADERS
    )


app = starlette_app(stock_cors())

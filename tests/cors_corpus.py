"""Small apps shaped like real ones, for the toolkit's tests: a Flask app and its port whose origins
are a regex with groups (as a well-known real app writes its development origins)."""

from __future__ import annotations

import flask
import flask_cors
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from flask_cors_asgi import CORSMiddleware

LOCALHOST_ANY_PORT = r"^http://localhost(:[0-9]+)?$"

regex_groups_flask = flask.Flask("regex_groups_flask")


@regex_groups_flask.get("/alert/<id>")
def alert(id: str) -> dict[str, str]:
    return {"alert": id}


flask_cors.CORS(regex_groups_flask, origins=[LOCALHOST_ANY_PORT], supports_credentials=True)


async def alert_port(request: Request) -> Response:
    return JSONResponse({"alert": request.path_params["id"]})


regex_groups_port = Starlette(
    routes=[Route("/alert/{id}", alert_port)],
    middleware=[Middleware(CORSMiddleware, origins=[LOCALHOST_ANY_PORT], supports_credentials=True)],
)


async def nothing(request: Request) -> Response:
    return JSONResponse({"cors": "none"})


# No CORS at all: no origin is ever allowed, so a probe of it tests no allowed origin.
no_cors = Starlette(routes=[Route("/api/data", nothing)])

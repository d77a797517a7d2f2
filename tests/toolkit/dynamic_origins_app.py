"""Apps whose origins are decided at request time, for the toolkit's tests (cors_conformance.dynamic)."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Scope

from flask_cors_asgi import CORSMiddleware, dynamic_origins

LISTED = "https://listed.example"
TENANT = "https://tenant.example"


def registered_tenant(origin: str, scope: Scope) -> bool:
    return origin == TENANT


async def data(request: Request) -> Response:
    return PlainTextResponse("ok")


ROUTES = [Route("/api/data", data, methods=["GET", "POST"])]
app = Starlette(
    routes=ROUTES,
    middleware=[Middleware(CORSMiddleware, origins=[LISTED, dynamic_origins(registered_tenant, ttl=5)])],
)
static_app = Starlette(routes=ROUTES, middleware=[Middleware(CORSMiddleware, origins=[LISTED, TENANT])])

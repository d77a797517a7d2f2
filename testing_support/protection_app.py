"""The target of the cross-origin protection's browser tests (tests/browsers/test_protection_browsers.py),
served by uvicorn on 127.0.0.1: `/protected/*` behind `CrossOriginProtection`, `/open/*` behind CORS
only, both under one recorder that keeps, per request id (`?id=`), what the browser sent and what
was answered, and whether the endpoint ran. `GET /log` returns the records; `GET /page` is a page
of this origin, for the same-origin cases."""

from __future__ import annotations

from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flask_cors_asgi import CORSMiddleware, CrossOriginProtection

RECORDS: dict[str, dict[str, Any]] = {}
MAX_RECORDS = 1000  # bounded: a test run makes a few dozen requests


async def transfer(request: Request) -> Response:
    record = RECORDS.get(request.query_params.get("id", ""))
    if record is not None:
        record["ran"] = True
    return PlainTextResponse("done")


async def log(request: Request) -> Response:
    return JSONResponse(RECORDS)


async def page(request: Request) -> Response:
    return HTMLResponse("<!doctype html><title>same-origin page</title><iframe name=sink></iframe>")


class Recorder:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        query = dict(part.split("=", 1) for part in scope["query_string"].decode().split("&") if "=" in part)
        request_id = query.get("id")
        if scope["type"] != "http" or request_id is None or len(RECORDS) >= MAX_RECORDS:
            await self.app(scope, receive, send)
            return
        headers = {name.decode(): value.decode("latin-1") for name, value in scope["headers"]}
        record: dict[str, Any] = {
            "method": scope["method"],
            "sec-fetch-site": headers.get("sec-fetch-site"),
            "origin": headers.get("origin"),
            "ran": False,
        }
        RECORDS[request_id] = record

        async def recording_send(message: Message) -> None:
            if message["type"] == "http.response.start":
                record["status"] = message["status"]
            await send(message)

        await self.app(scope, receive, recording_send)


routes = [Route("/transfer", transfer, methods=["POST"])]
app = Recorder(
    Starlette(
        routes=[
            Route("/log", log),
            Route("/page", page),
            Mount("/protected", app=CrossOriginProtection(Starlette(routes=routes))),
            Mount("/open", app=Starlette(routes=routes)),
        ],
        # CORS for every path, allowing one origin the tests never use: the pages may read nothing.
        middleware=[Middleware(CORSMiddleware, origins=["https://app.example"])],
    )
)


# Targets of the toolkit's forgery probe (tests/toolkit/test_conformance_forgery.py): one POST endpoint
# that accepts any body, alone, behind the protection, and behind it with broad bypass patterns.
# Alone, it keeps its users' session in a cookie every site's requests carry (SameSite=None), so a
# forged request runs as the user (X01 high); `public` is the same endpoint, without cookies, open to
# every origin (X01 low: any site may call it, by design).
async def accept(request: Request) -> Response:
    await request.body()
    return PlainTextResponse("changed")


async def session(request: Request) -> Response:
    response = PlainTextResponse("signed in")
    response.set_cookie("session", "1", secure=True, samesite="none")
    return response


def _accepting(*middleware: Middleware, cookie: bool = False) -> Starlette:
    routes = [Route("/transfer", accept, methods=["POST"])]
    if cookie:
        routes.append(Route("/session", session))
    return Starlette(routes=routes, middleware=list(middleware))


unprotected = _accepting(
    Middleware(CORSMiddleware, origins=["https://app.example"], supports_credentials=True), cookie=True
)
public = _accepting(Middleware(CORSMiddleware))
protected = _accepting(Middleware(CrossOriginProtection, trusted_origins=["https://app.example"]))
broad = _accepting(
    Middleware(
        CrossOriginProtection,
        insecure_bypass_patterns=["/{tenant}/hook", "/hooks/{rest:path}", "POST /webhooks/{provider}"],
    )
)


# TestCrossOriginProtectionServer's handler (tests/engine/test_protection.py serves it with uvicorn).
async def ok(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"0")]})
    await send({"type": "http.response.body", "body": b""})


go_server = CrossOriginProtection(
    ok, trusted_origins=["https://trusted.example"], insecure_bypass_patterns=["/bypass/"]
)

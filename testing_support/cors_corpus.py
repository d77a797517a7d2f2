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
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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


# The same routes written the Flask way and the Starlette way, typed and untyped, some under a
# prefix: every one must be matched with its twin by pattern, none reported as one-sided.
routes_flask = flask.Flask("routes_flask")
routes_flask.add_url_rule("/alert/<id>", "alert", alert)
routes_flask.add_url_rule("/orders/<int:order_id>/lines/<line>", "lines", lambda order_id, line: "ok")
routes_flask.add_url_rule("/files/<path:name>", "files", lambda name: "ok")
routes_flask.add_url_rule("/only-flask/<id>", "only", lambda id: "ok")
flask_cors.CORS(routes_flask, origins=["https://shop.example"])


async def ok(request: Request) -> Response:
    return JSONResponse({"ok": True})


routes_port = Starlette(
    routes=[
        Route("/alert/{id}", ok),
        Route("/orders/{order_id:int}/lines/{line}", ok),
        Route("/files/{name:path}", ok),
        Route("/only-starlette/{id}", ok),
    ],
    middleware=[Middleware(CORSMiddleware, origins=["https://shop.example"])],
)


def create_flask_app() -> flask.Flask:
    """An application factory, its API a blueprint with CORS(blueprint), one view that fails (its
    traceback goes to the app's log) and one that prints."""
    app = flask.Flask("factory_app")
    api = flask.Blueprint("api", "factory_app", url_prefix="/api")

    @api.get("/items/<int:item_id>")
    def item(item_id: int) -> dict[str, int]:
        print(f"item {item_id} read")  # the app's own noise, for the capture test
        return {"item": item_id}

    @api.get("/boom")
    def boom() -> dict[str, str]:
        raise RuntimeError("boom in the app")

    flask_cors.CORS(api, origins=["https://shop.example"], supports_credentials=True)
    app.register_blueprint(api)
    return app


class GetBlockedPostReadable:
    """Hand-written CORS that allows https://shop.example only on POST answers (which the route
    refuses with 405) and https://reader.example everywhere: a GET 200 blocked beside a readable
    POST 405."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        origin = dict(scope.get("headers", [])).get(b"origin", b"").decode("latin-1")
        allowed = origin == "https://reader.example" or (
            origin == "https://shop.example" and scope.get("method") == "POST"
        )

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start" and allowed:
                message["headers"] = [
                    *message.get("headers", ()),
                    (b"access-control-allow-origin", origin.encode()),
                ]
            await send(message)

        await self.app(scope, receive, send_with_cors)


get_blocked_post_readable = Starlette(
    routes=[Route("/api/data", ok, methods=["GET"])], middleware=[Middleware(GetBlockedPostReadable)]
)


# app.config's CORS_* settings do not reach CORS(blueprint): Flask-CORS reads no config for a
# blueprint, so its routes are open to every origin, not only to the configured one.
blueprint_ignores_config = flask.Flask("blueprint_ignores_config")
blueprint_ignores_config.config["CORS_ORIGINS"] = ["https://shop.example"]
_open_api = flask.Blueprint("open_api", "blueprint_ignores_config", url_prefix="/api")
_open_api.add_url_rule("/data", "data", lambda: {"data": 1})
flask_cors.CORS(_open_api)
blueprint_ignores_config.register_blueprint(_open_api)

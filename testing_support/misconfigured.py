"""Deliberately misconfigured APIs, one per misconfiguration class that Corsy, CORScanner, nuclei's
CORS template and ZAP test, and correctly configured ones, as targets for `cors-conformance probe`
(`asgi:testing_support.misconfigured:<name>`). The front end's origin is https://shop.example (or
https://www.shop.example for the unescaped-dot case).

The misconfigured ones check the Origin the way hand-written CORS code gets it wrong (a predicate
over the Origin header), the configured ones use the engine and Flask-CORS as teams do.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from urllib.parse import urlsplit

import flask
import flask_cors
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware as StockCORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flask_cors_asgi import CORSMiddleware

FRONT_END = "https://shop.example"
WWW_FRONT_END = "https://www.shop.example"


async def data(request: Request) -> Response:
    return JSONResponse({"secret": "account data"})


class OriginCheck:
    """Hand-written CORS: allow the Origin when `allow(origin)` says so."""

    def __init__(
        self,
        app: ASGIApp,
        allow: Callable[[str], bool],
        credentials: bool = False,
        vary: bool = True,
        wildcard: bool = False,
    ) -> None:
        self.app, self.allow, self.credentials, self.vary, self.wildcard = (
            app,
            allow,
            credentials,
            vary,
            wildcard,
        )

    def headers(self, origin: str | None) -> list[tuple[bytes, bytes]]:
        if origin is None or not self.allow(origin):
            return [(b"vary", b"Origin")] if self.vary else []
        found = [(b"access-control-allow-origin", b"*" if self.wildcard else origin.encode("latin-1"))]
        if self.credentials:
            found.append((b"access-control-allow-credentials", b"true"))
        if self.vary:
            found.append((b"vary", b"Origin"))
        return found

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_headers = dict(scope["headers"])
        origin = request_headers.get(b"origin", b"").decode("latin-1") or None
        added = self.headers(origin)
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in request_headers:
            if added and any(name == b"access-control-allow-origin" for name, _ in added):
                added += [(b"access-control-allow-methods", b"GET, POST, PUT, DELETE")]
                requested = request_headers.get(b"access-control-request-headers")
                if requested:
                    added.append((b"access-control-allow-headers", requested))
            await Response(status_code=204, headers={k.decode(): v.decode("latin-1") for k, v in added})(
                scope, receive, send
            )
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *added]
            await send(message)

        await self.app(scope, receive, send_with_cors)


def api(allow: Callable[[str], bool], **options: bool) -> Starlette:
    return Starlette(
        routes=[Route("/api/data", data, methods=["GET", "POST"])],
        middleware=[Middleware(OriginCheck, allow=allow, **options)],  # type: ignore[arg-type]
    )


def host(origin: str) -> str:
    return urlsplit(origin).hostname or ""


# --- one misconfiguration each (with credentials, so each is a high finding) -----------------------

reflect_any = api(lambda origin: True, credentials=True)
reflect_any_public = api(lambda origin: True)
null_origin = api(lambda origin: origin in (FRONT_END, "null"), credentials=True)
prefix = api(lambda origin: origin.startswith(FRONT_END), credentials=True)
suffix = api(lambda origin: origin.endswith("shop.example"), credentials=True)
substring = api(lambda origin: "shop.example" in origin, credentials=True)
reverse_substring = api(
    lambda origin: bool(host(origin)) and host(origin) in "shop.example", credentials=True
)
unescaped_dot = api(
    lambda origin: re.match(r"^https://www.shop.example$", origin) is not None, credentials=True
)
any_subdomain = api(
    lambda origin: re.match(r"^https://([a-z0-9-]+\.)?shop\.example$", origin) is not None, credentials=True
)
special_characters = api(
    lambda origin: (
        origin == FRONT_END
        or (origin.startswith(FRONT_END) and origin[len(FRONT_END)] in "_-\"{}+`!~;&'(),$=")
    ),
    credentials=True,
)
http_origin = api(lambda origin: origin in (FRONT_END, "http://shop.example"), credentials=True)
hosting_site = api(lambda origin: origin == FRONT_END or origin.endswith(".github.io"), credentials=True)
wildcard_credentials = api(lambda origin: True, credentials=True, wildcard=True)
development_origin = api(lambda origin: origin in (FRONT_END, "http://localhost:3000"), credentials=True)
missing_vary = api(lambda origin: origin in (FRONT_END, "https://admin.shop.example"), vary=False)

# --- configured with the engine or Flask-CORS ----------------------------------------------------


def engine_app(**options: object) -> Starlette:
    return Starlette(
        routes=[Route("/api/data", data, methods=["GET", "POST"])],
        middleware=[Middleware(CORSMiddleware, **options)],  # type: ignore[arg-type]
    )


# Correct: exact https origins per resource with credentials; an anchored, escaped regex; public "*".
exact_with_credentials = engine_app(
    resources={r"/api/*": {"origins": [FRONT_END, "https://admin.shop.example"]}}, supports_credentials=True
)
anchored_regex = engine_app(origins=[r"^https://(www\.)?shop\.example$"])
public_wildcard = Starlette(
    routes=[Route("/api/data", data)], middleware=[Middleware(StockCORSMiddleware, allow_origins=["*"])]
)
# The engine taking a regex that is not anchored at its end, with credentials: Flask-CORS's re.match
# admits https://a.shop.example.attacker.example (found from the configuration, no --origin given).
unanchored_regex = engine_app(origins=[r"https://.*\.shop\.example"], supports_credentials=True)

flask_unanchored = flask.Flask("flask_unanchored")


@flask_unanchored.get("/v1/orders/<int:order_id>")
def order(order_id: int) -> dict[str, int]:
    return {"order": order_id}


flask_cors.CORS(
    flask_unanchored,
    resources={r"/v1/*": {"origins": [r"https://.*\.shop\.example"]}},
    supports_credentials=True,
)

# A safe Flask policy (exact https origins per resource, credentials on), for from-flask.
flask_safe = flask.Flask("flask_safe")
flask_safe.add_url_rule("/v1/orders/<int:order_id>", view_func=order)
flask_cors.CORS(
    flask_safe,
    resources={r"/v1/*": {"origins": [FRONT_END, "https://admin.shop.example"]}},
    supports_credentials=True,
)


def create_app() -> Starlette:
    """A factory, for the target-kind checks."""
    return anchored_regex


# A view with two rules, the second under a narrower resource: from-flask must judge each rule.
flask_wider_rule = flask.Flask("flask_wider_rule")


@flask_wider_rule.route("/v1/export")
@flask_wider_rule.route("/public")
@flask_cors.cross_origin()
def export() -> dict[str, str]:
    return {"export": "ok"}


flask_cors.CORS(flask_wider_rule, resources={r"/v1/*": {"origins": [FRONT_END]}})

# A literal resource (no regex characters) that Flask-CORS compares to the whole path: "/v1" is not
# "/v1/export", so no resource applies there and the decorator widens nothing.
flask_literal_resource = flask.Flask("flask_literal_resource")
flask_literal_resource.add_url_rule("/v1/export", view_func=export)
flask_cors.CORS(flask_literal_resource, resources={"/v1": {"origins": [FRONT_END]}})

# A hand-written development check: any origin that starts with http://localhost (no --origin needed:
# http://localhost is tried for every target, and once allowed its neighbours are tried too).
localhost_prefix = api(lambda origin: origin.startswith("http://localhost"), credentials=True)
any_subdomain_public = api(
    lambda origin: re.match(r"^https://([a-z0-9-]+\.)?shop\.example$", origin) is not None
)
# A check for "the origin is inside the trusted one", www.shop.example: hop.example is registrable.
reverse_substring_www = api(
    lambda origin: bool(host(origin)) and host(origin) in "www.shop.example", credentials=True
)

# --- configured-but-dangerous trust, written with the engine, Flask-CORS or Starlette ------------
# The probe sees each configured origin allowed, as configured: the configuration is the finding.


def flask_app(name: str, **options: object) -> flask.Flask:
    app = flask.Flask(name)
    app.add_url_rule("/api/data", "data", lambda: {"secret": "account data"}, methods=["GET", "POST"])
    flask_cors.CORS(app, **options)
    return app


flask_null = flask_app("flask_null", origins=[FRONT_END, "null"], supports_credentials=True)
engine_http_twin = engine_app(origins=[FRONT_END, "http://shop.example"], supports_credentials=True)
flask_codepen = flask_app("flask_codepen", origins=[FRONT_END, "https://codepen.io"])
engine_vercel_previews = engine_app(origins=[FRONT_END, r"^https://[a-z0-9-]+\.vercel\.app$"])
engine_any_subdomain_credentials = engine_app(
    origins=[r"^https://([a-z0-9-]+\.)?shop\.example$"], supports_credentials=True
)
flask_wildcard_credentials = flask_app("flask_wildcard_credentials", origins="*", supports_credentials=True)
stock_wildcard_credentials = Starlette(
    routes=[Route("/api/data", data)],
    middleware=[Middleware(StockCORSMiddleware, allow_origins=["*"], allow_credentials=True)],
)
# Correct: a public API open to every origin without credentials, with the engine and Flask-CORS.
engine_public = engine_app(origins="*")
flask_public = flask_app("flask_public")
# Correct: one named site on a shared host, without credentials (low: named, not alarmed).
engine_own_github_pages = engine_app(origins=[FRONT_END, "https://shop-example.github.io"])
# A regex as tutorials write it: no scheme, no dot before the name, no end anchor.
flask_sloppy_regex = flask_app("flask_sloppy_regex", origins=[r".*shop\.example"], supports_credentials=True)

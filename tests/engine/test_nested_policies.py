"""An app-wide CORSMiddleware and a mounted sub-app's own CORSMiddleware compose as Flask's policies
do: a mounted app with its own policy is a Flask app under Werkzeug's DispatcherMiddleware, which
answers every request under its prefix alone. The README's Starlette example against its Flask
original, preflights and errors included, in process and under uvicorn; an outer policy covering
the mount; and an outer `CORSMiddleware(resources=[])` (for Flask's automatic OPTIONS only) around a
mounted app with its own policy, against Flask's `CORS(blueprint)` on what the blueprint's routes
answer."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import flask
import flask_cors
import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from werkzeug.middleware.dispatcher import DispatcherMiddleware

from flask_cors_asgi import CORSMiddleware
from testing_support import (
    Req,
    differences,
    free_port,
    post_preflight,
    send_asgi_sync,
    send_flask,
    serving,
    uvicorn_command,
)
from testing_support.doc_examples import app_of, examples

SHOP, PARTNER, ADMIN = "https://shop.example", "https://partner.example", "https://admin.example"


def requests_for(*paths: str) -> list[Req]:
    found = []
    for path in paths:
        for origin in (SHOP, PARTNER, ADMIN):
            for method in ("GET", "POST", "DELETE"):
                found.append(Req(method, path, {"Origin": origin}))
            found.append(post_preflight(path, origin))
    return found


def readme_flask_original() -> Any:
    """The Flask app the README's Starlette example ports, as its comments describe it."""
    admin = flask.Flask("admin")

    @admin.get("/users")
    def admin_users() -> Any:
        return [{"id": 1}]

    flask_cors.CORS(admin, origins=[ADMIN])

    app = flask.Flask("shop")

    @app.get("/api/orders")
    def list_orders() -> Any:
        return [{"id": 1}]

    @app.route("/api/partner", methods=["GET", "POST"])
    @flask_cors.cross_origin(origins=[PARTNER], supports_credentials=True)
    def partner_feed() -> Any:
        return {"feed": []}

    flask_cors.CORS(app, resources={r"/api/*": {"origins": [SHOP]}}, max_age=600)
    return DispatcherMiddleware(app, {"/admin": admin})


README_PATHS = ("/admin/users", "/admin/missing", "/api/orders", "/api/partner", "/api/missing")


def test_the_readme_example_answers_as_its_flask_original() -> None:
    port = app_of(examples()[0])
    assert differences(readme_flask_original(), port, requests_for(*README_PATHS)) == []


def test_the_readme_example_lets_the_admin_front_end_preflight() -> None:
    # The report: the outer middleware answered this preflight with the outer policy.
    port = app_of(examples()[0])
    preflight = send_asgi_sync(
        port, Req("OPTIONS", "/admin/users", {"Origin": ADMIN, "Access-Control-Request-Method": "POST"})
    )
    assert preflight.status == 200
    assert preflight.header("access-control-allow-origin") == [ADMIN]
    assert preflight.header("access-control-allow-methods") != []


def test_the_readme_example_under_uvicorn(tmp_path: Path) -> None:
    (tmp_path / "readme_starlette.py").write_text(examples()[0])
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    command = uvicorn_command("readme_starlette:app", port, "--app-dir", str(tmp_path))
    with serving(command, f"{base}/api/orders"):
        preflight = httpx.options(
            f"{base}/admin/users",
            headers={"Origin": ADMIN, "Access-Control-Request-Method": "POST"},
            timeout=10,
        )
        missing = httpx.get(f"{base}/admin/missing", headers={"Origin": ADMIN}, timeout=10)
        shop = httpx.options(
            f"{base}/api/orders",
            headers={"Origin": SHOP, "Access-Control-Request-Method": "POST"},
            timeout=10,
        )
    assert (preflight.status_code, preflight.headers.get("access-control-allow-origin")) == (200, ADMIN)
    assert "POST" in preflight.headers["access-control-allow-methods"]
    # As the admin Flask app under DispatcherMiddleware: its own policy on its own 404.
    assert (missing.status_code, missing.headers.get("access-control-allow-origin")) == (404, ADMIN)
    assert (shop.status_code, shop.headers.get("access-control-max-age")) == (200, "600")


# --- outer CORSMiddleware(resources=[]) around a mounted app with its own policy ---------------------


def flask_blueprint_app() -> flask.Flask:
    app = flask.Flask("blueprint")
    admin = flask.Blueprint("admin", __name__, url_prefix="/admin")

    @admin.route("/users", methods=["GET", "PUT"])
    def admin_users() -> Any:
        return [{"id": 1}]

    flask_cors.CORS(admin, origins=[ADMIN])
    app.register_blueprint(admin)
    return app


async def users(request: Request) -> Response:
    return JSONResponse([{"id": 1}])


def starlette_mounted_policy() -> Starlette:
    admin = Starlette(
        routes=[Route("/users", users, methods=["GET", "PUT"])],
        middleware=[Middleware(CORSMiddleware, origins=[ADMIN])],
    )
    return Starlette(
        routes=[Mount("/admin", app=admin)], middleware=[Middleware(CORSMiddleware, resources=[])]
    )


def test_outer_empty_policy_and_mounted_policy_answer_the_blueprints_routes_as_flask() -> None:
    requests = [r for r in requests_for("/admin/users") if r.method in ("GET", "OPTIONS")]
    assert differences(flask_blueprint_app(), starlette_mounted_policy(), requests) == []


def test_difference_a_mounted_policy_covers_its_whole_prefix() -> None:
    # A mounted app's own CORSMiddleware sees every request under its prefix, as a Flask app under
    # DispatcherMiddleware does; a blueprint's policy skips its 404s and 405s: cors_blueprint ports
    # that one (tests/engine/test_blueprints.py).
    flask_app = flask_blueprint_app()
    port = starlette_mounted_policy()
    for request in (
        Req("GET", "/admin/missing", {"Origin": ADMIN}),
        Req("DELETE", "/admin/users", {"Origin": ADMIN}),
    ):
        reference, found = send_flask(flask_app, request), send_asgi_sync(port, request)
        assert reference.status == found.status
        assert (
            reference.header("access-control-allow-origin"),
            found.header("access-control-allow-origin"),
        ) == (
            [],
            [ADMIN],
        )


# --- an outer policy that covers the mount: the mounted app answers alone ----------------------------


def flask_dispatched_under_open_policy() -> Any:
    admin = flask.Flask("admin")

    @admin.route("/users", methods=["GET", "PUT"])
    def admin_users() -> Any:
        return [{"id": 1}]

    @admin.get("/raise")
    def admin_raise() -> Any:
        raise RuntimeError("boom")

    flask_cors.CORS(admin, origins=[ADMIN])
    outer = flask.Flask("outer")

    @outer.get("/elsewhere")
    def elsewhere() -> Any:
        return []

    flask_cors.CORS(outer)  # every origin, every path: never the mounted app's
    return DispatcherMiddleware(outer, {"/admin": admin})


async def raise_failure(request: Request) -> Response:
    raise RuntimeError("boom")


def starlette_mounted_under_open_policy() -> Starlette:
    admin = Starlette(
        routes=[Route("/users", users, methods=["GET", "PUT"]), Route("/raise", raise_failure)],
        middleware=[Middleware(CORSMiddleware, origins=[ADMIN])],
    )
    return Starlette(
        routes=[Route("/elsewhere", users), Mount("/admin", app=admin)],
        middleware=[Middleware(CORSMiddleware)],
    )


def test_an_outer_policy_never_reaches_a_mounted_app_with_its_own() -> None:
    paths = ("/admin/users", "/admin/raise", "/admin/missing", "/elsewhere", "/missing")
    problems = differences(
        flask_dispatched_under_open_policy(), starlette_mounted_under_open_policy(), requests_for(*paths)
    )
    assert problems == []
    # The case that shows it: an origin the mounted app refuses, which the outer policy allows.
    refused = send_asgi_sync(
        starlette_mounted_under_open_policy(), Req("GET", "/admin/users", {"Origin": SHOP})
    )
    assert (refused.status, refused.header("access-control-allow-origin")) == (200, [])

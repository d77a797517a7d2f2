"""`CORS(blueprint, **options)` ported with `cors_blueprint`, proven against the real Flask +
Flask-CORS 6.0.5 side by side (testing_support/differential.py's contract): headers on what the blueprint's
routes answer (Flask's automatic OPTIONS answer and their errors included), none on a 404 under its
prefix or a 405 on one of its routes, together with an app-wide policy, decorated routes, nested
blueprints, `resources` inside the blueprint's options and path parameters."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import flask
import flask_cors
import pytest
from fastapi import APIRouter
from flask.views import MethodView
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from flask_cors_asgi import CORSMiddleware, cors_blueprint, cross_origin
from testing_support import Req, compare, differences, post_preflight, send_asgi_sync, send_flask

A = "https://a.example"
ADMIN = "https://admin.example"
OTHER = "https://other.example"
Options = Mapping[str, Any]


class Failure(Exception):
    pass


def requests_for(*paths: str, methods: tuple[str, ...] = ("GET", "POST")) -> list[Req]:
    """Each path and method from each origin and none, plus a preflight from each origin."""
    found = []
    for path in paths:
        for method in methods:
            for origin in (A, ADMIN, OTHER, None):
                found.append(Req(method, path, {"Origin": origin} if origin else {}))
        for origin in (A, ADMIN, OTHER):
            found.append(post_preflight(path, origin))
    return found


PATHS = (
    "/admin/users",
    "/admin/users/7",
    "/admin/raise",
    "/admin/abort",
    "/admin/handled",
    "/admin/missing",
    "/api/orders",
    "/api/missing",
)


@dataclass(frozen=True)
class Shape:
    """One app shape: the options of `CORS(app)` (None: no app-wide policy), of `CORS(bp)`, and
    whether the blueprint's users view is decorated with `cross_origin(**decorated)`."""

    id: str
    app: Options | None
    blueprint: Options
    decorated: Options | None = None
    handlers: bool = False  # the app registers a handler (a 409) for `handled`
    handled: Any = Failure  # what the handler is registered for: Failure, Exception or 500


# --- the reference: a Flask app with a blueprint registered under /admin ---------------------------


def flask_app(shape: Shape) -> flask.Flask:
    app = flask.Flask("blueprints")
    admin = flask.Blueprint("admin", __name__, url_prefix="/admin")

    def users() -> Any:
        return {"users": []}

    view = flask_cors.cross_origin(**shape.decorated)(users) if shape.decorated is not None else users
    admin.add_url_rule("/users", "users", view, methods=["GET"])

    @admin.get("/users/<int:user_id>")
    def user(user_id: int) -> Any:
        return {"id": user_id}

    @admin.get("/raise")
    def raise_failure() -> str:
        raise RuntimeError("boom")

    @admin.get("/abort")
    def abort() -> str:
        flask.abort(418)

    @admin.get("/handled")
    def handled() -> str:
        raise Failure("handled")

    @app.route("/api/orders", methods=["GET", "POST"])
    def orders() -> Any:
        return {"orders": []}

    if shape.handlers:
        app.register_error_handler(shape.handled, lambda error: ({"handled": True}, 409))
    flask_cors.CORS(admin, **shape.blueprint)
    app.register_blueprint(admin)
    if shape.app is not None:
        flask_cors.CORS(app, **shape.app)
    return app


# --- the port: Starlette, the blueprint's routes mounted under /admin ------------------------------


async def users(request: Request) -> Response:
    return JSONResponse({"users": []})


async def user(request: Request) -> Response:
    return JSONResponse({"id": request.path_params["user_id"]})


async def raise_failure(request: Request) -> Response:
    raise RuntimeError("boom")


async def abort(request: Request) -> Response:
    raise HTTPException(418)


async def handled(request: Request) -> Response:
    raise Failure("handled")


async def orders(request: Request) -> Response:
    return JSONResponse({"orders": []})


async def conflict(request: Request, exc: Exception) -> Response:
    return JSONResponse({"handled": True}, status_code=409)


def starlette_app(shape: Shape) -> Starlette:
    view = cross_origin(**shape.decorated)(users) if shape.decorated is not None else users
    admin = cors_blueprint(
        [
            Route("/users", view, methods=["GET"]),
            Route("/users/{user_id:int}", user),
            Route("/raise", raise_failure),
            Route("/abort", abort),
            Route("/handled", handled),
        ],
        **shape.blueprint,
    )
    app = Starlette(
        routes=[Mount("/admin", routes=admin), Route("/api/orders", orders, methods=["GET", "POST"])],
        # No app-wide policy: the middleware is still needed for Flask's automatic OPTIONS answer.
        middleware=[
            Middleware(CORSMiddleware, **(shape.app if shape.app is not None else {"resources": []}))
        ],
        exception_handlers={shape.handled: conflict} if shape.handlers else {},
    )
    app.router.redirect_slashes = False
    return app


SHAPES = [
    Shape("blueprint only", None, {"origins": [ADMIN]}),
    Shape("blueprint with defaults", None, {}),
    Shape("app-wide policy and blueprint", {"origins": [A]}, {"origins": [ADMIN], "max_age": 60}),
    Shape(
        "app resources and blueprint",
        {"resources": {r"/api/*": {"origins": [A]}}},
        {"origins": [ADMIN], "supports_credentials": True},
    ),
    # Both allow ADMIN with different options: which policy answers shows in the headers.
    Shape(
        "overlapping policies",
        {"origins": [A, ADMIN], "expose_headers": ["X-App"]},
        {"origins": [ADMIN], "expose_headers": ["X-Blueprint"], "max_age": 60},
        handlers=True,
    ),
    Shape(
        "resources inside the blueprint",
        {"origins": [A]},
        {"resources": {r"/admin/users*": {"origins": [ADMIN]}, r"/admin/raise": {"origins": [OTHER]}}},
    ),
    Shape(
        "decorated route in a blueprint",
        {"origins": [A]},
        {"origins": [ADMIN]},
        decorated={"origins": [OTHER], "methods": ["GET", "POST"]},
    ),
    Shape(
        "handled errors", {"origins": [A]}, {"origins": [A, ADMIN], "expose_headers": ["X-B"]}, handlers=True
    ),
]


@pytest.mark.parametrize("shape", SHAPES, ids=[s.id for s in SHAPES])
def test_same_answers_as_flask(shape: Shape) -> None:
    assert differences(flask_app(shape), starlette_app(shape), requests_for(*PATHS)) == []


@pytest.mark.parametrize("shape", SHAPES, ids=[s.id for s in SHAPES])
def test_the_shape_exercises_cors_headers(shape: Shape) -> None:
    # A shape whose answers all lack CORS headers would compare equal for nothing.
    reference = flask_app(shape)
    answers = [send_flask(reference, r) for r in requests_for("/admin/users", "/admin/missing")]
    assert any(answer.header("access-control-allow-origin") for answer in answers)
    assert any(not answer.header("access-control-allow-origin") for answer in answers)


# Both policies allow ADMIN with different options, so which one answers shows.
OVERLAPPING: tuple[Options, Options] = (
    {"origins": [A, ADMIN], "expose_headers": ["X-App"]},
    {"origins": [ADMIN], "expose_headers": ["X-Blueprint"]},
)


@pytest.mark.parametrize("handled", [Exception, 500, Failure, RuntimeError])
def test_handlers_for_unhandled_errors_as_flask(handled: Any) -> None:
    # Flask answers an exception with an errorhandler(Exception) (or its class) through
    # handle_user_exception, which CORS(app) wraps: the app's policy first. errorhandler(500) is
    # handle_exception's, whose answer goes through the after_request hooks: the blueprint's first.
    # (Starlette keeps Exception and 500 handlers both in ServerErrorMiddleware.) Flask's
    # errorhandler(Exception) also answers HTTP errors, which Starlette's does not: only the
    # raising route is asked.
    shape = Shape("handler", *OVERLAPPING, handlers=True, handled=handled)
    requests = [r for r in requests_for("/admin/raise", "/admin/handled") if r.method == "GET"]
    assert differences(flask_app(shape), starlette_app(shape), requests) == []


def test_no_headers_on_the_blueprints_404_and_405() -> None:
    # Flask-CORS's hook on a blueprint runs only for requests a blueprint rule matched.
    shape = SHAPES[0]
    port = starlette_app(shape)
    missing = send_asgi_sync(port, Req("GET", "/admin/missing", {"Origin": ADMIN}))
    not_allowed = send_asgi_sync(port, Req("DELETE", "/admin/users", {"Origin": ADMIN}))
    answered = send_asgi_sync(port, Req("GET", "/admin/users", {"Origin": ADMIN}))
    assert (missing.status, missing.header("access-control-allow-origin")) == (404, [])
    assert (not_allowed.status, not_allowed.header("access-control-allow-origin")) == (405, [])
    assert (answered.status, answered.header("access-control-allow-origin")) == (200, [ADMIN])


# --- nested blueprints: /v1 holds /v1/admin, each with its own policy --------------------------------


def flask_nested() -> flask.Flask:
    app = flask.Flask("nested")
    v1 = flask.Blueprint("v1", __name__, url_prefix="/v1")
    admin = flask.Blueprint("admin", __name__, url_prefix="/admin")

    @v1.get("/status")
    def status() -> Any:
        return {"ok": True}

    @admin.get("/users")
    def nested_users() -> Any:
        return {"users": []}

    @admin.get("/raise")
    def nested_raise() -> str:
        raise RuntimeError("boom")

    flask_cors.CORS(admin, origins=[ADMIN], expose_headers=["X-Admin"])
    flask_cors.CORS(v1, origins=[A, ADMIN], expose_headers=["X-V1"])
    v1.register_blueprint(admin)
    app.register_blueprint(v1)
    flask_cors.CORS(app, origins=[OTHER])
    return app


async def status(request: Request) -> Response:
    return JSONResponse({"ok": True})


def starlette_nested() -> Starlette:
    admin = cors_blueprint(
        [Route("/users", users), Route("/raise", raise_failure)], origins=[ADMIN], expose_headers=["X-Admin"]
    )
    v1 = cors_blueprint(
        [Route("/status", status), Mount("/admin", routes=admin)], origins=[A, ADMIN], expose_headers=["X-V1"]
    )
    return Starlette(
        routes=[Mount("/v1", routes=v1)], middleware=[Middleware(CORSMiddleware, origins=[OTHER])]
    )


def test_nested_blueprints_same_answers_as_flask() -> None:
    paths = ("/v1/status", "/v1/admin/users", "/v1/admin/raise", "/v1/admin/missing", "/v1/missing")
    assert differences(flask_nested(), starlette_nested(), requests_for(*paths)) == []


# --- an app factory: CORS() created once, init_app on the app and on the blueprint -------------------

cors = flask_cors.CORS()
blueprint_cors = flask_cors.CORS(origins=[ADMIN])


def create_flask_app() -> flask.Flask:
    app = flask.Flask("factory")
    admin = flask.Blueprint("admin", __name__, url_prefix="/admin")

    @admin.get("/users/<int:user_id>")
    def factory_user(user_id: int) -> Any:
        return {"id": user_id}

    @app.get("/api/orders")
    def factory_orders() -> Any:
        return {"orders": []}

    blueprint_cors.init_app(admin, max_age=30)
    app.register_blueprint(admin)
    cors.init_app(app, resources={r"/api/*": {"origins": [A]}})
    return app


def create_starlette_app() -> Starlette:
    admin = cors_blueprint([Route("/users/{user_id:int}", user)], origins=[ADMIN], max_age=30)
    return Starlette(
        routes=[Mount("/admin", routes=admin), Route("/api/orders", orders)],
        middleware=[Middleware(CORSMiddleware, resources={r"/api/*": {"origins": [A]}})],
    )


def test_app_factory_with_init_app_same_answers_as_flask() -> None:
    paths = ("/admin/users/3", "/admin/users/x", "/api/orders", "/admin/missing")
    assert differences(create_flask_app(), create_starlette_app(), requests_for(*paths)) == []


def test_cors_blueprint_refuses_what_cors_middleware_refuses() -> None:
    with pytest.raises(TypeError, match="cors_blueprint\\(\\): unknown CORS option 'origin'"):
        cors_blueprint([Route("/users", users)], origin=[ADMIN])  # type: ignore[call-arg]


# --- Flask-CORS's own blueprint example (examples/blueprints_based_example.py) ---------------------
# Its three documented exchanges (GET /api/v1/users/, the preflight and the POST of
# /api/v1/users/create) and its public blueprint without CORS, ported route for route.


def flask_cors_example() -> flask.Flask:
    api_v1 = flask.Blueprint("API_v1", __name__)
    flask_cors.CORS(api_v1)

    @api_v1.route("/api/v1/users/")
    def list_users() -> Any:
        return flask.jsonify(user="joe")

    @api_v1.route("/api/v1/users/create", methods=["POST"])
    def create_user() -> Any:
        return flask.jsonify(success=True)

    public_routes = flask.Blueprint("public", __name__)

    @public_routes.route("/")
    def hello_world() -> str:
        return "<h1>Hello CORS!</h1>"

    app = flask.Flask("FlaskCorsBlueprintBasedExample")
    app.register_blueprint(api_v1)
    app.register_blueprint(public_routes)
    return app


async def list_users(request: Request) -> Response:
    return JSONResponse({"user": "joe"})


async def create_user(request: Request) -> Response:
    return JSONResponse({"success": True})


async def hello_world(request: Request) -> Response:
    return Response("<h1>Hello CORS!</h1>", media_type="text/html")


def ported_example() -> Starlette:
    api_v1 = cors_blueprint(
        [Route("/api/v1/users/", list_users), Route("/api/v1/users/create", create_user, methods=["POST"])]
    )
    app = Starlette(
        routes=[*api_v1, Route("/", hello_world)], middleware=[Middleware(CORSMiddleware, resources=[])]
    )
    app.router.redirect_slashes = False
    return app


EXAMPLE_ORIGIN = "http://www.examplesite.com"


def test_flask_cors_blueprint_example_list_users() -> None:
    request = Req("GET", "/api/v1/users/", {"Origin": EXAMPLE_ORIGIN})
    reference, port = send_flask(flask_cors_example(), request), send_asgi_sync(ported_example(), request)
    assert reference.header("access-control-allow-origin") == [EXAMPLE_ORIGIN]
    assert compare(reference, port) == []


def test_flask_cors_blueprint_example_preflight_of_create() -> None:
    request = Req(
        "OPTIONS",
        "/api/v1/users/create",
        {
            "Origin": EXAMPLE_ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "Content-Type",
        },
    )
    reference, port = send_flask(flask_cors_example(), request), send_asgi_sync(ported_example(), request)
    assert (reference.status, reference.allow) == (200, {"POST", "OPTIONS"})
    assert reference.header("access-control-allow-headers") == ["Content-Type"]
    assert compare(reference, port, automatic_options=True) == []


def test_flask_cors_blueprint_example_create() -> None:
    request = Req(
        "POST", "/api/v1/users/create", {"Origin": EXAMPLE_ORIGIN, "Content-Type": "application/json"}
    )
    reference, port = send_flask(flask_cors_example(), request), send_asgi_sync(ported_example(), request)
    assert reference.header("access-control-allow-origin") == [EXAMPLE_ORIGIN]
    assert compare(reference, port) == []


def test_flask_cors_blueprint_example_public_route_has_no_cors() -> None:
    request = Req("GET", "/", {"Origin": EXAMPLE_ORIGIN})
    reference, port = send_flask(flask_cors_example(), request), send_asgi_sync(ported_example(), request)
    assert reference.header("access-control-allow-origin") == []
    assert compare(reference, port) == []


def test_cors_blueprint_refuses_fastapi_routes_it_cannot_wrap() -> None:
    # FastAPI serves an included router's routes through apps it builds itself: a wrapped route's
    # policy would be silently skipped, so it is refused when the blueprint is built.
    router = APIRouter()

    @router.get("/users")
    def list_router_users() -> list[Any]:
        return []

    with pytest.raises(TypeError, match="cors_blueprint\\(\\) takes Starlette routes; APIRoute"):
        cors_blueprint(router.routes, origins=[ADMIN])


# --- drawn shapes: app policy, blueprint policy, decorator and handlers in every combination ---------

# CORS_DIFF_EXAMPLES (tests/engine/test_cors_differential.py) scales this hunt too.
BLUEPRINT_EXAMPLES = max(150, int(os.environ.get("CORS_DIFF_EXAMPLES", "1000")) // 6)
origin_lists = st.lists(
    st.sampled_from([A, ADMIN, OTHER, "*", r"https://.*\.example"]), min_size=1, max_size=2
)
policy_options = st.fixed_dictionaries(
    {},
    optional={
        "origins": origin_lists,
        "expose_headers": st.sampled_from([["X-App"], ["X-Blueprint"], "X-One"]),
        "supports_credentials": st.booleans(),
        "max_age": st.sampled_from([60, 0, "120"]),
        "methods": st.sampled_from([["GET", "POST"], ["PUT"]]),
        "vary_header": st.booleans(),
    },
)
blueprint_options = st.one_of(
    policy_options,
    policy_options.map(
        lambda own: {"resources": {r"/admin/users*": own, r"/admin/r.*": {"origins": [OTHER]}}}
    ),
)
drawn_requests = st.lists(
    st.builds(
        lambda path, method, origin, preflight: Req(
            "OPTIONS" if preflight else method,
            path,
            {
                **({"Origin": origin} if origin else {}),
                **({"Access-Control-Request-Method": method} if preflight else {}),
            },
        ),
        st.sampled_from(PATHS),
        st.sampled_from(["GET", "POST", "PUT"]),
        st.sampled_from([A, ADMIN, OTHER, None]),
        st.booleans(),
    ),
    min_size=1,
    max_size=6,
)


@settings(max_examples=BLUEPRINT_EXAMPLES, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    app_options=st.one_of(st.none(), policy_options),
    bp_options=blueprint_options,
    decorated=st.one_of(st.none(), policy_options),
    handlers=st.booleans(),
    # Not Exception: Flask's errorhandler(Exception) also answers 404s and 405s, Starlette's does not.
    handled=st.sampled_from([Failure, 500]),
    requests=drawn_requests,
)
def test_drawn_blueprint_shapes_answer_as_flask(
    app_options: Options | None,
    bp_options: Options,
    decorated: Options | None,
    handlers: bool,
    handled: Any,
    requests: list[Req],
) -> None:
    shape = Shape("drawn", app_options, bp_options, decorated, handlers, handled)
    assert differences(flask_app(shape), starlette_app(shape), requests) == []


# --- a class-based view in a blueprint ---------------------------------------------------------------


class FlaskItems(MethodView):
    def get(self) -> Any:
        return {"items": []}

    def post(self) -> Any:
        return {"created": True}, 201


class StarletteItems(HTTPEndpoint):
    async def get(self, request: Request) -> Response:
        return JSONResponse({"items": []})

    async def post(self, request: Request) -> Response:
        return JSONResponse({"created": True}, status_code=201)


def test_method_view_in_a_blueprint_same_answers_as_flask() -> None:
    # A method the view does not define is a routing 405 in Flask (no blueprint); an HTTPEndpoint
    # answers it with its own 405, which the blueprint's policy must skip too.
    reference = flask.Flask("views")
    admin = flask.Blueprint("admin", __name__, url_prefix="/admin")
    admin.add_url_rule("/items", view_func=FlaskItems.as_view("items"))
    flask_cors.CORS(admin, origins=[ADMIN])
    reference.register_blueprint(admin)
    flask_cors.CORS(reference, origins=[A])

    port = Starlette(
        routes=[Mount("/admin", routes=cors_blueprint([Route("/items", StarletteItems)], origins=[ADMIN]))],
        middleware=[Middleware(CORSMiddleware, origins=[A])],
    )
    requests = requests_for("/admin/items", methods=("GET", "POST", "DELETE", "PUT"))
    assert differences(reference, port, requests) == []

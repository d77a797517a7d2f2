"""The app's `CORS_*` configuration given once (`CORSMiddleware(config=...)`), read as Flask-CORS
reads `app.config`: by `CORS(app)` under its arguments, and by `@cross_origin()` under its own, with
Flask-CORS's precedence (defaults < app config < arguments < resource options), proven against the
real Flask + Flask-CORS 6.0.5. `resolve_options` is that layering, checked against Flask-CORS's own
`merge_options`."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import timedelta
from typing import Any

import flask
import flask_cors
import flask_cors.core
import pytest
from fastapi import FastAPI
from hypothesis import given, settings
from hypothesis import strategies as st
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from flask_cors_asgi import CONFIG_KEYS, CORSMiddleware, audit, cors_blueprint, cross_origin, resolve_options
from testing_support import Req, differences, send_asgi_sync, send_flask

A = "https://a.example"
B = "https://b.example"
C = "https://c.example"

CONFIG = {
    "CORS_ORIGINS": [A, C],
    "CORS_SUPPORTS_CREDENTIALS": True,
    "CORS_MAX_AGE": 120,
    "CORS_EXPOSE_HEADERS": ["X-Total"],
    "SECRET_KEY": "not a CORS key",  # the rest of an app's config, ignored
    "CORS_METHODS": None,  # None is unset, as in Flask-CORS: the default methods apply
}


@pytest.mark.parametrize(
    ("config", "arguments"),
    [
        (CONFIG, {}),
        (CONFIG, {"origins": [B], "max_age": 5}),
        (
            {"CORS_RESOURCES": {r"/api/*": {"origins": [B]}}, "CORS_SEND_WILDCARD": True},
            {"vary_header": False},
        ),
        ({}, {"allow_headers": ["X-A"]}),
        ({"CORS_MAX_AGE": timedelta(seconds=30), "CORS_ALWAYS_SEND": False}, {"always_send": True}),
    ],
)
def test_resolve_options_layers_as_flask_cors_merge_options(
    config: dict[str, Any], arguments: dict[str, Any]
) -> None:
    app = flask.Flask("config")
    app.config.update(config)
    ours = resolve_options(arguments, config=app.config)
    theirs = flask_cors.core.merge_options(app, arguments)
    # Our default methods are a tuple (immutable), theirs a list: the same items.
    assert {**ours, "methods": list(ours["methods"])} == theirs


def test_resolve_options_puts_a_resources_own_options_last() -> None:
    merged = resolve_options({"origins": [B], "max_age": 5}, config=CONFIG, resource={"origins": [A]})
    assert (merged["origins"], merged["max_age"], merged["supports_credentials"]) == ([A], 5, True)


def test_resolve_options_without_defaults_keeps_only_what_was_written() -> None:
    assert resolve_options({"max_age": 5}, config={"CORS_ORIGINS": [A]}, defaults=False) == {
        "origins": [A],
        "max_age": 5,
    }


def test_config_keys_are_flask_cors_config_options() -> None:
    assert set(CONFIG_KEYS) == set(flask_cors.core.CONFIG_OPTIONS)
    assert all(key == f"CORS_{name.upper()}" for key, name in CONFIG_KEYS.items())


# --- side by side ------------------------------------------------------------------------------------


def requests_for(*paths: str) -> list[Req]:
    found = []
    for path in paths:
        for origin in (A, B, C, None):
            found.append(Req("GET", path, {"Origin": origin} if origin else {}))
        for origin in (A, B, C):
            found.append(Req("OPTIONS", path, {"Origin": origin, "Access-Control-Request-Method": "POST"}))
    return found


PATHS = ("/api/plain", "/api/bare", "/api/partner", "/api/missing", "/other")


def flask_app(config: Mapping[str, Any], cors: Mapping[str, Any] | None) -> flask.Flask:
    """Views decorated with `@cross_origin()` and `@cross_origin(origins=[B])`, one plain, under
    `app.config`; `CORS(app, **cors)` unless `cors` is None."""
    app = flask.Flask("config")
    app.config.update(config)

    @app.get("/api/plain")
    def plain() -> Any:
        return {"plain": True}

    @app.route("/api/bare", methods=["GET", "POST"])
    @flask_cors.cross_origin()
    def bare() -> Any:
        return {"bare": True}

    @app.route("/api/partner", methods=["GET", "POST"])
    @flask_cors.cross_origin(origins=[B], max_age=10)
    def partner() -> Any:
        return {"partner": True}

    @app.get("/other")
    def other() -> Any:
        return {"other": True}

    if cors is not None:
        flask_cors.CORS(app, **cors)
    return app


async def plain(request: Request) -> Response:
    return JSONResponse({"plain": True})


@cross_origin()
async def bare(request: Request) -> Response:
    return JSONResponse({"bare": True})


@cross_origin(origins=[B], max_age=10)
async def partner(request: Request) -> Response:
    return JSONResponse({"partner": True})


async def other(request: Request) -> Response:
    return JSONResponse({"other": True})


def starlette_app(config: Mapping[str, Any], cors: Mapping[str, Any] | None) -> Starlette:
    # A decorator-only app still needs the middleware, for Flask's automatic OPTIONS: no resources.
    options = dict(cors) if cors is not None else {"resources": []}
    return Starlette(
        routes=[
            Route("/api/plain", plain),
            Route("/api/bare", bare, methods=["GET", "POST"]),
            Route("/api/partner", partner, methods=["GET", "POST"]),
            Route("/other", other),
        ],
        middleware=[Middleware(CORSMiddleware, config=config, **options)],
    )


SHAPES = {
    "decorators only under app.config": (CONFIG, None),
    "CORS(app) under app.config": (CONFIG, {}),
    "arguments over app.config": (CONFIG, {"origins": [B, C], "max_age": 30}),
    "resource options over arguments over app.config": (
        CONFIG,
        {"resources": {r"/api/*": {"origins": [B], "supports_credentials": False}}, "max_age": 30},
    ),
    "resources from app.config": ({**CONFIG, "CORS_RESOURCES": [r"/api/*"]}, {}),
    # The decorator still takes over its routes' OPTIONS (decided by its own arguments): the config
    # only makes it call the view instead of Flask's default answer, with the route's headers.
    "CORS_AUTOMATIC_OPTIONS off in app.config": ({**CONFIG, "CORS_AUTOMATIC_OPTIONS": False}, None),
    "CORS_AUTOMATIC_OPTIONS off, CORS(app)": ({**CONFIG, "CORS_AUTOMATIC_OPTIONS": False}, {"max_age": 5}),
}


@pytest.mark.parametrize("shape", list(SHAPES))
def test_same_answers_as_flask(shape: str) -> None:
    config, cors = SHAPES[shape]
    assert differences(flask_app(config, cors), starlette_app(config, cors), requests_for(*PATHS)) == []


def test_a_bare_cross_origin_reads_the_apps_origins_not_every_origin() -> None:
    # The report: every view decorated with @cross_origin(), origins in app.config.
    port = starlette_app(CONFIG, None)
    allowed = send_asgi_sync(port, Req("GET", "/api/bare", {"Origin": A}))
    refused = send_asgi_sync(port, Req("GET", "/api/bare", {"Origin": B}))
    assert allowed.header("access-control-allow-origin") == [A]
    assert allowed.header("access-control-allow-credentials") == ["true"]
    assert refused.header("access-control-allow-origin") == []


def flask_factory(config: Mapping[str, Any]) -> flask.Flask:
    cors = flask_cors.CORS()
    app = flask_app(config, None)
    cors.init_app(app, resources={r"/api/*": {}})
    return app


def starlette_factory(config: Mapping[str, Any]) -> Starlette:
    return starlette_app(config, {"resources": {r"/api/*": {}}})


def test_app_factory_with_init_app_under_app_config() -> None:
    assert differences(flask_factory(CONFIG), starlette_factory(CONFIG), requests_for(*PATHS)) == []


def test_difference_an_unknown_cors_config_key_is_refused() -> None:
    # Flask-CORS ignores CORS_HEADERS (not one of its keys), so allow_headers stays "*"; here it is
    # a TypeError naming the closest key, as an unknown option name is.
    app = flask.Flask("typo")
    app.config["CORS_HEADERS"] = "Content-Type"
    assert flask_cors.core.merge_options(app, {})["allow_headers"] == "*"
    with pytest.raises(
        TypeError, match="unknown CORS option 'CORS_HEADERS'; did you mean 'CORS_ALLOW_HEADERS'"
    ):
        CORSMiddleware(Starlette(), config={"CORS_HEADERS": "Content-Type"})


def test_audit_reads_the_app_config_under_the_options() -> None:
    assert [p.id for p in audit(config={"CORS_ORIGINS": "*", "CORS_SUPPORTS_CREDENTIALS": True})] == [
        "E005",
        "E008",
    ]
    assert audit(config={"CORS_ORIGINS": "*"}, origins=[A]) == []
    assert [p.id for p in audit(config={"CORS_HEADERS": "x"})] == ["E011"]


def fastapi_app(config: Mapping[str, Any]) -> FastAPI:
    app = FastAPI()

    @app.get("/api/bare")
    @app.post("/api/bare")
    @cross_origin()
    async def fastapi_bare() -> dict[str, bool]:
        return {"bare": True}

    @app.get("/api/partner")
    @app.post("/api/partner")
    @cross_origin(origins=[B], max_age=10)
    def fastapi_partner() -> dict[str, bool]:
        return {"partner": True}

    app.add_middleware(CORSMiddleware, config=config, resources=[])
    return app


def test_fastapi_path_operations_read_the_app_config() -> None:
    requests = requests_for("/api/bare", "/api/partner", "/api/missing")
    # FastAPI's GET routes do not answer HEAD, so its Allow truthfully lacks it (test_cors_apps.py).
    assert differences(flask_app(CONFIG, None), fastapi_app(CONFIG), requests, compare_allow=False) == []


def test_a_blueprint_reads_no_app_config() -> None:
    # Flask-CORS reads `config` from the object it is given: a blueprint has none, so CORS(bp)
    # without arguments allows every origin even where app.config lists some.
    reference = flask.Flask("blueprint_config")
    reference.config.update(CONFIG)
    admin = flask.Blueprint("admin", __name__, url_prefix="/admin")
    admin.add_url_rule("/users", "users", lambda: {"users": []})
    flask_cors.CORS(admin)
    reference.register_blueprint(admin)

    port = Starlette(
        routes=[Mount("/admin", routes=cors_blueprint([Route("/users", plain)]))],
        middleware=[Middleware(CORSMiddleware, config=CONFIG, resources=[])],
    )
    requests = requests_for("/admin/users", "/admin/missing")
    assert differences(reference, port, requests) == []
    assert send_flask(reference, Req("GET", "/admin/users", {"Origin": B})).header(
        "access-control-allow-origin"
    ) == [B]


values = st.one_of(st.none(), st.booleans(), st.sampled_from([A, [A, B], "*", 30, "GET", {r"/api/*": {}}]))
config_layers = st.dictionaries(st.sampled_from([*CONFIG_KEYS, "SECRET_KEY", "DEBUG"]), values, max_size=6)
argument_layers = st.dictionaries(st.sampled_from(list(CONFIG_KEYS.values())), values, max_size=4)


@settings(max_examples=300, deadline=None)
@given(config=config_layers, arguments=argument_layers)
def test_drawn_layers_resolve_as_flask_cors_merge_options(
    config: dict[str, Any], arguments: dict[str, Any]
) -> None:
    app = flask.Flask("drawn")
    app.config.update(config)
    ours = resolve_options(arguments, config=app.config)
    theirs = flask_cors.core.merge_options(app, arguments)
    if isinstance(ours["methods"], tuple):
        ours["methods"] = list(ours["methods"])  # our immutable default, their list: the same items
    assert ours == theirs


drawn_origins = st.lists(st.sampled_from([A, B, C, "*", r"https://[ab]\.example"]), min_size=1, max_size=2)
drawn_config = st.fixed_dictionaries(
    {},
    optional={
        "CORS_ORIGINS": drawn_origins,
        "CORS_SUPPORTS_CREDENTIALS": st.booleans(),
        "CORS_MAX_AGE": st.sampled_from([None, 60, "10"]),
        "CORS_EXPOSE_HEADERS": st.sampled_from([["X-Total"], "X-One"]),
        "CORS_AUTOMATIC_OPTIONS": st.booleans(),
        "CORS_VARY_HEADER": st.booleans(),
        "CORS_RESOURCES": st.sampled_from(
            [r"/api/*", [r"/api/p.*", "/other"], {r"/api/*": {"origins": [C]}}]
        ),
    },
)
drawn_arguments = st.one_of(
    st.none(),
    st.fixed_dictionaries({}, optional={"origins": drawn_origins, "max_age": st.sampled_from([5, None])}),
)


@settings(max_examples=150, deadline=None)
@given(
    config=drawn_config, cors=drawn_arguments, paths=st.lists(st.sampled_from(PATHS), min_size=1, max_size=2)
)
def test_drawn_app_configs_answer_as_flask(
    config: dict[str, Any], cors: dict[str, Any] | None, paths: list[str]
) -> None:
    assert differences(flask_app(config, cors), starlette_app(config, cors), requests_for(*paths)) == []

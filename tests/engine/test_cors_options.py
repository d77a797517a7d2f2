"""Option names, defaults and refusals: the same as Flask-CORS 6.0.5's, plus the deliberate ones."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import flask
import flask_cors
import flask_cors.core
import pytest
from starlette.responses import PlainTextResponse

from flask_cors_asgi import CORSMiddleware, cross_origin
from flask_cors_asgi.options import DEFAULTS, ROUTE_OPTION_NAMES, CORSOptions, RouteOptions
from testing_support import Req, RouteSpec, flask_app, send_flask


async def noop_app(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("not called")


async def endpoint(request: Any) -> PlainTextResponse:
    return PlainTextResponse("ok")


def test_option_names_and_defaults_are_flask_cors_own() -> None:
    theirs = dict(flask_cors.core.DEFAULT_OPTIONS)
    assert set(DEFAULTS) == set(theirs)
    assert {name: DEFAULTS[name] for name in theirs} == {
        name: tuple(value) if isinstance(value, list) else value for name, value in theirs.items()
    }


def test_typed_option_names_match_flask_cors_input_types() -> None:
    assert set(CORSOptions.__optional_keys__) == set(flask_cors.core.CorsOptionsInput.__optional_keys__)
    assert set(RouteOptions.__optional_keys__) == set(
        flask_cors.core.CrossOriginOptionsInput.__optional_keys__
    )
    assert set(RouteOptions.__optional_keys__) == ROUTE_OPTION_NAMES


def test_every_option_has_flask_cors_config_key() -> None:
    assert {f"CORS_{name.upper()}" for name in DEFAULTS} == set(flask_cors.core.CONFIG_OPTIONS)


REFUSED_BY_BOTH = [
    pytest.param({"origins": "("}, id="invalid origin regex"),
    pytest.param({"origins": ["http://a.com", "*.example.com"]}, id="glob origin is an invalid regex"),
    pytest.param({"allow_headers": "X-("}, id="invalid header regex"),
    pytest.param({"resources": {"/api/(": {}}}, id="invalid resource regex"),
    pytest.param({"resources": "/api/("}, id="invalid resource string"),
    pytest.param({"supports_credentials": True, "send_wildcard": True}, id="credentials with sent wildcard"),
    pytest.param(
        {"origins": ["*", "http://a.com"], "supports_credentials": True, "send_wildcard": True},
        id="* in list",
    ),
    pytest.param(
        {
            "supports_credentials": True,
            "send_wildcard": True,
            "resources": {"/x": {"origins": "http://a.com"}},
        },
        id="app-level options checked even when resources override them",
    ),
    pytest.param(
        {"resources": {"/x": {"supports_credentials": True, "send_wildcard": True}}}, id="per resource"
    ),
    pytest.param({"resources": 5}, id="resources of the wrong type"),
    pytest.param({"resources": None}, id="resources None"),
]


@pytest.mark.parametrize("options", REFUSED_BY_BOTH)
def test_refused_by_flask_cors_and_by_the_middleware(options: dict[str, Any]) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 (Flask-CORS's messages vary; the type is the contract)
        flask_cors.CORS(flask.Flask("reference"), **options)
    with pytest.raises(ValueError):  # noqa: PT011
        CORSMiddleware(noop_app, **options)


def test_flask_cors_message_for_credentials_with_wildcard_is_kept() -> None:
    with pytest.raises(ValueError, match="Cannot use supports_credentials in conjunction withan origin"):
        CORSMiddleware(noop_app, supports_credentials=True, send_wildcard=True)


def test_invalid_regex_names_the_pattern() -> None:
    with pytest.raises(ValueError, match=r"Invalid regular expression .*'\*\.example\.com'"):
        CORSMiddleware(noop_app, origins="*.example.com")


@pytest.mark.parametrize(
    ("typo", "hint"),
    [
        ("origin", "origins"),  # the seed article's typo
        ("support_credentials", "supports_credentials"),  # Flask-CORS issue #197
        ("max_ages", "max_age"),
        ("expose_header", "expose_headers"),
    ],
)
def test_unknown_option_is_a_type_error_naming_the_closest_option(typo: str, hint: str) -> None:
    # Flask-CORS only logs "Unknown option passed to Flask-CORS" on a NullHandler and carries on.
    flask_cors.CORS(flask.Flask("reference"), **{typo: "x"})
    with pytest.raises(TypeError, match=rf"unknown CORS option '{typo}'; did you mean '{hint}'\?"):
        CORSMiddleware(noop_app, **{typo: "x"})
    with pytest.raises(TypeError, match=rf"'{typo}'; did you mean '{hint}'\?"):
        cross_origin(**{typo: "x"})


def test_unknown_option_inside_a_resource_names_the_resource() -> None:
    with pytest.raises(TypeError, match=r"resource '/api/\*': unknown CORS option 'origin'"):
        CORSMiddleware(noop_app, resources={"/api/*": {"origin": "http://a.com"}})


def test_unknown_option_without_a_close_name_lists_the_valid_ones() -> None:
    with pytest.raises(TypeError, match="valid options: allow_headers, allow_private_network"):
        CORSMiddleware(noop_app, zzz=1)


def test_decorator_only_options_are_refused_by_the_decorator() -> None:
    # `resources` and `intercept_exceptions` mean nothing on a single route; Flask-CORS logs them as
    # unknown there, so refusing them is the same improvement.
    with pytest.raises(TypeError, match="'resources'"):
        cross_origin(resources="/x")


def test_positional_decorator_argument_is_refused() -> None:
    # Flask-CORS drops it silently: @cross_origin("http://a.com") allows every origin.
    reference = flask_app(None, (RouteSpec("/x", ("GET",), decorator={}),))
    flask_cross = flask_cors.cross_origin("http://a.com")(lambda: "ok")
    reference.view_functions["view0"] = flask_cross
    seen = send_flask(reference, Req("GET", "/x", {"Origin": "https://evil.example"}))
    assert seen.header("access-control-allow-origin") == ["https://evil.example"]
    with pytest.raises(TypeError, match=r"did you mean origins='http://a.com'\?"):
        cross_origin("http://a.com")


def test_decorator_refuses_bad_options_when_decorating() -> None:
    # Flask-CORS raises only when the route is hit, answering 500 on every request.
    reference = flask_app(None, (RouteSpec("/x", ("GET",), decorator={"origins": "("}),))
    assert send_flask(reference, Req("GET", "/x")).status == 500
    with pytest.raises(ValueError, match="Invalid regular expression"):
        cross_origin(origins="(")


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"supports_credentials": "false"}, "'supports_credentials': expected True or False"),
        ({"send_wildcard": 1}, "'send_wildcard': expected True or False"),
        ({"origins": ["http://a.com", 5]}, "'origins': expected str or Pattern items"),
        ({"origins": None}, "'origins': expected str or Pattern items"),
        ({"allow_headers": [b"X-A"]}, "'allow_headers': expected str or Pattern items"),
        ({"methods": [1, 2]}, "'methods': expected str items"),
        ({"expose_headers": [re.compile("X")]}, "'expose_headers': expected str items"),
        ({"max_age": True}, "'max_age': expected timedelta, int, float, str or None"),
        ({"max_age": [600]}, "'max_age': expected timedelta, int, float, str or None"),
    ],
)
def test_values_of_the_wrong_type_are_type_errors(options: dict[str, Any], message: str) -> None:
    # Deliberate: Flask-CORS bool()s and str()s whatever it gets ("false" turns credentials on).
    flask_cors.CORS(flask.Flask("reference"), **{k: v for k, v in options.items() if k != "origins"})
    with pytest.raises(TypeError, match=re.escape(message)):
        CORSMiddleware(noop_app, **options)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"origins": ["", "http://a.com"]}, "the empty string is not an origin"),
        ({"expose_headers": "X-A\r\nSet-Cookie: a=b"}, "cannot contain CR, LF or NUL"),
        ({"methods": "GET\n"}, "cannot contain CR, LF or NUL"),
        ({"max_age": "600\r\n"}, "cannot contain CR, LF or NUL"),
        ({"origins": ["http://a.com\n"]}, "cannot contain CR, LF or NUL"),
        ({"expose_headers": "X-\u0100"}, "must be latin-1 text"),
    ],
)
def test_values_no_header_can_carry_are_value_errors(options: dict[str, Any], message: str) -> None:
    # Deliberate: Flask-CORS accepts these and then fails (or sends odd headers) per request.
    flask_cors.CORS(flask.Flask("reference"), **options)
    with pytest.raises(ValueError, match=re.escape(message)):
        CORSMiddleware(noop_app, **options)


def test_every_accepted_form_constructs() -> None:
    CORSMiddleware(
        noop_app,
        origins=("http://a.com", re.compile(r"https://.*\.a\.com$")),
        methods={"GET", "POST"},
        allow_headers=re.compile("X-.*"),
        expose_headers="X-A",
        max_age=timedelta(hours=1),
        resources=[r"/api/.*", re.compile("/b")],
    )
    cross_origin(origins=frozenset({"http://a.com"}), max_age=1.5, methods="GET")(endpoint)

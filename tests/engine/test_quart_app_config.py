"""`CORSMiddleware` around a Quart app reads the app's `CORS_*` config, as Flask-CORS's `CORS(app)`
reads a Flask app's `app.config`: when it is constructed, under its own arguments. The Flask app and
its Quart port get the same config, routes and options, and every request the same answer."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import flask_cors
import pytest
import quart

from flask_cors_asgi import CORSMiddleware
from testing_support import Req, flask_app, send_asgi
from tests.engine.test_quart import OTHER, PARTNER, ROUTES, SITE, differences, quart_app

# (the app's CORS_* config, CORS(app)'s arguments), each row with what it shows.
CONFIGS: dict[str, tuple[dict[str, Any], dict[str, Any]]] = {
    # The config alone is the app-wide policy, and the base of each decorated view's.
    "origins and credentials": ({"CORS_ORIGINS": [SITE], "CORS_SUPPORTS_CREDENTIALS": True}, {}),
    # Resources from the config, their options over the config's.
    "resources": (
        {"CORS_RESOURCES": {r"/partner/*": {"origins": [OTHER]}, r"/open": {}}, "CORS_MAX_AGE": 60},
        {},
    ),
    # The arguments over the config.
    "arguments win": ({"CORS_ORIGINS": [SITE], "CORS_EXPOSE_HEADERS": ["X-Id"]}, {"origins": [OTHER]}),
    "wildcard, no Vary": ({"CORS_SEND_WILDCARD": True, "CORS_VARY_HEADER": False}, {}),
    "automatic options off": ({"CORS_AUTOMATIC_OPTIONS": False, "CORS_ORIGINS": [PARTNER]}, {}),
}


def flask_reference(config: Mapping[str, Any], options: Mapping[str, Any]) -> Any:
    app = flask_app(None, ROUTES)
    app.config.update(config)
    flask_cors.CORS(app, **options)
    return app


def quart_port(config: Mapping[str, Any], options: Mapping[str, Any], shape: str) -> Any:
    app = quart_app(None, ROUTES)
    app.config.update(config)
    if shape == "asgi_app":  # `app` stays the Quart object its CLI serves
        app.asgi_app = CORSMiddleware(app.asgi_app, **options)
        return app
    return CORSMiddleware(app, **options)


@pytest.mark.parametrize("shape", ["asgi_app", "app"])
@pytest.mark.parametrize("name", list(CONFIGS))
async def test_the_middleware_reads_the_quart_config_as_cors_app_does(name: str, shape: str) -> None:
    config, options = CONFIGS[name]
    problems = await differences(flask_reference(config, options), quart_port(config, options, shape))
    assert not problems, "\n".join(problems)


async def test_the_config_is_read_when_the_middleware_is_built_as_by_cors_app() -> None:
    # CORS(app) compiles its policy from app.config when called: a key set later changes only the
    # decorated views, which Flask-CORS's decorator layers over the config on every request.
    reference = flask_reference({}, {})
    port = quart_port({}, {}, "asgi_app")
    reference.config["CORS_ORIGINS"] = port.config["CORS_ORIGINS"] = [SITE]
    problems = await differences(reference, port)
    assert not problems, "\n".join(problems)
    seen = await send_asgi(port, Req("GET", "/open", {"Origin": OTHER}))
    # Let in: the policy built before the key allows every origin (echoed, as by Flask-CORS).
    assert seen.header("access-control-allow-origin") == [OTHER]


async def test_config_given_is_read_instead_of_the_quart_apps() -> None:
    app = quart.Quart("port")

    @app.get("/open")
    async def open_view() -> str:
        return "ok"

    app.config["CORS_ORIGINS"] = [SITE]
    app.asgi_app = CORSMiddleware(app.asgi_app, config={"CORS_ORIGINS": [OTHER]})
    for origin, allowed in ((SITE, []), (OTHER, [OTHER])):
        seen = await send_asgi(app, Req("GET", "/open", {"Origin": origin}))
        assert seen.header("access-control-allow-origin") == allowed


def test_an_unknown_cors_key_in_the_quart_config_is_refused() -> None:
    # Our deliberate difference from Flask-CORS (which ignores it), as for config= itself.
    app = quart.Quart("port")
    app.config["CORS_HEADERS"] = ["Content-Type"]
    with pytest.raises(TypeError, match="'CORS_HEADERS'; did you mean 'CORS_ALLOW_HEADERS'"):
        CORSMiddleware(app.asgi_app)

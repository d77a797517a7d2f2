"""from-flask reads every way Flask-CORS is configured (CORS(app), init_app, CORS(blueprint) with
and without resources, decorators with and without arguments, app.config, resources keyed by
strings, lists and compiled regexes), says what it found, prints the port as engine code and as
this service's settings, and names what it cannot translate exactly. The printed code (the engine's
exact ports: `config=`, `cors_blueprint`, `cross_origin`), applied to a Starlette twin of each Flask
app, gives a diff with no browser difference, blueprints' 404 and 405 answers included."""

from __future__ import annotations

import json
import re
import sys
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from cors_conformance.cli import main
from cors_conformance.port import blueprint_name, decorator_name
from cors_conformance.targets import Target

CORPUS = {
    "blueprint": "wsgi:testing_support.flask_corpus:blueprint_app",
    "blueprint_resources": "wsgi:testing_support.flask_corpus:blueprint_resources_app",
    "factory": "wsgi-factory:testing_support.flask_corpus:create_app",
    "list_resources": "wsgi:testing_support.flask_corpus:list_resources_app",
    "compiled_resources": "wsgi:testing_support.flask_corpus:compiled_resources_app",
    "config_dict": "wsgi:testing_support.flask_corpus:config_dict_app",
    "hooks": "wsgi:testing_support.flask_corpus:hooks_app",
    "twice": "wsgi:testing_support.flask_corpus:twice_app",
    "app_and_blueprint": "wsgi:testing_support.flask_corpus:app_and_blueprint_app",
    "config_decorators": "wsgi:testing_support.flask_corpus:config_decorators_app",
    "nested_blueprint": "wsgi:testing_support.flask_corpus:nested_blueprint_app",
}
twin: Starlette | None = None  # the Starlette port under test, as a target: asgi:<this module>:twin


def from_flask(capsys: pytest.CaptureFixture[str], spec: str) -> dict[str, Any]:
    status = main(["from-flask", spec, "--json"])
    out, err = capsys.readouterr()
    assert (status, err) == (0, "")
    document: dict[str, Any] = json.loads(out)
    return document


@pytest.mark.parametrize(
    ("app", "found"),
    [
        ("blueprint", ["CORS(blueprint 'api'): no options (every default); its routes /api/alert/<id>"]),
        ("blueprint_resources", ["CORS(blueprint 'v1'): resources={\"/api/*\": {\"origins\": [\"https://shop.example\"]}}"]),
        ("factory", ["app.config: origins=", "CORS(app): resources={\"/api/*\": {}}",
                     "@cross_origin on /public/feed: no options",
                     "@cross_origin on /partner/orders: origins="]),
        ("list_resources", ["CORS(app): resources=/api/*,/v2/*, origins=https://shop.example"]),
        ("compiled_resources", ["CORS(app): resources={\"/api/items/.*\""]),
        ("config_dict", ["app.config['CORS_OPTIONS'] (not a Flask-CORS setting) passed to CORS(...)"]),
    ],
)  # fmt: skip
def test_it_says_what_it_found(capsys: pytest.CaptureFixture[str], app: str, found: list[str]) -> None:
    document = from_flask(capsys, CORPUS[app])
    for start in found:
        assert any(line.startswith(start) for line in document["found"]), (start, document["found"])
    assert document["schema_version"] == 1


@pytest.mark.parametrize("app", ["blueprint", "blueprint_resources"])
def test_a_blueprints_policy_is_not_dropped(capsys: pytest.CaptureFixture[str], app: str) -> None:
    # It used to print CORS_RESOURCES='[]' and "no CORS(app)": settings that ship no CORS at all.
    document = from_flask(capsys, CORPUS[app])
    assert document["settings"]["CORS_RESOURCES"] != "[]"
    assert not any("no CORS(app)" in line for line in document["ignored"])
    name = "api" if app == "blueprint" else "v1"
    # The code is the engine's own port of CORS(blueprint); the service's settings, which have no
    # blueprints, key the policy on paths, and that alone is named as not exact.
    assert f"cors_{name}_blueprint = functools.partial(\n    cors_blueprint," in document["code"]
    assert "resources=[]" in document["code"]  # the middleware for OPTIONS, without an app-wide policy
    notes = [line for line in document["not_exact"] if line.startswith(f"CORS(blueprint '{name}')")]
    assert notes
    assert all("CORS_RESOURCES" in line and "cors_blueprint is exact" in line for line in notes)


def test_the_app_config_is_the_middlewares_config_and_decorators_keep_their_arguments(
    capsys: pytest.CaptureFixture[str],
) -> None:
    code = from_flask(capsys, CORPUS["factory"])["code"]
    assert "config=CORS_CONFIG," in code
    assert "'CORS_SUPPORTS_CREDENTIALS': True," in code
    # @cross_origin() reads the config from the middleware, as Flask-CORS's from app.config.
    assert "cors_feed = cross_origin()\n" in code
    assert "cors_partner = cross_origin(origins=['https://partner.example'], methods=['POST'])" in code


def test_an_apps_own_config_dict_passed_to_cors_is_not_called_ignored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    document = from_flask(capsys, CORPUS["config_dict"])
    assert not any("CORS_OPTIONS" in line for line in document["ignored"])
    assert document["settings"]["CORS_ORIGINS"] == "https://shop.example"
    assert document["settings"]["CORS_SUPPORTS_CREDENTIALS"] == "true"


def test_code_alone_is_python(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["from-flask", CORPUS["compiled_resources"], "--code"]) == 0
    code = capsys.readouterr().out
    compile(code, "port.py", "exec")
    assert "re.compile('/api/items/.*')" in code


def _starlette_path(rule: str) -> str:
    def convert(match: re.Match[str]) -> str:
        converter, name = match[1], match[2]
        return f"{{{name}:{converter}}}" if converter in ("int", "float", "path", "uuid") else f"{{{name}}}"

    return re.sub(r"<(?:(\w+)(?:\([^)]*\))?:)?(\w+)>", convert, rule)


async def _answer(request: Request) -> Response:
    return JSONResponse({"path": request.url.path})


def build_twin(spec: str, code: str) -> Starlette:
    """A Starlette app with the Flask app's routes and methods, and the printed code applied: each
    decorated view under its decorator, each blueprint's routes through its cors_blueprint."""
    flask_app = Target(spec).app
    app = Starlette()
    namespace: dict[str, Any] = {"app": app}
    exec(code, namespace)  # the printed port, as a user pastes it
    for rule in flask_app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        endpoint = namespace.get(decorator_name(rule.endpoint))
        view = endpoint(_answer) if endpoint is not None else _answer
        # Flask answers OPTIONS itself (automatic OPTIONS): so does the twin's route.
        methods = sorted((rule.methods or set()) - {"HEAD"})
        routes: list[BaseRoute] = [Route(_starlette_path(rule.rule), view, methods=methods)]
        # A blueprint's endpoint is "<blueprint>.<view>" (nested: "<outer>.<inner>.<view>", the
        # inner one registered as "<outer>.<inner>"): the innermost blueprint's policy first, as
        # Flask runs its hooks.
        names = rule.endpoint.split(".")[:-1]
        for depth in range(len(names), 0, -1):
            blueprint = namespace.get(blueprint_name(".".join(names[:depth])))
            if blueprint is not None:
                routes = blueprint(routes)
        app.router.routes.extend(routes)
    return app


def test_a_nested_blueprints_policy_is_read_on_its_own_routes(capsys: pytest.CaptureFixture[str]) -> None:
    # CORS(orders), orders registered inside shop: its endpoints are "shop.orders.<view>", which
    # matching on the blueprint's own name ("orders.") missed, leaving the policy on no routes.
    document = from_flask(capsys, CORPUS["nested_blueprint"])
    found = "CORS(blueprint 'shop.orders'): origins=https://shop.example, supports_credentials=true"
    routes = "its routes /shop/orders/alert/<id>, /shop/orders/items/<int:item_id>"
    assert f"{found}; {routes}" in document["found"], document["found"]
    # Mounted where Flask serves it: its own prefix inside the outer blueprint's routes.
    nested = "Mount('/shop', routes=[..., Mount('/orders', routes=cors_shop_orders_blueprint([...]))])"
    assert f"# ({nested})." in document["code"]
    assert "# (Mount('/shop', routes=cors_shop_blueprint([...])))." in document["code"]
    # The settings key each policy on its blueprint's paths; the more specific inner one is tried first.
    assert json.loads(document["settings"]["CORS_RESOURCES"]) == {
        "/shop/.*": {"origins": ["https://admin.shop.example"]},
        "/shop/orders/.*": {"origins": ["https://shop.example"], "supports_credentials": True},
    }
    assert any(line.startswith("several CORS(blueprint) calls") for line in document["not_exact"])


@pytest.mark.parametrize("app", list(CORPUS))
def test_the_printed_port_gives_no_browser_difference(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, app: str
) -> None:
    document = from_flask(capsys, CORPUS[app])
    monkeypatch.setattr(sys.modules[__name__], "twin", build_twin(CORPUS[app], document["code"]))
    status = main(["diff", CORPUS[app], f"asgi:{__name__}:twin", "--json", "--require-allowed-origin"])
    result = json.loads(capsys.readouterr().out)
    browser = [d for d in result["differences"] if d["kind"] == "browser"]
    assert browser == [], browser[:1]
    assert status == 0
    assert result["coverage"]["tested_allowed_origin"] is True

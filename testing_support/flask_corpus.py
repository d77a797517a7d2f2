"""Flask apps configured with Flask-CORS in every way `from-flask` must read, shaped like real ones:
blueprints (with and without resources), `init_app` in a factory, decorators with and without
arguments, `app.config` (Flask-CORS's keys, and an app's own dict passed to CORS), and resources
keyed by strings, lists and compiled regexes, regex origins with groups, path parameters."""

from __future__ import annotations

import re

import flask
import flask_cors

FRONT = "https://shop.example"


def _views(target: flask.Flask | flask.Blueprint, prefix: str = "") -> None:
    target.add_url_rule(f"{prefix}/items/<int:item_id>", "item", lambda item_id: {"item": item_id})
    target.add_url_rule(f"{prefix}/alert/<id>", "alert", lambda id: {"alert": id}, methods=["GET", "POST"])


# CORS(blueprint), every default: the blueprint's routes only, open to every origin.
blueprint_app = flask.Flask("blueprint_app")
blueprint_app.add_url_rule("/health", "health", lambda: {"ok": True})
_api = flask.Blueprint("api", "blueprint_app", url_prefix="/api")
_views(_api)
flask_cors.CORS(_api)
blueprint_app.register_blueprint(_api)

# CORS(blueprint, resources=...) with credentials, beside a plain app route.
blueprint_resources_app = flask.Flask("blueprint_resources_app")
blueprint_resources_app.add_url_rule("/health", "health", lambda: {"ok": True})
_v1 = flask.Blueprint("v1", "blueprint_resources_app", url_prefix="/api")
_views(_v1)


@_v1.post("/partner")
@flask_cors.cross_origin(origins=["https://partner.example"])
def _partner() -> dict[str, str]:
    return {"partner": "ok"}


flask_cors.CORS(_v1, resources={r"/api/*": {"origins": [FRONT]}}, supports_credentials=True)
blueprint_resources_app.register_blueprint(_v1)


def create_app() -> flask.Flask:
    """A factory with init_app, app.config, a regex origin with groups and decorated views."""
    app = flask.Flask("factory_corpus")
    app.config["CORS_ORIGINS"] = [FRONT, r"^http://localhost(:[0-9]+)?$"]
    app.config["CORS_SUPPORTS_CREDENTIALS"] = True
    app.config["CORS_MAX_AGE"] = 600
    _views(app, "/api")

    @app.get("/public/feed")
    @flask_cors.cross_origin()
    def feed() -> dict[str, str]:
        return {"feed": "public"}

    @app.post("/partner/orders")
    @flask_cors.cross_origin(origins=["https://partner.example"], methods=["POST"])
    def partner() -> dict[str, str]:
        return {"order": "ok"}

    cors = flask_cors.CORS()
    cors.init_app(app, resources={r"/api/*": {}})
    return app


# Resources keyed by a list of strings, and by a compiled regex.
list_resources_app = flask.Flask("list_resources_app")
_views(list_resources_app, "/api")
list_resources_app.add_url_rule("/v2/orders/<int:order_id>", "order", lambda order_id: {"order": order_id})
flask_cors.CORS(list_resources_app, resources=[r"/api/*", r"/v2/*"], origins=[FRONT])

compiled_resources_app = flask.Flask("compiled_resources_app")
_views(compiled_resources_app, "/api")
flask_cors.CORS(
    compiled_resources_app,
    resources={re.compile(r"/api/items/.*"): {"origins": [FRONT]}, r"/api/*": {"origins": "*"}},
)

# An app's own dict in app.config, passed to CORS(): Flask-CORS never reads the key, but the
# options reach it through the call.
config_dict_app = flask.Flask("config_dict_app")
_views(config_dict_app, "/api")
config_dict_app.config["CORS_OPTIONS"] = {"origins": [FRONT], "supports_credentials": True}
flask_cors.CORS(config_dict_app, **config_dict_app.config["CORS_OPTIONS"])

# Hooks, as real apps have them: an auth check answering 401 before the view, a header added after.
hooks_app = flask.Flask("hooks_app")
_views(hooks_app, "/api")


@hooks_app.before_request
def _require_token() -> tuple[dict[str, str], int] | None:
    if flask.request.method != "OPTIONS" and "Authorization" not in flask.request.headers:
        return {"error": "unauthorized"}, 401
    return None


@hooks_app.after_request
def _request_id(response: flask.Response) -> flask.Response:
    response.headers["X-Request-Id"] = "1"
    return response


flask_cors.CORS(hooks_app, resources={r"/api/*": {"origins": [r"^https://(app|admin)\.shop\.example$"]}},
                supports_credentials=True)  # fmt: skip

# CORS(app) twice on one pattern: Flask runs the last-registered hook first, and it wins.
twice_app = flask.Flask("twice_app")
_views(twice_app, "/api")
flask_cors.CORS(twice_app, resources={r"/api/*": {"origins": ["https://first.example"]}})
flask_cors.CORS(twice_app, resources={r"/api/*": {"origins": [FRONT]}})

# CORS(app) and CORS(blueprint) together: the blueprint's policy wins on its routes, the app's
# applies elsewhere (a 404 under the blueprint's prefix included).
app_and_blueprint_app = flask.Flask("app_and_blueprint_app")
_views(app_and_blueprint_app, "/public")
_admin = flask.Blueprint("admin", "app_and_blueprint_app", url_prefix="/admin")
_views(_admin)
flask_cors.CORS(_admin, origins=["https://admin.shop.example"], supports_credentials=True)
app_and_blueprint_app.register_blueprint(_admin)
flask_cors.CORS(app_and_blueprint_app, origins=[FRONT])

# app.config and decorators, without CORS(app): @cross_origin() reads the config on every request.
config_decorators_app = flask.Flask("config_decorators_app")
config_decorators_app.config["CORS_ORIGINS"] = [FRONT]
config_decorators_app.config["CORS_SUPPORTS_CREDENTIALS"] = True
config_decorators_app.add_url_rule("/health", "health", lambda: {"ok": True})


@config_decorators_app.route("/api/feed", methods=["GET", "POST"])
@flask_cors.cross_origin()
def _feed() -> dict[str, str]:
    return {"feed": "ok"}


@config_decorators_app.route("/api/partner", methods=["GET", "POST"])
@flask_cors.cross_origin(origins=["https://partner.example"], max_age=600)
def _partner_feed() -> dict[str, str]:
    return {"partner": "ok"}


# CORS(blueprint) on a blueprint registered inside another (each with its URL prefix), and on the
# outer one: Flask runs the inner blueprint's hook for its own routes ("shop.orders.<view>") only,
# the outer's for every route of both, the inner's first (the first to add headers wins).
nested_blueprint_app = flask.Flask("nested_blueprint_app")
nested_blueprint_app.add_url_rule("/health", "health", lambda: {"ok": True})
_shop = flask.Blueprint("shop", "nested_blueprint_app", url_prefix="/shop")
_shop.add_url_rule("/status", "status", lambda: {"status": "open"}, methods=["GET", "POST"])
_orders = flask.Blueprint("orders", "nested_blueprint_app", url_prefix="/orders")
_views(_orders)
flask_cors.CORS(_orders, origins=[FRONT], supports_credentials=True)
_shop.register_blueprint(_orders)
flask_cors.CORS(_shop, origins=["https://admin.shop.example"])
nested_blueprint_app.register_blueprint(_shop)

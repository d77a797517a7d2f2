"""The apps the benchmark compares, all serving the article's contract: an allowed
`POST /api/foo` with `{"inputVar": 2}` from http://localhost:3000 answers 200 `{"result":4}` with
`Access-Control-Allow-Origin`, and its preflight is allowed.

Every app is configured with the same policy (bench/workload.py): origins http://localhost:3000 and
https://yourapp.com, methods GET/POST/PUT/DELETE, headers Content-Type/Authorization.

Under servers: `uvicorn bench.floor:app`, `uvicorn bench.ceiling:app`,
`uvicorn bench.starlette_peer:app`, `uvicorn bench.fastapi_peer:app`,
`uvicorn service.app:create_app --factory` (with `service_env()`), and
`gunicorn testing_support.seed_app:seed_without_decorator`; each module imports only what it serves.
"""

from __future__ import annotations

from typing import Any

import flask
import flask_cors
from starlette.middleware import Middleware
from starlette.types import ASGIApp

from bench import ceiling, fastapi_peer, floor
from bench.starlette_peer import starlette_app, stock_cors
from bench.workload import ALLOW_HEADERS, METHODS, ORIGINS, PATH
from flask_cors_asgi import CORSMiddleware as EngineCORSMiddleware
from service import create_app
from settings import ProductionSettings
from testing_support import create_seed_app


def engine_options(origins: list[str] | None = None, resources: int = 1) -> dict[str, Any]:
    """The engine's options for the policy; `resources` > 1 adds more specific resources in
    front of `/api/*`, so `/api/foo` matches the last one tried (the worst case)."""
    policy = {"origins": origins or ORIGINS, "methods": METHODS, "allow_headers": ALLOW_HEADERS}
    table = {f"/api/r{i}/*": policy for i in range(1, resources)}
    table[r"/api/*"] = policy
    return {"resources": table}


def engine_cors(**options: Any) -> Middleware:
    return Middleware(EngineCORSMiddleware, **(options or engine_options()))


def service_settings() -> ProductionSettings:
    return ProductionSettings(cors_origins=ORIGINS)


def service_env() -> dict[str, str]:
    """The environment that gives `service.app:create_app` the same settings under a server."""
    return {"APP_ENV": "production", "CORS_ORIGINS": ",".join(ORIGINS)}


def in_process_apps() -> dict[str, ASGIApp]:
    """The ASGI apps timed in process, by name; Flask (WSGI) is `flask_app`."""
    return {
        "floor (bare ASGI)": floor.app,
        "Starlette router (ceiling)": ceiling.app,
        "Starlette, no CORS": starlette_app(),
        "Starlette + stock CORSMiddleware": starlette_app(stock_cors()),
        "Starlette + engine": starlette_app(engine_cors()),
        "FastAPI + CORSMiddleware": fastapi_peer.create_app(),
        "this service": create_app(service_settings()),
    }


def flask_cors_app(**options: Any) -> flask.Flask:
    """The article's Flask app with `CORS(app, **options)` instead of its own policy."""
    app = flask.Flask("bench")

    @app.post(PATH)
    def foo() -> Any:
        data = flask.request.get_json()
        if data and "inputVar" in data:
            return {"result": data["inputVar"] * 2}
        return {"error": "Invalid input"}, 400

    flask_cors.CORS(app, **options)
    return app


# The article's Flask app without its mistyped decorator: the behaviour the service reproduces.
flask_app = create_seed_app(with_decorator=False)
FLASK_APP = "testing_support.seed_app:seed_without_decorator"  # the same app, for gunicorn

"""The toolkit reads an option set as the engine layers it (`resolve_options`): an engine
middleware's `config=` under its own options, as Flask-CORS's app.config under CORS(app)."""

from __future__ import annotations

import json

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from cors_conformance.cli import main
from cors_conformance.discover import configured_trust
from cors_conformance.targets import Target
from flask_cors_asgi import CORSMiddleware

CONFIG = {"CORS_ORIGINS": ["https://shop.example"], "CORS_SUPPORTS_CREDENTIALS": True}


async def data(request: Request) -> Response:
    return JSONResponse({"data": 1})


def _app(**options: object) -> Starlette:
    return Starlette(routes=[Route("/api/data", data)], middleware=[Middleware(CORSMiddleware, **options)])


config_app = _app(config=CONFIG)
# Its own options win over the config's: credentials stay on, the origins are its own.
overridden_app = _app(config=CONFIG, origins=["https://admin.shop.example"])


@pytest.mark.parametrize(
    ("app", "origins"),
    [("config_app", ("https://shop.example",)), ("overridden_app", ("https://admin.shop.example",))],
)
def test_an_engine_middlewares_config_is_read(
    capsys: pytest.CaptureFixture[str], app: str, origins: tuple[str, ...]
) -> None:
    target = f"asgi:{__name__}:{app}"
    trust = configured_trust(Target(target))
    assert [(t.origins, t.credentials) for t in trust] == [(origins, True)]
    # As the middleware itself answers: the configured origin is probed as trusted, and allowed.
    main(["probe", target, "--json"])
    document = json.loads(capsys.readouterr().out)
    assert document["coverage"]["allowed_origins"]["items"] == list(origins)

"""The composition root: `create_app(settings=None)` builds the service; uvicorn calls it with
`--factory`. Nothing here reads the environment at import time."""

from __future__ import annotations

import logging
import sys
from importlib.metadata import version

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from flask_cors_asgi import CORSMiddleware
from service.api import Foo
from service.logging import install_log_escaping
from service.openapi import openapi_document
from settings import BaseAppSettings, ConfigurationError, load_settings

logger = logging.getLogger("service")


async def http_error(request: Request, exc: Exception) -> Response:
    """404, 405 and other HTTP errors as JSON, keeping their headers (405's Allow)."""
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def create_app(settings: BaseAppSettings | None = None) -> Starlette:
    """The service for `settings`, or for the environment's settings (APP_ENV, CORS_*, ...). With
    invalid environment settings, every problem is printed and the process exits with status 1."""
    install_log_escaping()  # before the settings warnings: they quote configuration values
    if settings is None:
        try:
            loaded = load_settings()
        except ConfigurationError as exc:
            print(exc, file=sys.stderr)  # one line per problem (settings.checks escapes them)
            raise SystemExit(1) from None
        settings = loaded.settings
        for warning in loaded.warnings:
            logger.warning("%s", warning)

    document = openapi_document(version("flask-cors-port"))

    async def openapi(request: Request) -> Response:
        return JSONResponse(document)

    app = Starlette(
        routes=[
            Route("/api/foo", Foo(settings.max_body_bytes, settings.body_timeout), methods=["POST"]),
            Route("/healthz", healthz, methods=["GET"]),
            Route("/openapi.json", openapi, methods=["GET"]),
        ],
        middleware=[Middleware(CORSMiddleware, **settings.cors_options())],
        exception_handlers={HTTPException: http_error},
    )
    # Werkzeug never redirects "/api/foo/" to "/api/foo": answer 404 as Flask does.
    app.router.redirect_slashes = False
    app.state.settings = settings
    return app

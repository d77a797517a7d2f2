"""The composition root: `create_app(settings=None)` builds the service; uvicorn calls it with
`--factory`. Nothing here reads the environment at import time."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Lifespan

from flask_cors_asgi import CORSMiddleware
from service.api import Foo
from service.logging import follow_server_log, install_log_escaping
from service.openapi import openapi_document
from service.startup import head_guards_in_use, service_version, startup_line
from settings import BaseAppSettings, ConfigurationError, load_settings

logger = logging.getLogger("service")


async def http_error(request: Request, exc: Exception) -> Response:
    """404, 405 and other HTTP errors as JSON, keeping their headers (405's Allow)."""
    assert isinstance(exc, HTTPException)
    return JSONResponse({"error": exc.detail}, status_code=exc.status_code, headers=exc.headers)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


def _lifespan(settings: BaseAppSettings, version: str) -> Lifespan[Starlette]:
    """Logs the start-up line once per server process (each worker runs the lifespan once)."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        follow_server_log()  # again: under gunicorn --preload, create_app ran before logging was set up
        logger.info("%s", startup_line(settings, guarded=head_guards_in_use(), version=version))
        yield

    return lifespan


def create_app(settings: BaseAppSettings | None = None) -> Starlette:
    """The service for `settings`, or for the environment's settings (APP_ENV, CORS_*, ...). With
    invalid environment settings, every problem is printed and the process exits with status 1."""
    install_log_escaping()  # before the settings warnings: they quote configuration values
    follow_server_log()
    if settings is None:
        try:
            loaded = load_settings()
        except ConfigurationError as exc:
            print(exc, file=sys.stderr)  # one line per problem (settings.checks escapes them)
            raise SystemExit(1) from None
        settings = loaded.settings
        for warning in loaded.warnings:
            logger.warning("%s", warning.text)

    version = service_version()
    document = openapi_document(version)

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
        lifespan=_lifespan(settings, version),
    )
    # Werkzeug never redirects "/api/foo/" to "/api/foo": answer 404 as Flask does.
    app.router.redirect_slashes = False
    app.state.settings = settings
    return app

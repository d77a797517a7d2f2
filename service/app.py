"""The composition root: `create_app(settings=None)` builds the service; uvicorn calls it with
`--factory`. Nothing here reads the environment at import time."""

from __future__ import annotations

import logging
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from starlette.datastructures import State
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp, Lifespan, Receive, Scope, Send

from flask_cors_asgi import CORSMiddleware, CrossOriginProtection, FetchCORSMiddleware
from service.api import Foo
from service.logging import follow_server_log, install_log_escaping
from service.openapi import openapi_document
from service.reload import reload_policy, reloading_on_signal
from service.startup import head_guards_in_use, service_version, startup_line
from settings import BaseAppSettings, ConfigurationError, load_settings

logger = logging.getLogger("service")


class JSONRoute(Route):
    """Starlette's Route, whose 405 is JSON like every other error of the service."""

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.methods and scope["method"] not in self.methods:
            allow = {"Allow": ", ".join(self.methods)}
            await JSONResponse({"error": "Method Not Allowed"}, status_code=405, headers=allow)(
                scope, receive, send
            )
        else:
            await self.app(scope, receive, send)


async def not_found(scope: Scope, receive: Receive, send: Send) -> None:
    """The router's answer where no route matches: 404 JSON (a WebSocket is closed)."""
    if scope["type"] == "websocket":
        await send({"type": "websocket.close", "code": 1000})
        return
    await JSONResponse({"error": "Not Found"}, status_code=404)(scope, receive, send)


async def healthz(request: Request) -> Response:
    return PlainTextResponse("ok")


class Service:
    """The service: the CORS engine (`flask_cors_asgi.CORSMiddleware`, configured from the settings)
    in front of Starlette's router, composed rather than inherited, so that the engine's options are
    the settings' and nothing else of the engine is overridden. There is no Starlette application
    object: its two exception layers cost a third of a request (docs/performance.md), and the
    service has no use for them: its router answers 404 and 405 as JSON itself, its endpoints answer
    every client mistake, and an exception the code did not expect still gets a 500 (the engine's,
    with CORS headers, or the server's) and reaches the server's log."""

    def __init__(self, settings: BaseAppSettings, version: str) -> None:
        self.router = _router(settings, version, self)
        # `app`, as middleware name what they wrap: the engine and the toolkit find the router
        # through `.app` attributes.
        protected = _protected(self.router, settings)
        # The protection, when on: a reload gives it the new CORS origins it trusts by default.
        self.protection = protected if isinstance(protected, CrossOriginProtection) else None
        self.app = CORSMiddleware(protected, **settings.cors_options())
        # The settings the app was built with, for the guarded protocol (service/server.py) and tests.
        self.state = State()
        self.state.settings = settings
        self.version = version

    def reload(self) -> None:
        """The operator's reload (SIGHUP, service/reload.py): the settings' CORS policy, read and
        checked again, swapped in, or refused with every problem while the old one keeps serving."""
        self.state.settings = reload_policy(
            self.app,
            self.state.settings,
            guarded=head_guards_in_use(),
            version=self.version,
            protection=self.protection,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


class FetchService(FetchCORSMiddleware):
    """The service under CORS_PROFILE=fetch: the same router behind the strict fetch profile, its
    policy reloaded on SIGHUP as the compat service's is (`FetchCORSMiddleware.reconfigure`)."""

    def __init__(self, settings: BaseAppSettings, version: str) -> None:
        self.router = _router(settings, version, self)
        protected = _protected(self.router, settings)
        self.protection = protected if isinstance(protected, CrossOriginProtection) else None
        super().__init__(protected, **settings.fetch_options())
        self.state = State()
        self.state.settings = settings
        self.version = version

    def reload(self) -> None:
        """The operator's reload (SIGHUP): as `Service.reload`, with the fetch profile's options."""
        self.state.settings = reload_policy(
            self,
            self.state.settings,
            guarded=head_guards_in_use(),
            version=self.version,
            protection=self.protection,
            options=BaseAppSettings.fetch_options,
        )


def _protected(router: Router, settings: BaseAppSettings) -> ASGIApp:
    """The routes behind the cross-origin protection, when the settings turn it on. It goes inside
    the CORS engine: a refusal carries the CORS headers, so a page the policy lets read sees why it
    was refused."""
    protection = settings.cross_origin_protection_options()
    if protection is None:
        return router
    return CrossOriginProtection(router, **protection)


def _router(settings: BaseAppSettings, version: str, service: Service | FetchService | None = None) -> Router:
    """The service's routes, whichever profile serves them; `service`, when its CORS policy can be
    reloaded."""
    document = openapi_document(version)

    async def openapi(request: Request) -> Response:
        return JSONResponse(document)

    router = Router(
        routes=[
            JSONRoute("/api/foo", Foo(settings.max_body_bytes, settings.body_timeout), methods=["POST"]),
            JSONRoute("/healthz", healthz, methods=["GET"]),
            JSONRoute("/openapi.json", openapi, methods=["GET"]),
        ],
        # Werkzeug never redirects "/api/foo/" to "/api/foo": answer 404 as Flask does.
        redirect_slashes=False,
        default=not_found,
        lifespan=_lifespan(settings, version, service),
    )
    return router


def _lifespan(
    settings: BaseAppSettings, version: str, service: Service | FetchService | None
) -> Lifespan[Any]:
    """Logs the start-up line once per server process (each worker runs the lifespan once), and
    reloads the CORS policy on SIGHUP while the process serves (`service.reload`)."""

    @asynccontextmanager
    async def lifespan(app: Any) -> AsyncIterator[None]:
        follow_server_log()  # again: under gunicorn --preload, create_app ran before logging was set up
        logger.info("%s", startup_line(settings, guarded=head_guards_in_use(), version=version))
        if service is None:
            yield
            return
        with reloading_on_signal(service.reload):
            yield

    return lifespan


def create_app(settings: BaseAppSettings | None = None) -> Service | FetchService:
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
    if settings.cors_profile == "fetch":
        return FetchService(settings, service_version())
    return Service(settings, service_version())

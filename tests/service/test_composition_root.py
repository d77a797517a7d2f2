"""create_app is the one composition root: it composes the engine's middleware (the service is not a
subclass of it) from the settings, and the guarded protocol takes its limits from the settings the
app was built with, not from a second reading of the environment; only an app that is not the service
(a benchmark's peer) falls back to the environment's settings."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import pytest
from uvicorn.config import Config
from uvicorn.server import ServerState

from flask_cors_asgi import CORSMiddleware
from service.app import create_app
from service.server import GuardedHttpToolsProtocol, process_settings
from settings import TestSettings


@pytest.fixture(autouse=True)
def environment(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # What a second reading of the environment would find.
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("MAX_HEADER_BYTES", "4096")
    monkeypatch.setenv("HEADER_TIMEOUT", "7")
    process_settings.cache_clear()
    yield
    process_settings.cache_clear()


def protocol_for(app: Any) -> GuardedHttpToolsProtocol:
    config = Config(app, proxy_headers=True)  # uvicorn wraps the app in ProxyHeadersMiddleware
    config.load()
    return GuardedHttpToolsProtocol(
        config=config, server_state=ServerState(), app_state={}, _loop=asyncio.get_running_loop()
    )


async def test_the_limits_are_the_apps_settings() -> None:
    protocol = protocol_for(create_app(TestSettings(max_header_bytes=2048, header_timeout=3)))
    assert (protocol.max_header_bytes, protocol.header_timeout) == (2048, 3)


async def bare_app(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("not called")


async def test_another_app_gets_the_environments_settings() -> None:
    protocol = protocol_for(bare_app)
    assert (protocol.max_header_bytes, protocol.header_timeout) == (4096, 7)


def test_the_service_composes_the_engine_configured_from_the_settings() -> None:
    settings = TestSettings(cors_origins=["https://app.example"], cors_max_age="600")
    service = create_app(settings)
    assert not isinstance(service, CORSMiddleware)
    assert isinstance(service.app, CORSMiddleware)
    assert service.app.app is service.router
    (policy,) = [resource.policy for resource in service.app.resources]
    assert (policy.origin_literals, policy.max_age) == ({"https://app.example"}, "600")
    assert service.state.settings is settings

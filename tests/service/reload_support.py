"""What the reload tests of both profiles (test_reload.py, test_reload_fetch.py) share: a production
working directory whose .env the test rewrites, the question "which origin does the service allow
on /healthz", the service logger's lines, and the wait for SIGHUP's reload line."""

from __future__ import annotations

import asyncio
import os
import signal
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest


def production_workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, env: str) -> Path:
    """`tmp_path` as the working directory of a production service, its .env holding `env`."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("APP_ENV", "production")
    (tmp_path / ".env").write_text(env)
    return tmp_path


async def allowed(service: Any, origin: str) -> str | None:
    transport = httpx.ASGITransport(app=service)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/healthz", headers={"Origin": origin})
    return response.headers.get("access-control-allow-origin")


def service_records(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.name == "service"]


async def sighup_and_wait_for_reload(caplog: pytest.LogCaptureFixture) -> None:
    """Send this process SIGHUP (a service's lifespan must be running) and wait, bounded, for the
    service's "reload:" line."""
    os.kill(os.getpid(), signal.SIGHUP)
    with anyio.fail_after(10):
        while not any(m.startswith("reload:") for m in service_records(caplog)):
            await asyncio.sleep(0.01)

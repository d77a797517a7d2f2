"""The service's reload under CORS_PROFILE=fetch: SIGHUP re-reads the settings files, checks them as
start-up does, and swaps the fetch profile's policy (`FetchCORSMiddleware.reconfigure`), or refuses
with start-up's messages and keeps the old; the debug flag and the protection follow as for the
compat service."""

from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from service.app import FetchService, create_app
from settings import ConfigurationError, load_settings
from tests.service.reload_support import (
    allowed,
    production_workdir,
    service_records,
    sighup_and_wait_for_reload,
)

A = "https://a.example"
B = "https://b.example"


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory whose .env the test rewrites, for a production service."""
    return production_workdir(tmp_path, monkeypatch, f"CORS_PROFILE=fetch\nCORS_ORIGINS={A}\n")


def fetch_service() -> FetchService:
    service = create_app()
    assert isinstance(service, FetchService)
    return service


async def preflight(service: FetchService, origin: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=service)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        return await client.options(
            "/api/foo", headers={"Origin": origin, "Access-Control-Request-Method": "PUT"}
        )


async def test_sighup_swaps_the_fetch_policy_and_keeps_the_debug_flag(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = fetch_service()
    service.set_debug(True)
    assert await allowed(service, B) is None
    (workdir / ".env").write_text(f"CORS_PROFILE=fetch\nCORS_ORIGINS={A},{B}\n")
    with caplog.at_level(logging.INFO, logger="service"):
        async with service.router.lifespan_context(service):
            await sighup_and_wait_for_reload(caplog)
    assert await allowed(service, B) == B
    assert service.debug is True
    # The protection (on by default in production) trusts the new CORS origins, as it does under
    # the Flask-CORS profile.
    assert service.protection is not None
    assert service.protection.policy.trusted_origins == {A, B}
    # Debug mode still on: PUT is not allowed, yet the preflight of an allowed origin gets 204.
    assert (await preflight(service, B)).status_code == 204
    (line,) = [m for m in service_records(caplog) if m.startswith("reload:")]
    assert line.startswith("reload: CORS policy replaced | ")
    assert service.state.settings.cors_origins == [A, B]


async def test_an_invalid_fetch_file_is_refused_and_the_old_policy_serves(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = fetch_service()
    config = service.config
    (workdir / ".env").write_text("CORS_PROFILE=fetch\nCORS_ORIGINS=null,https://b.example/path\n")
    with pytest.raises(ConfigurationError) as at_start_up:
        load_settings()
    with caplog.at_level(logging.INFO, logger="service"):
        service.reload()
    lines = service_records(caplog)
    assert lines[0].startswith("reload refused, the CORS policy in force keeps serving")
    assert lines[1:] == [str(problem) for problem in at_start_up.value.problems]
    assert {p.id for p in at_start_up.value.problems} == {"fetch.E002", "fetch.E003"}
    assert service.config is config
    assert await allowed(service, A) == A


async def test_the_same_fetch_file_again_is_logged_as_unchanged(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = fetch_service()
    config = service.config
    with caplog.at_level(logging.INFO, logger="service"):
        service.reload()
    assert service_records(caplog)[0].startswith("reload: CORS policy unchanged | ")
    assert service.config is config

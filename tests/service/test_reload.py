"""The service's reload (service/reload.py): SIGHUP re-reads the settings files, checks them as
start-up does, and swaps the CORS policy, or refuses with start-up's messages and keeps the old."""

from __future__ import annotations

import logging
import signal
from pathlib import Path

import pytest

from service.app import create_app
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
    return production_workdir(tmp_path, monkeypatch, f"CORS_ORIGINS={A}\n")


async def test_a_reload_applies_the_changed_file(workdir: Path, caplog: pytest.LogCaptureFixture) -> None:
    service = create_app()
    assert await allowed(service, B) is None
    (workdir / ".env").write_text(f"CORS_ORIGINS={A},{B}\nCORS_RESOURCES=/*\n")
    with caplog.at_level(logging.INFO, logger="service"):
        service.reload()
    assert await allowed(service, B) == B
    (line,) = service_records(caplog)
    assert line.startswith("reload: CORS policy replaced | flask-cors-port ")
    assert f"/*: origins {A},{B}" in line
    assert service.state.settings.cors_origins == [A, B]


async def test_an_invalid_file_is_refused_with_start_ups_messages(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = create_app()
    (workdir / ".env").write_text("CORS_ORIGINS=*\nCORS_MAX_AGE=soon\nCORS_RESOURCES=/*\n")
    with pytest.raises(ConfigurationError) as at_start_up:
        load_settings()
    with caplog.at_level(logging.INFO, logger="service"):
        service.reload()
    lines = service_records(caplog)
    assert lines[0].startswith("reload refused, the CORS policy in force keeps serving")
    assert lines[1:] == [str(problem) for problem in at_start_up.value.problems]
    assert len(lines) > 2  # every problem, not the first one only
    assert await allowed(service, A) is None  # /healthz is outside the old /api/* resources
    assert service.state.settings.cors_origins == [A]


async def test_the_same_file_again_is_logged_as_unchanged(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = create_app()
    resources = service.app.resources  # the engine the service composes
    with caplog.at_level(logging.INFO, logger="service"):
        service.reload()
    assert service_records(caplog)[0].startswith("reload: CORS policy unchanged | ")
    assert service.app.resources is resources


async def test_a_changed_limit_waits_for_a_restart(workdir: Path, caplog: pytest.LogCaptureFixture) -> None:
    service = create_app()
    (workdir / ".env").write_text(f"CORS_ORIGINS={A}\nMAX_BODY_BYTES=10\n")
    with caplog.at_level(logging.INFO, logger="service"):
        service.reload()
    assert "reload: MAX_BODY_BYTES changed; it takes effect at the next restart" in service_records(caplog)
    assert service.state.settings.max_body_bytes == 1024 * 1024  # the default it started with


async def test_sighup_reloads_while_the_lifespan_runs(
    workdir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    service = create_app()
    (workdir / ".env").write_text(f"CORS_ORIGINS={A},{B}\nCORS_RESOURCES=/*\n")
    with caplog.at_level(logging.INFO, logger="service"):
        async with service.router.lifespan_context(service):
            await sighup_and_wait_for_reload(caplog)
    assert await allowed(service, B) == B
    # Once the lifespan ended, the handler is gone: SIGHUP's default would end the process.
    assert signal.getsignal(signal.SIGHUP) == signal.SIG_DFL

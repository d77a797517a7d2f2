"""The start-up line: every server process logs, once, its environment, CORS policy, limits, whether
the request-head guards are in use, and the version; in process and from real servers."""

from __future__ import annotations

import logging
import re
import subprocess
import sys
import time
import tomllib
from pathlib import Path
from typing import Any

import pytest

import flask_cors_asgi
from service import startup
from service.app import create_app
from service.startup import policy, startup_line
from settings.environments import ProductionSettings, TestSettings
from testing_support import ROOT, clean_env, free_port, serving, uvicorn_command
from tests.service.test_procfile import web_command

VERSION = flask_cors_asgi.__version__
LINE = re.compile(r"flask-cors-port \S+, APP_ENV=\w+ \| CORS .+ \| limits .+ \| request-head guards .+")


@pytest.mark.parametrize(
    ("options", "shown"),
    [
        pytest.param(
            {"origins": ["https://a.example", r"^https://[a-z]+\.b\.example$"], "resources": "/api/*"},
            r"/api/*: origins https://a.example,^https://[a-z]+\.b\.example$, credentials false, "
            "max_age none",
            id="app-level origins, a regex as written",
        ),
        pytest.param(
            {
                "supports_credentials": True,
                "resources": {"/api/*": {"origins": ["https://a.example"], "max_age": "600"}, "/p/*": {}},
            },
            "/api/*: origins https://a.example, credentials true, max_age 600; "
            "/p/*: origins *, credentials true, max_age none",
            id="per resource, Flask-CORS's default origins",
        ),
        pytest.param({"resources": ["/a", "/b"]}, "/a: origins *", id="a list of patterns"),
    ],
)
def test_policy_in_short(options: dict[str, Any], shown: str) -> None:
    assert policy(options).startswith(shown)


def test_the_line_names_environment_limits_guards_and_version() -> None:
    settings = ProductionSettings(cors_origins=["https://a.example"], max_body_bytes=100, header_timeout=2.5)
    line = startup_line(settings, guarded=True, version="1.2.3")
    assert LINE.fullmatch(line)
    assert line.startswith(
        "flask-cors-port 1.2.3, APP_ENV=production | CORS /api/*: origins https://a.example"
    )
    assert "MAX_BODY_BYTES=100 BODY_TIMEOUT=15 MAX_HEADER_BYTES=16384 HEADER_TIMEOUT=2.5" in line
    assert line.endswith("request-head guards on")
    assert "request-head guards OFF" in startup_line(settings, guarded=False, version="1.2.3")


async def test_the_lifespan_logs_it_once(caplog: pytest.LogCaptureFixture) -> None:
    app = create_app(TestSettings())
    with caplog.at_level(logging.INFO, logger="service"):
        async with app.router.lifespan_context(app):
            pass
    (record,) = [r for r in caplog.records if r.name == "service"]
    assert LINE.fullmatch(record.getMessage())


def test_the_version_is_the_distributions_read_from_the_checkout() -> None:
    # The slim runtime environment (./scripts/run) serves from the checkout without installing it,
    # so the version comes from the source that the distribution's metadata also reads.
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert project["tool"]["setuptools"]["dynamic"]["version"] == {"attr": "flask_cors_asgi.__version__"}
    assert re.fullmatch(r"\d+\.\d+\.\d+", startup.service_version())
    assert startup.service_version() == VERSION


def test_the_app_does_not_import_the_guarded_protocol() -> None:
    # head_guards_in_use() relies on it: only a server that uses the protocol imports its module.
    code = "import sys, service.app, service.startup; print(service.startup.head_guards_in_use())"
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "False"


def startup_lines(
    command: list[str], port: int, tmp_path: Path, expected: int, **variables: str
) -> list[str]:
    """The start-up lines a server wrote, once `expected` of them are there (or after 15 s)."""
    log = tmp_path / "output"
    env = clean_env(HOST="127.0.0.1", PORT=str(port), **variables)

    def lines() -> list[str]:
        return [line for line in log.read_text().splitlines() if LINE.search(line)]

    with (
        log.open("wb") as output,
        serving(command, f"http://127.0.0.1:{port}/healthz", env=env, cwd=tmp_path, output=output.fileno()),
    ):
        deadline = time.monotonic() + 15  # the workers start one after the other
        while len(lines()) < expected and time.monotonic() < deadline:
            time.sleep(0.1)
    return lines()


def test_each_worker_of_the_procfile_logs_it_once_with_the_guards_on(tmp_path: Path) -> None:
    lines = startup_lines(
        ["bash", "-c", web_command()],
        free_port(),
        tmp_path,
        2,
        WEB_CONCURRENCY="2",
        CORS_ORIGINS="https://app.example.com",
    )
    assert len(lines) == 2
    for line in lines:
        assert (
            f"flask-cors-port {VERSION}, APP_ENV=production | CORS /api/*: origins https://app.example.com"
            in line
        )
        assert line.endswith("request-head guards on")


def test_plain_uvicorn_logs_it_with_the_guards_off(tmp_path: Path) -> None:
    port = free_port()
    (line,) = startup_lines(uvicorn_command("service.app:create_app", port, "--factory"), port, tmp_path, 1)
    assert "APP_ENV=development" in line
    assert "request-head guards OFF" in line

"""The Procfile's own `web:` command, started as a real process on a real socket (127.0.0.1)."""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from testing_support import ROOT, clean_env, free_port

ORIGIN = "https://app.example.com"


def web_command() -> str:
    for line in (ROOT / "Procfile").read_text().splitlines():
        if line.startswith("web:"):
            return line.removeprefix("web:").strip()
    raise AssertionError("Procfile has no web: process")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, subprocess.Popen[str]]]:
    port = free_port()
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CORS_", "APP_ENV"))},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOST": "127.0.0.1",  # the platform's 0.0.0.0, kept on loopback for the test
        "PORT": str(port),
        "WEB_CONCURRENCY": "2",
        "FORWARDED_ALLOW_IPS": "127.0.0.1",
        "APP_ENV": "production",
        "CORS_ORIGINS": ORIGIN,
    }
    process = subprocess.Popen(
        ["bash", "-c", web_command()],
        cwd=tmp_path_factory.mktemp("procfile"),  # no .env files from the checkout
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise AssertionError(f"the web process did not start:\n{process.communicate()[0]}")
        time.sleep(0.1)
    yield base, process
    if process.poll() is None:
        process.kill()
        process.communicate()


def test_procfile_names_the_platform_variables() -> None:
    environment, check, serve = web_command().split(" && ")
    assert environment == "export APP_ENV=${APP_ENV:-production}"
    assert shlex.split(check) == ["python", "-m", "settings", "--check"]
    assert shlex.split(serve)[:4] == ["exec", "python", "-m", "service"]
    for variable in ("PORT", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"):
        assert f"${{{variable}" in serve


def test_run_script_serves_as_the_procfile_does() -> None:
    run = shlex.split((ROOT / "scripts" / "run").read_text(), comments=True)
    assert run[run.index("exec") + 1 :][:3] == [".venv-run/bin/python", "-m", "service"]


def test_request_heads_are_guarded(server: tuple[str, subprocess.Popen[str]]) -> None:
    # service/server.py's protocol is the one serving, in every worker: a 431, where plain uvicorn
    # with httptools accepts any header size (tests/service/test_hostile.py has the rest).
    base, _ = server
    response = httpx.get(f"{base}/healthz", headers={"X-Big": "a" * 20_000})
    assert (response.status_code, response.headers["content-type"]) == (431, "application/json")


def test_a_deploy_without_configuration_is_production_and_refused(tmp_path: Path) -> None:
    # No APP_ENV, no CORS_ORIGINS: a development deploy would serve the development policy.
    env = clean_env(HOST="127.0.0.1", PORT=str(free_port()), WEB_CONCURRENCY="2")
    result = subprocess.run(
        ["bash", "-c", web_command()], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 1
    (refusal,) = [line for line in result.stderr.splitlines() if "[E010]" in line]
    assert "CORS_ORIGINS" in refusal
    assert "Uvicorn running" not in result.stderr + result.stdout


def test_refused_configuration_stops_before_any_worker_starts(tmp_path: Path) -> None:
    # Without the check first, uvicorn would restart the failing workers forever.
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("CORS_", "APP_ENV"))},
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
        "HOST": "127.0.0.1",
        "PORT": str(free_port()),
        "WEB_CONCURRENCY": "2",
        "APP_ENV": "production",
        "CORS_HEADERS": "Content-Type",
    }
    result = subprocess.run(
        ["bash", "-c", web_command()],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "CORS_ORIGINS" in result.stderr
    assert "[E010]" in result.stderr
    assert "CORS_HEADERS" in result.stderr
    assert "[E001]" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    assert "Uvicorn running" not in result.stderr


def test_serves_api_foo_with_the_configured_policy(server: tuple[str, subprocess.Popen[str]]) -> None:
    base, _ = server
    allowed = httpx.post(f"{base}/api/foo", json={"inputVar": 21}, headers={"Origin": ORIGIN})
    assert allowed.json() == {"result": 42}
    assert allowed.headers["access-control-allow-origin"] == ORIGIN
    other = httpx.post(f"{base}/api/foo", json={"inputVar": 21}, headers={"Origin": "https://evil.example"})
    # CORS is not access control: under Flask-CORS the request would run, only its answer withheld
    # from the page. The cross-origin protection, on in production, refuses it before it runs.
    assert (other.status_code, other.json()["error"]) == (403, "cross-origin request refused")
    assert "access-control-allow-origin" not in other.headers


def test_trusts_proxy_headers_and_stops_cleanly_on_sigterm(server: tuple[str, subprocess.Popen[str]]) -> None:
    base, process = server
    response = httpx.get(f"{base}/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    assert response.status_code == 200
    process.send_signal(signal.SIGTERM)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 0, output
    assert "203.0.113.9" in output  # the access log shows the forwarded client, not 127.0.0.1
    assert "Traceback" not in output

"""gunicorn with the service's worker class (service/worker.py), as a real process on 127.0.0.1:
the request-head guards hold (408 for a head that does not arrive in time, 431 for one too large),
the policy and the start-up line are the service's, a refused configuration stops gunicorn instead
of booting workers for ever, and SIGTERM ends it cleanly."""

from __future__ import annotations

import signal
import socket
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace

import httpx
import pytest
from gunicorn.arbiter import Arbiter

from service.worker import GuardedUvicornWorker
from testing_support import PYTHON, clean_env, free_port, serving

ORIGIN = "https://app.example.com"
HEADER_TIMEOUT = 1.0
SLACK = 1.5  # how late a deadline may fire on a busy two-core machine
WORKERS = 2


def gunicorn_command(port: int) -> list[str]:
    """What docs/service.md (Deploying) gives gunicorn users (no control socket: tests run several)."""
    return [
        PYTHON, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(WORKERS),
        "--no-control-socket", "-k", "service.worker.GuardedUvicornWorker", "service.app:create_app()",
    ]  # fmt: skip


@dataclass
class Server:
    port: int
    process: subprocess.Popen[bytes]
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    directory = tmp_path_factory.mktemp("gunicorn")  # no .env files from the checkout
    port = free_port()
    env = clean_env(APP_ENV="production", CORS_ORIGINS=ORIGIN, HEADER_TIMEOUT=str(HEADER_TIMEOUT))
    log = directory / "server.log"
    with (
        log.open("wb") as output,
        serving(
            gunicorn_command(port),
            f"http://127.0.0.1:{port}/healthz",
            env=env,
            cwd=directory,
            output=output.fileno(),
        ) as process,
    ):
        yield Server(port, process, log)


def test_serves_the_service_with_its_policy(server: Server) -> None:
    response = httpx.post(f"{server.base}/api/foo", json={"inputVar": 21}, headers={"Origin": ORIGIN})
    assert response.json() == {"result": 42}
    assert response.headers["access-control-allow-origin"] == ORIGIN
    assert "server" not in response.headers  # the deployed default: no Server header


def test_a_head_too_large_gets_431(server: Server) -> None:
    response = httpx.get(f"{server.base}/healthz", headers={"X-Big": "a" * 20_000})
    assert (response.status_code, response.headers["content-type"]) == (431, "application/json")


def test_a_head_that_does_not_arrive_in_time_gets_408(server: Server) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=HEADER_TIMEOUT + SLACK + 5) as sock:
        started = time.monotonic()
        sock.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n")  # the blank line never comes
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
        waited = time.monotonic() - started
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answer.endswith(b'{"error":"request headers not received within 1 s"}')
    assert HEADER_TIMEOUT - 0.1 <= waited <= HEADER_TIMEOUT + SLACK


def test_each_worker_logs_the_start_up_line_with_the_guards_on(server: Server) -> None:
    deadline = time.monotonic() + 15  # the workers start one after the other
    while time.monotonic() < deadline:
        lines = [line for line in server.log.read_text().splitlines() if "flask-cors-port " in line]
        if len(lines) == WORKERS:
            break
        time.sleep(0.1)
    assert len(lines) == WORKERS
    assert all("APP_ENV=production" in line and line.endswith("request-head guards on") for line in lines)


def test_sigterm_stops_it_cleanly(server: Server) -> None:
    # Last in this module: it ends the shared server.
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=30) == 0
    output = server.log.read_text()
    assert output.count("Finished server process") == WORKERS
    assert "Traceback" not in output


def test_a_refused_configuration_stops_gunicorn_before_any_worker_boots(tmp_path: Path) -> None:
    # uvicorn-worker's own class exits 1 and gunicorn boots another worker, for ever.
    env = clean_env(APP_ENV="production")
    result = subprocess.run(
        gunicorn_command(free_port()), cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60
    )
    assert result.returncode == Arbiter.APP_LOAD_ERROR
    assert "[E010]" in result.stderr
    assert "Booting worker" not in result.stderr
    assert "Traceback" not in result.stderr


def test_a_worker_refusing_its_settings_stops_gunicorn() -> None:
    # Should the worker's own reading refuse what the master's accepted: the status that stops
    # gunicorn, not create_app's 1, which gunicorn answers by booting the worker again.
    def refuse() -> None:
        raise SystemExit(1)

    worker = object.__new__(GuardedUvicornWorker)  # its __init__ needs a running arbiter
    worker.app = SimpleNamespace(wsgi=refuse)
    with pytest.raises(SystemExit) as exit_:
        worker.load_wsgi()
    assert exit_.value.code == Arbiter.APP_LOAD_ERROR

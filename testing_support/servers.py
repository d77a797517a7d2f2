"""Real server processes on 127.0.0.1 for tests and the benchmark: start a command, wait until it
answers, stop it. Every wait is bounded."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx

from settings import BaseAppSettings

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


# Variables that configure the service (its settings, any CORS_*) or uvicorn (UVICORN_*).
SERVICE_VARIABLES = frozenset(("APP_ENV", *(name.upper() for name in BaseAppSettings.model_fields)))


def is_service_variable(name: str) -> bool:
    # pydantic-settings matches names case-insensitively, so `cors_origins` counts too.
    return name.upper() in SERVICE_VARIABLES or name.upper().startswith(("CORS_", "UVICORN_"))


def clean_env(**overrides: str) -> dict[str, str]:
    """This process's environment without the service's or uvicorn's settings, with the venv's bin
    first on PATH, plus `overrides`."""
    env = {k: v for k, v in os.environ.items() if not is_service_variable(k)}
    env["PATH"] = f"{Path(PYTHON).parent}{os.pathsep}{env.get('PATH', '')}"
    env.update(overrides)
    return env


def uvicorn_command(app: str, port: int, *options: str) -> list[str]:
    return [PYTHON, "-m", "uvicorn", app, "--host", "127.0.0.1", "--port", str(port), *options]


def gunicorn_command(app: str, port: int, *options: str) -> list[str]:
    # --no-control-socket: gunicorn 27 otherwise opens ~/.gunicorn/gunicorn.ctl, one path for every
    # gunicorn the tests and the benchmark run at once.
    return [
        PYTHON, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--log-level", "warning",
        "--no-control-socket", *options, app,
    ]  # fmt: skip


def wait_until_serving(process: subprocess.Popen[bytes], url: str, timeout: float = 30) -> None:
    """Return once `url` answers any HTTP response; raise if the process exits or time runs out."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            httpx.get(url, timeout=1)
            return
        except httpx.TransportError:
            pass
        if process.poll() is not None:
            raise RuntimeError(f"the server exited with status {process.returncode} before serving {url}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the server did not answer {url} within {timeout:g} s")
        time.sleep(0.05)


def stop(process: subprocess.Popen[bytes], timeout: float = 30) -> int:
    """SIGTERM, then SIGKILL if it has not exited within `timeout`; the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


@contextmanager
def serving(
    command: Sequence[str],
    ready_url: str,
    *,
    env: Mapping[str, str] | None = None,
    cwd: Path = ROOT,
    output: int | None = subprocess.DEVNULL,
    timeout: float = 30,
) -> Iterator[subprocess.Popen[bytes]]:
    """Run `command` until the block ends (stopped with SIGTERM), once `ready_url` answers."""
    process = subprocess.Popen(
        list(command),
        cwd=cwd,
        env=dict(env) if env is not None else clean_env(),
        stdout=output,
        stderr=subprocess.STDOUT if output == subprocess.PIPE else output,
    )
    try:
        wait_until_serving(process, ready_url, timeout)
        yield process
    finally:
        stop(process)


# seconds; refusing a configuration takes one or two interpreter start-ups (about 1 s)
REFUSAL_BOUND = 15.0


def run_bounded(command: list[str], env: dict[str, str], cwd: Path) -> tuple[int, str]:
    """Run `command` in its own process group; its status and output, or a failure (after killing
    the group, workers included) if it is still running after REFUSAL_BOUND seconds."""
    process = subprocess.Popen(
        command,
        cwd=cwd,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        output, _ = process.communicate(timeout=REFUSAL_BOUND)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        output, _ = process.communicate()
        raise AssertionError(f"still running {REFUSAL_BOUND:g} s after start:\n{output[-3000:]}") from None
    return process.returncode, output

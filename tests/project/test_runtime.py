"""The slim runtime: `./scripts/run` serves from `.venv-run`, built from requirements-runtime.lock
only (what serving needs, at the development lock's versions), and says what it is doing while it
sets up. The last test is a first run in a copy of the checkout, as a new operator's would be."""

from __future__ import annotations

import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import httpx

import flask_cors_asgi
from testing_support import ROOT, clean_env, free_port, wait_until_serving

RUNTIME_LOCK = ROOT / "requirements-runtime.lock"
DEVELOPMENT_LOCK = ROOT / "requirements.lock"
# Development tools and benchmark peers that serving never needs.
NOT_FOR_SERVING = (
    "flask", "flask-cors", "fastapi", "gunicorn", "hypothesis", "httpx", "matplotlib", "mypy",
    "numpy", "pillow", "pytest", "ruff", "websockets",
)  # fmt: skip
SIZE_LIMIT_MB = 150
SETUP_BOUND = 300  # seconds for the first run's install (pip downloads what its cache lacks)


def pins(lock: Path) -> dict[str, tuple[str, frozenset[str]]]:
    """name -> (version, hashes) of every package a lock pins."""
    found: dict[str, tuple[str, frozenset[str]]] = {}
    for block in re.split(r"\n(?=\S)", lock.read_text()):
        match = re.match(r"([A-Za-z0-9._-]+)==(\S+)", block)
        if match:
            hashes = frozenset(re.findall(r"--hash=(sha256:[0-9a-f]+)", block))
            found[match[1].lower()] = (match[2], hashes)
    return found


def test_the_runtime_lock_pins_what_the_development_lock_pins() -> None:
    runtime, development = pins(RUNTIME_LOCK), pins(DEVELOPMENT_LOCK)
    assert runtime
    assert all(hashes for _, hashes in runtime.values())
    assert {name: development.get(name) for name in runtime} == runtime


def test_the_runtime_lock_has_nothing_serving_does_not_need() -> None:
    assert set(pins(RUNTIME_LOCK)) & set(NOT_FOR_SERVING) == set()
    assert {"starlette", "uvicorn", "httptools", "uvloop", "pydantic-settings"} <= set(pins(RUNTIME_LOCK))


def checkout_copy(destination: Path) -> Path:
    """This working tree's files (tracked, and untracked ones git does not ignore), as a clone has them."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (destination / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, destination / name)
    return destination


def size_mb(directory: Path) -> float:
    return sum(path.lstat().st_size for path in directory.rglob("*")) / 1e6


def test_a_first_run_sets_up_a_slim_environment_and_serves(tmp_path: Path) -> None:
    checkout = checkout_copy(tmp_path / "checkout")
    port = free_port()
    log = tmp_path / "output"
    started = time.monotonic()
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["./scripts/run", "--port", str(port)],
            cwd=checkout,
            env=clean_env(),
            stdout=output,
            stderr=subprocess.STDOUT,
        )
        try:
            wait_until_serving(process, f"http://127.0.0.1:{port}/healthz", timeout=SETUP_BOUND)
            first_run = time.monotonic() - started
            assert httpx.get(f"http://127.0.0.1:{port}/healthz").text == "ok"
        finally:
            process.send_signal(signal.SIGTERM)
            status = process.wait(timeout=30)
    text = log.read_text()
    version = flask_cors_asgi.__version__
    venv = checkout / ".venv-run"
    print(f"\nfirst ./scripts/run: serving after {first_run:.1f} s; .venv-run {size_mb(venv):.0f} MB")

    assert status == 0, text
    assert "setup: installing only what serving needs into .venv-run" in text
    assert "setup: .venv-run ready" in text
    assert "APP_ENV=development" in text
    assert "request-head guards on" in text
    assert f"flask-cors-port {version}," in text  # the checkout's, though nothing of it is installed
    assert size_mb(venv) < SIZE_LIMIT_MB
    assert not (checkout / ".venv").exists()  # the development environment is not built
    freeze = subprocess.run(
        [venv / "bin" / "python", "-m", "pip", "list", "--format=freeze", "--disable-pip-version-check"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    installed = {line.split("==")[0].lower().replace("_", "-") for line in freeze.split()}
    assert installed & set(NOT_FOR_SERVING) == set()

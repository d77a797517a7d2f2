"""The benchmark suite keeps working: one tiny run of every part, in a subprocess. Figures are not
asserted (speed is measured by ./scripts/bench itself, never by tests); correctness is: every peer
answers the benchmark requests as the service does, the engine answers the hostile inputs exactly as
Flask-CORS, the longest head is the longest the service accepts, and no load run sees an error."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from starlette.types import ASGIApp

from bench import ceiling, endtoend, floor, hostile, inprocess, peers, ratios
from bench.__main__ import main as bench_main
from testing_support import PYTHON, ROOT, RawReq, clean_env, free_port, send_asgi_raw, serving


def run_bench(*args: str) -> subprocess.CompletedProcess[str]:
    command = [sys.executable, "-m", "bench", *args]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)


@pytest.mark.parametrize("kind", inprocess.KINDS)
@pytest.mark.parametrize("bare", [floor.app, ceiling.app], ids=["floor", "ceiling"])
def test_the_bare_peers_answer_exactly_as_the_service(bare: ASGIApp, kind: str) -> None:
    request = inprocess.REQUESTS[kind]
    service = asyncio.run(send_asgi_raw(peers.in_process_apps()["this service"], request))
    assert asyncio.run(send_asgi_raw(bare, request)) == service  # status, every header line, body


def test_every_peer_answers_the_benchmark_requests() -> None:
    assert inprocess.check_apps() == []
    assert inprocess.check_scaling_configs() == []


def test_the_engine_answers_every_hostile_input_as_flask_cors() -> None:
    assert hostile.check_cases() == []


def status_of(port: int, request: RawReq, host: str) -> int:
    """The status the server answers a request with, sent as one head over a new connection."""
    head = f"{request.method} {request.path} HTTP/1.1\r\nhost: {host}\r\n".encode()
    head += b"".join(k + b": " + v + b"\r\n" for k, v in request.header_lines()) + b"\r\n"
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(head)
        answer = b""
        while b"\r\n" not in answer:
            chunk = sock.recv(4096)
            assert chunk, answer
            answer += chunk
    return int(answer.split()[1])


def one_byte_more(request: RawReq, name: bytes) -> RawReq:
    headers = tuple((k, v + b"0" if k == name else v) for k, v in request.headers)
    return RawReq(request.method, request.path, headers, request.body)


@pytest.fixture(scope="module")
def service_port() -> Iterator[int]:
    """The service as deployed (`python -m service`), on 127.0.0.1."""
    port = free_port()
    command = [PYTHON, "-m", "service", "--host", "127.0.0.1", "--port", str(port), "--log-level", "error"]
    with serving(command, f"http://127.0.0.1:{port}/healthz", env=clean_env(**peers.service_env())):
        yield port


@pytest.mark.parametrize(
    ("build", "name"),
    [(hostile.longest_names, b"access-control-request-headers"), (hostile.longest_origin, b"origin")],
    ids=["names", "origin"],
)
def test_the_longest_heads_are_the_longest_the_service_accepts(
    service_port: int, build: Callable[[int, str], RawReq], name: bytes
) -> None:
    host = f"127.0.0.1:{service_port}"
    request = build(7, host)
    assert hostile.head_bytes(request, host) == hostile.MAX_HEADER_BYTES
    assert status_of(service_port, request, host) == 200
    assert status_of(service_port, one_byte_more(request, name), host) == 431


def test_a_warm_up_sends_both_requests_in_turn(service_port: int) -> None:
    if shutil.which("wrk") is None:
        pytest.skip("wrk not found: ./scripts/install-tools installs Debian's wrk")
    url = f"http://127.0.0.1:{service_port}/api/foo"
    figures = endtoend.run_wrk(url, list(inprocess.REQUESTS.values()), 2, 1, pin=False)
    assert figures["requests"] > 0
    assert figures["errors"] == 0, figures


def test_a_tiny_run_of_every_part(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        if os.environ.get("CI"):
            pytest.fail("wrk is required in CI: ./scripts/install-tools")
        pytest.skip("wrk not found: ./scripts/install-tools installs Debian's wrk")
    args = ["--requests", "200", "--repeats", "1", "--duration", "1", "--warmup", "0", "--concurrency", "2"]
    args += ["--rounds", "1", "--runs", "1", "--connections", "2"]
    result = run_bench(*args, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Targets" in result.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results["inprocess"]["POST"]) == set(results["inprocess"]["preflight"])
    assert len(results["inprocess"]["POST"]) == 8
    assert len(results["hostile"]) == 6
    assert all(len(case["apps"]) == 3 for case in results["hostile"].values())
    runs = [run for server in results["endtoend"].values() for run in server.values()]
    runs += [run for count in results["workers"].values() for run in count.values()]
    assert len(runs) == 6 * 2 + 2
    modes = results["ratios"]
    assert set(modes) == {"plain uvicorn", "guarded protocol"}
    for mode in modes.values():
        (run,) = mode["runs"]
        runs += [r for servers in run["rounds"].values() for rounds in servers.values() for r in rounds]
        assert set(mode["ratio"]["POST"]) >= {ratios.CEILING, ratios.FLOOR, ratios.NAIVE}
    # endtoend and workers, then ratios: 4 servers x 2 kinds per mode, and Flask's POST in plain uvicorn.
    assert len(runs) == 6 * 2 + 2 + (4 * 2 + 1) + 4 * 2
    assert all(run["requests"] > 0 and run["errors"] == 0 for run in runs), runs
    assert set(results["scaling"]) == {"literal origins", "regex origins", "resources"}
    names = [t["target"] for t in results["targets"]]
    assert all(
        any(name.startswith(start) for name in names)
        for start in {
            "engine's added cost / stock CORSMiddleware's added cost",
            "service / Flask-CORS gunicorn sync, req/s",
            "service / bare ASGI floor, req/s",
            "service / Starlette router (ceiling), req/s",
            "service / naive Starlette + stock CORSMiddleware, req/s",
            "engine on a hostile preflight / its ordinary one",
            "engine / Starlette + stock CORSMiddleware, µs per request",
            "engine / Flask + Flask-CORS, µs per request",
        }
    ), names
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "results.md").read_text().count("| --- |") == 7


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--parts", "inprocess,nope"], "--parts: unknown nope"),
        (["--modes", "guarded,plane"], "--modes: unknown plane"),
        (["--runs", "0"], "--rounds and --runs must be in [1, 100]"),
        (["--rounds", "x"], "invalid int value"),
    ],
)
def test_bad_arguments_are_one_line_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exited:
        bench_main(args)
    assert exited.value.code == 2
    error = capsys.readouterr().err
    assert message in error
    assert len(error.splitlines()) == 1

"""The benchmark suite keeps working: one tiny run of every part, in a subprocess. Figures are not
asserted (speed is measured by ./scripts/bench itself, never by tests); correctness is: every peer
answers the benchmark requests as the service does, and no load run sees an error."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.types import ASGIApp

from bench import ceiling, floor, inprocess, peers
from tests.differential import send_asgi_raw

ROOT = Path(__file__).resolve().parent.parent


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


def test_a_tiny_run_of_every_part(tmp_path: Path) -> None:
    if shutil.which("wrk") is None:
        if os.environ.get("CI"):
            pytest.fail("wrk is required in CI: ./scripts/install-tools")
        pytest.skip("wrk not found: ./scripts/install-tools installs Debian's wrk")
    args = ["--requests", "200", "--repeats", "1", "--duration", "1", "--warmup", "0", "--concurrency", "2"]
    result = run_bench(*args, "--out", str(tmp_path))
    assert result.returncode == 0, result.stderr
    assert "Targets" in result.stdout
    results = json.loads((tmp_path / "results.json").read_text())
    assert set(results["inprocess"]["POST"]) == set(results["inprocess"]["preflight"])
    assert len(results["inprocess"]["POST"]) == 8
    runs = [run for server in results["endtoend"].values() for run in server.values()]
    runs += [run for count in results["workers"].values() for run in count.values()]
    assert len(runs) == 6 * 2 + 2
    assert all(run["requests"] > 0 and run["errors"] == 0 for run in runs), runs
    assert set(results["scaling"]) == {"literal origins", "regex origins", "resources"}
    assert {t["target"].split(" (")[0] for t in results["targets"]} >= {
        "engine's added cost / stock CORSMiddleware's added cost",
        "service / Flask-CORS gunicorn sync, req/s",
        "service / bare ASGI floor, req/s",
    }
    assert (tmp_path / "chart.png").read_bytes().startswith(b"\x89PNG")
    assert (tmp_path / "results.md").read_text().count("| --- |") == 5


def test_bad_arguments_are_one_line_errors() -> None:
    result = run_bench("--parts", "inprocess,nope")
    assert result.returncode == 2
    assert "unknown part(s) nope" in result.stderr
    assert "Traceback" not in result.stderr

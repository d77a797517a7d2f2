"""End to end over loopback: each server on 127.0.0.1, pinned to core 0 with taskset; wrk (from
Debian) pinned to core 1, one thread, C keep-alive connections, a fixed duration. wrk reports
requests/s, latency percentiles and errors through a Lua `done` hook; the server's resident memory
(VmRSS summed over its process tree) is read from /proc after each run.

Before any timing, every server must answer both benchmark requests correctly (200, the expected
JSON, Access-Control-Allow-Origin for the allowed origin): a fast wrong answer is not a result.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from bench import peers, workload
from bench.inprocess import REQUESTS
from testing_support import PYTHON, RawReq, clean_env, free_port, gunicorn_command, serving, uvicorn_command

SERVER_CORE, LOAD_CORE = "0", "1"
UVICORN_FAST = ("--http", "httptools", "--loop", "uvloop", "--no-access-log", "--log-level", "warning")
GTHREAD_THREADS = 8
# The servers the report and the other parts name (results are keyed by a server's name).
SERVICE = "this service, uvicorn"
FLOOR = "floor (bare ASGI), uvicorn"
FLASK_SYNC = "Flask + Flask-CORS, gunicorn sync"


@dataclass(frozen=True)
class Server:
    name: str
    argv: Callable[[int], list[str]]  # the command line for a port
    env: dict[str, str] = field(default_factory=dict)


def servers() -> list[Server]:
    """The servers compared end to end."""
    quiet = ("--loop", "uvloop", "--log-level", "warning")
    return [
        Server(FLOOR, uvicorn_argv("bench.floor:app", *UVICORN_FAST)),
        # As deployed (`python -m service`: its guarded httptools protocol), access log off.
        Server(SERVICE, service_argv(*quiet, "--no-access-log"), peers.service_env()),
        Server("this service, uvicorn, access log on", service_argv(*quiet), peers.service_env()),
        Server("FastAPI + CORSMiddleware, uvicorn", uvicorn_argv("bench.fastapi_peer:app", *UVICORN_FAST)),
        Server(FLASK_SYNC, gunicorn_argv("--worker-class", "sync")),
        Server(
            "Flask + Flask-CORS, gunicorn gthread",
            gunicorn_argv("--worker-class", "gthread", "--threads", str(GTHREAD_THREADS)),
        ),
    ]


def uvicorn_argv(app: str, *options: str) -> Callable[[int], list[str]]:
    return lambda port: uvicorn_command(app, port, *options)


def service_argv(*options: str) -> Callable[[int], list[str]]:
    """`python -m service` (as deployed) on 127.0.0.1."""
    return lambda port: [PYTHON, "-m", "service", "--host", "127.0.0.1", "--port", str(port), *options]


def gunicorn_argv(*options: str) -> Callable[[int], list[str]]:
    """The article's Flask app under one gunicorn worker."""
    return lambda port: gunicorn_command(peers.FLASK_APP, port, "--workers", "1", *options)


# --- wrk --------------------------------------------------------------------------------------------

LUA = """
{requests}
function done(summary, latency, requests)
  local e = summary.errors
  io.write(string.format(
    '\\nRESULT {{"requests": %d, "duration_us": %d, "bytes": %d, "connect": %d, "read": %d, '
    .. '"write": %d, "status": %d, "timeout": %d, "p50_us": %d, "p99_us": %d, "max_us": %d}}\\n',
    summary.requests, summary.duration, summary.bytes, e.connect, e.read, e.write, e.status,
    e.timeout, latency:percentile(50), latency:percentile(99), latency.max))
end
"""

# One request: wrk builds it once. Several (warm-ups): a Lua call per request, taking them in turn.
ONE = """
wrk.method = {method}
wrk.body = {body}
{headers}
"""
SEVERAL = """
local requests = {{}}
function init(args)
{formats}
end
local next_one = 0
function request()
  next_one = next_one % #requests + 1
  return requests[next_one]
end
"""


def lua_string(text: str) -> str:
    return json.dumps(text)  # a JSON string literal is a valid Lua string literal for this ASCII text


def wrk_script(requests: Sequence[RawReq]) -> str:
    if len(requests) == 1:
        (request,) = requests
        headers = "\n".join(
            f"wrk.headers[{lua_string(k.decode())}] = {lua_string(v.decode())}" for k, v in request.headers
        )
        one = ONE.format(
            method=lua_string(request.method), body=lua_string(request.body.decode()), headers=headers
        )
        return LUA.format(requests=one)
    formats = "\n".join(
        f"  requests[{i}] = wrk.format({lua_string(r.method)}, nil, {{"
        + ", ".join(f"[{lua_string(k.decode())}] = {lua_string(v.decode())}" for k, v in r.headers)
        + f"}}, {lua_string(r.body.decode())})"
        for i, r in enumerate(requests, 1)
    )
    return LUA.format(requests=SEVERAL.format(formats=formats))


def find_wrk() -> str | None:
    return shutil.which("wrk")


def run_wrk(
    url: str, requests: Sequence[RawReq], connections: int, duration: int, pin: bool
) -> dict[str, Any]:
    """wrk's figures for `duration` s of `requests` (several: taken in turn) over `connections`."""
    wrk = find_wrk()
    if wrk is None:
        raise RuntimeError("wrk not found: install Debian's wrk (./scripts/install-tools)")
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(wrk_script(requests))
    try:
        command = [
            wrk,
            "-t1",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "5s",
            "-s",
            script.name,
            url,
        ]
        if pin:
            command = ["taskset", "-c", LOAD_CORE, *command]
        done = subprocess.run(command, capture_output=True, text=True, timeout=duration + 30, check=False)
    finally:
        os.unlink(script.name)
    line = next((ln for ln in done.stdout.splitlines() if ln.startswith("RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed (exit {done.returncode}): {done.stderr.strip() or done.stdout}")
    raw = json.loads(line.removeprefix("RESULT "))
    errors = sum(raw[k] for k in ("connect", "read", "write", "status", "timeout"))
    seconds = raw["duration_us"] / 1e6
    return {
        "requests_per_s": raw["requests"] / seconds,
        "requests": raw["requests"],
        "p50_ms": raw["p50_us"] / 1000,
        "p99_ms": raw["p99_us"] / 1000,
        "max_ms": raw["max_us"] / 1000,
        "errors": errors,
        "error_kinds": {k: raw[k] for k in ("connect", "read", "write", "status", "timeout") if raw[k]},
    }


# --- Servers ----------------------------------------------------------------------------------------


def tree_rss_kib(pid: int) -> int:
    """VmRSS of `pid` and all its descendants, in KiB (Linux /proc)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        total += next((int(ln.split()[1]) for ln in status.splitlines() if ln.startswith("VmRSS:")), 0)
        for task in Path(f"/proc/{current}/task").glob("*"):
            with suppress(OSError):
                pending += [int(child) for child in (task / "children").read_text().split()]
    return total


@contextmanager
def started(server: Server, pin: bool, workers: int = 1) -> Iterator[tuple[str, int]]:
    """The server running on a free port (pinned to SERVER_CORE when `pin`): (base URL, pid)."""
    port = free_port()
    argv = server.argv(port)
    if workers > 1:
        argv += ["--workers", str(workers)]
    if pin:
        argv = ["taskset", "-c", SERVER_CORE, *argv]
    url = f"http://127.0.0.1:{port}"
    with serving(argv, f"{url}/", env=clean_env(**server.env)) as process:
        yield url, process.pid


def check_answers(url: str) -> list[str]:
    """What is wrong with the live server's answers to the benchmark requests."""
    problems = []
    with httpx.Client(base_url=url, timeout=10) as client:
        for kind, request in REQUESTS.items():
            response = client.request(
                request.method, request.path, headers=list(request.headers), content=request.body
            )
            acao = response.headers.get("access-control-allow-origin")
            if response.status_code != 200 or acao != workload.ORIGIN:
                problems.append(f"{kind}: status {response.status_code}, allow-origin {acao!r}")
            elif kind == "POST" and response.json() != workload.RESULT:
                problems.append(f"{kind}: body {response.text!r}")
    return problems


def measure_server(
    server: Server,
    concurrencies: Sequence[int],
    duration: int,
    warmup: int = 1,
    pin: bool = True,
    workers: int = 1,
    kinds: Sequence[str] = tuple(REQUESTS),
) -> dict[str, Any]:
    """Per request kind and concurrency: wrk's figures plus the server's RSS after the run. One
    warm-up first (`warmup` s, the kinds in turn, at the largest concurrency) lets connection
    set-up, caches and first calls settle."""
    results: dict[str, Any] = {}
    with started(server, pin, workers) as (url, pid):
        problems = check_answers(url)
        if problems:
            raise RuntimeError(f"{server.name} answers wrongly: " + "; ".join(problems))
        if warmup:
            run_wrk(f"{url}{workload.PATH}", [REQUESTS[k] for k in kinds], max(concurrencies), warmup, pin)
        for kind in kinds:
            for connections in concurrencies:
                figures = run_wrk(f"{url}{workload.PATH}", [REQUESTS[kind]], connections, duration, pin)
                figures["rss_mib"] = tree_rss_kib(pid) / 1024
                results[f"{kind} c={connections}"] = figures
    return results

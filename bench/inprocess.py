"""In-process cost per request: apps driven directly (ASGI: `await app(scope, receive, send)`;
WSGI: `app(environ, start_response)`), with no server and no socket, so the figures are the
frameworks' own cost.

Every timed run makes N requests with the garbage collector off; every repeat times each app once,
in a rotating order so machine noise hits them alike; the figure is the median over the repeats.
"""

from __future__ import annotations

import asyncio
import gc
import io
import json
import statistics
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope

from bench import peers
from service.cors import CORSMiddleware
from service.cors.decision import CORSRequest, cors_headers, match_resource

KINDS = ("POST", "preflight")


@dataclass(frozen=True)
class Request:
    method: str
    headers: tuple[tuple[str, str], ...]
    body: bytes


REQUESTS = {
    "POST": Request(
        "POST",
        (
            ("host", "127.0.0.1:8000"),
            ("origin", peers.ORIGIN),
            ("content-type", "application/json"),
            ("content-length", str(len(peers.BODY))),
        ),
        peers.BODY,
    ),
    "preflight": Request(
        "OPTIONS",
        (
            ("host", "127.0.0.1:8000"),
            ("origin", peers.ORIGIN),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ),
        b"",
    ),
}


def asgi_scope(request: Request, path: str = peers.PATH) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": request.method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(k.encode("latin-1"), v.encode("latin-1")) for k, v in request.headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def wsgi_environ(request: Request, path: str = peers.PATH) -> dict[str, Any]:
    environ: dict[str, Any] = {
        "REQUEST_METHOD": request.method,
        "SCRIPT_NAME": "",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "8000",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.version": (1, 0),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
        "wsgi.multithread": False,
        "wsgi.multiprocess": False,
        "wsgi.run_once": False,
    }
    for name, value in request.headers:
        key = name.upper().replace("-", "_")
        environ[key if key in ("CONTENT_TYPE", "CONTENT_LENGTH") else f"HTTP_{key}"] = value
    return environ


@dataclass
class Answer:
    status: int
    headers: list[tuple[str, str]]
    body: bytes

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name), None)


def _receive(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def _discard(message: Message) -> None:
    return None


async def asgi_answer(app: ASGIApp, request: Request, path: str = peers.PATH) -> Answer:
    messages: list[Message] = []

    async def record(message: Message) -> None:
        messages.append(message)

    await app(asgi_scope(request, path), _receive(request.body), record)
    start = next(m for m in messages if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in messages if m["type"] == "http.response.body")
    headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in start.get("headers", [])]
    return Answer(start["status"], headers, body)


def wsgi_answer(app: Callable[..., Iterable[bytes]], request: Request, path: str = peers.PATH) -> Answer:
    started: list[Any] = []
    environ = wsgi_environ(request, path)
    environ["wsgi.input"] = io.BytesIO(request.body)
    result = app(environ, lambda status, headers, exc_info=None: started.extend((status, headers)))
    try:
        body = b"".join(result)
    finally:
        close = getattr(result, "close", None)
        if close is not None:
            close()
    return Answer(int(started[0].split()[0]), list(started[1]), body)


# --- Timed runs -------------------------------------------------------------------------------------

Runner = Callable[[int], float]  # n requests -> elapsed seconds


def asgi_runner(app: ASGIApp, request: Request, loop: asyncio.AbstractEventLoop) -> Runner:
    scope = asgi_scope(request)

    async def many(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            await app(dict(scope), _receive(request.body), _discard)
        return time.perf_counter() - start

    return lambda n: loop.run_until_complete(many(n))


def wsgi_runner(app: Callable[..., Iterable[bytes]], request: Request) -> Runner:
    base = wsgi_environ(request)
    body = request.body

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        return None

    def many(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            environ = dict(base)
            environ["wsgi.input"] = io.BytesIO(body)
            result = app(environ, start_response)
            for _chunk in result:
                pass
            close = getattr(result, "close", None)
            if close is not None:
                close()
        return time.perf_counter() - start

    return many


def call_runner(call: Callable[[], object]) -> Runner:
    def many(n: int) -> float:
        start = time.perf_counter()
        for _ in range(n):
            call()
        return time.perf_counter() - start

    return many


def median_us(runners: dict[str, Runner], n: int, repeats: int) -> dict[str, dict[str, Any]]:
    """Per runner: the median µs per request over `repeats` timed runs of n requests, and the
    samples. Runners are interleaved and rotated; each is warmed up first."""
    warmup = max(200, n // 10)
    for run in runners.values():
        run(warmup)
    samples: dict[str, list[float]] = {name: [] for name in runners}
    names = list(runners)
    for repeat in range(repeats):
        shift = repeat % len(names)
        for name in names[shift:] + names[:shift]:
            gc.collect()
            gc.disable()
            try:
                elapsed = runners[name](n)
            finally:
                gc.enable()
            samples[name].append(elapsed / n * 1e6)
    return {name: {"median_us": statistics.median(s), "samples_us": s} for name, s in samples.items()}


# --- The three measurements -------------------------------------------------------------------------


def measure_apps(n: int, repeats: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Per request kind, per app: µs per request."""
    loop = asyncio.new_event_loop()
    try:
        apps = peers.in_process_apps()
        results = {}
        for kind in KINDS:
            request = REQUESTS[kind]
            runners = {name: asgi_runner(app, request, loop) for name, app in apps.items()}
            runners["Flask + Flask-CORS (WSGI)"] = wsgi_runner(peers.flask_app, request)
            results[kind] = median_us(runners, n, repeats)
        return results
    finally:
        loop.close()


LITERAL_COUNTS = (1, 10, 100, 1000)
REGEX_COUNTS = (1, 10, 50)
RESOURCE_COUNTS = (1, 10, 100)


def literal_origins(count: int) -> list[str]:
    """`count` literal origins, the allowed request origin last."""
    return [f"https://app{i}.example.com" for i in range(count - 1)] + [peers.ORIGIN]


def regex_origins(count: int) -> list[str]:
    """`count` regex origins (Flask-CORS takes strings with regex characters as patterns), only
    the last matching the request origin: every one is tried."""
    return [rf"https://app{i}\.example\.(com|org)" for i in range(count - 1)] + [r"http://localhost:\d+"]


def scaling_configs() -> dict[str, dict[str, dict[str, Any]]]:
    """Engine options per axis and size."""
    return {
        "literal origins": {str(c): peers.engine_options(origins=literal_origins(c)) for c in LITERAL_COUNTS},
        "regex origins": {str(c): peers.engine_options(origins=regex_origins(c)) for c in REGEX_COUNTS},
        "resources": {str(c): peers.engine_options(resources=c) for c in RESOURCE_COUNTS},
    }


def measure_scaling(n: int, repeats: int) -> dict[str, dict[str, dict[str, Any]]]:
    """Per axis and size: the full allowed POST through Starlette + engine (the decision memoised,
    as repeated traffic gets it) and the decision alone, uncached (resource match + headers: what
    the first request from an origin pays)."""
    loop = asyncio.new_event_loop()
    request = REQUESTS["POST"]
    cors_request = CORSRequest("POST", peers.ORIGIN, None, None, None)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    try:
        for axis, configs in scaling_configs().items():
            requests: dict[str, Runner] = {}
            decisions: dict[str, Runner] = {}
            for size, options in configs.items():
                app = peers.starlette_app(peers.engine_cors(**options))
                requests[size] = asgi_runner(app, request, loop)
                resources = CORSMiddleware(app, **options).resources

                def decide(resources: Any = resources) -> object:
                    resource = match_resource(resources, peers.PATH)
                    assert resource is not None
                    return cors_headers(resource.policy, cors_request)

                decisions[size] = call_runner(decide)
            full = median_us(requests, n, repeats)
            uncached = median_us(decisions, n, repeats)
            results[axis] = {
                size: {"request_us": full[size]["median_us"], "decision_us": uncached[size]["median_us"]}
                for size in configs
            }
    finally:
        loop.close()
    return results


def check_scaling_configs() -> list[str]:
    """Each scaling config must allow the benchmark request (else the figures measure a refusal)."""
    problems = []
    for axis, configs in scaling_configs().items():
        for size, options in configs.items():
            app = peers.starlette_app(peers.engine_cors(**options))
            answer = asyncio.run(asgi_answer(app, REQUESTS["POST"]))
            if answer.header("access-control-allow-origin") != peers.ORIGIN:
                problems.append(f"{axis} = {size}: the benchmark request is not allowed")
    return problems


def check_apps() -> list[str]:
    """What is wrong with the apps' answers to the two benchmark requests (nothing, normally): every
    app answers both with CORS for the allowed origin, except Starlette without CORS."""
    problems = []
    loop = asyncio.new_event_loop()
    try:
        for kind, request in REQUESTS.items():
            answers = {
                name: loop.run_until_complete(asgi_answer(app, request))
                for name, app in peers.in_process_apps().items()
            }
            answers["Flask + Flask-CORS (WSGI)"] = wsgi_answer(peers.flask_app, request)
            for name, answer in answers.items():
                cors = name != "Starlette, no CORS"
                status = 405 if (kind, cors) == ("preflight", False) else 200
                acao = answer.header("access-control-allow-origin")
                if answer.status != status or (acao == peers.ORIGIN) != cors:
                    problems.append(f"{name}, {kind}: status {answer.status}, allow-origin {acao!r}")
                elif kind == "POST" and json.loads(answer.body) != peers.RESULT:
                    problems.append(f"{name}, {kind}: body {answer.body!r}")
    finally:
        loop.close()
    return problems

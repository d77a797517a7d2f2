"""In-process cost of origins decided at request time, and of the hot path with `reconfigure`
available, each against the static engine in the same run (ratios, no targets asserted).

- a cached callable decision against a static list (the issue's target: at most 1.2x);
- an uncached async decision, and an uncached sync one (the thread pool's round trip);
- the static hot path as it is (one policy state read per request) against the dispatch as it was
  before `reconfigure` existed (`BeforeReconfigure`, its `__call__` kept here as it was), and
  against a middleware whose policy was swapped many times (target: no measurable change).

Every runner sends the workload's allowed POST through the middleware around a minimal ASGI app,
so the figures are the engine's own cost.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.types import Message, Receive, Scope, Send

from bench import inprocess, workload
from flask_cors_asgi import CORSMiddleware, dynamic_origins

# The engine's request helpers are private to it (tests/project/test_layers.py): the few lines they run for
# the benchmark's POST are restated below, with the constants they use.
_ORIGIN = b"origin"
_ACRM = b"access-control-request-method"
_ACRH = b"access-control-request-headers"
_ACRPN = b"access-control-request-private-network"
_ACAO = b"access-control-allow-origin"
_MEMO_MAX_INPUT_BYTES = 1024
_EVALUATED = "flask_cors.evaluated"  # the decorator's marker (Flask-CORS's FLASK_CORS_EVALUATED)
_MIDDLEWARE_SEEN = "flask_cors.middleware"

OTHER = "https://yourapp.com"
STATIC = "static list"
CACHED = "callable, cached"
ASYNC_UNCACHED = "async callable, uncached"
SYNC_UNCACHED = "sync callable, uncached (thread pool)"
BEFORE = "static, dispatch before reconfigure"
SWAPPED = "static, after 1000 reconfigurations"


async def ok(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


def admits(origin: str, scope: Scope) -> bool:
    return origin == workload.ORIGIN


async def admits_async(origin: str, scope: Scope) -> bool:
    return origin == workload.ORIGIN


class BeforeReconfigure(CORSMiddleware):
    """The engine's dispatch before `reconfigure`, on the benchmark's POST path: the memoised
    decision bound to the instance and read from it, no policy state. The engine's helpers are
    restated inline where they run for this request (the header lookup for unrepeated header lines,
    the memo's size bound, the ACAO check); any other request (a preflight, a large input) is the
    engine's own. Its exception path, which the benchmark's app never takes, is left out: a `try`
    costs nothing until something raises, so the baseline is, if anything, cheaper."""

    def __init__(self, app: Any, **options: Any) -> None:
        super().__init__(app, **options)
        self._decide = self._state.decide

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        scope[_MIDDLEWARE_SEEN] = True
        path = scope["path"]
        fields = dict(scope["headers"])
        raw = fields.get(_ORIGIN), fields.get(_ACRM), fields.get(_ACRH), fields.get(_ACRPN)
        size = len(path) + sum(len(value) for value in raw if value)
        if len(fields) != len(scope["headers"]) or size > _MEMO_MAX_INPUT_BYTES:
            await super().__call__(scope, receive, send)
            return
        if self._leaves_to_mounted_policy(scope, path, True):
            await self.app(scope, receive, send)
            return
        request, added = self._decide(path, scope.get("root_path", ""), scope["method"], *raw)
        if request.method == "OPTIONS" and self.router is not None:
            await super().__call__(scope, receive, send)
            return

        if not added:
            await self.app(scope, receive, send)
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", ())
                if not scope.get(_EVALUATED) and not _has_allow_origin(headers):
                    message["headers"] = [*headers, *added]
            await send(message)

        await self.app(scope, receive, send_with_cors)


def _has_allow_origin(headers: Any) -> bool:
    for name, value in headers:  # noqa: SIM110 (as the engine's: a plain loop is faster than any())
        if value and name.lower() == _ACAO:
            return True
    return False


def apps() -> dict[str, Any]:
    static = {"origins": [workload.ORIGIN, OTHER]}
    swapped = CORSMiddleware(ok, **static)
    for n in range(1000):
        swapped.reconfigure(origins=[workload.ORIGIN, OTHER], max_age=n % 2 or None)
    swapped.reconfigure(**static)
    return {
        STATIC: CORSMiddleware(ok, **static),
        CACHED: CORSMiddleware(ok, origins=[OTHER, dynamic_origins(admits_async, ttl=3600)]),
        ASYNC_UNCACHED: CORSMiddleware(ok, origins=[OTHER, dynamic_origins(admits_async, cache_size=0)]),
        SYNC_UNCACHED: CORSMiddleware(ok, origins=[OTHER, dynamic_origins(admits, cache_size=0)]),
        BEFORE: BeforeReconfigure(ok, **static),
        SWAPPED: swapped,
    }


async def allow_origin(app: Any) -> list[bytes]:
    """The Access-Control-Allow-Origin lines of the app's answer to the benchmark's POST."""
    method, headers, body = workload.REQUESTS["POST"]
    scope = {"type": "http", "method": method, "path": workload.PATH, "headers": list(headers)}
    started: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: Message) -> None:
        if message["type"] == "http.response.start":
            started.append(message)

    await app(scope, receive, send)
    return [value for name, value in started[0]["headers"] if name == b"access-control-allow-origin"]


def check() -> list[str]:
    """Each app must allow the benchmark request, with the same Access-Control-Allow-Origin."""
    problems = []
    for name, app in apps().items():
        if asyncio.run(allow_origin(app)) != [workload.ORIGIN.encode()]:
            problems.append(f"dynamic, {name}: the benchmark request is not allowed")
    return problems


def measure(n: int, repeats: int) -> dict[str, Any]:
    """µs per request for each app, and the ratios the issue asks for."""
    loop = asyncio.new_event_loop()
    try:
        request = inprocess.REQUESTS["POST"]
        runners = {name: inprocess.asgi_runner(app, request, loop) for name, app in apps().items()}
        figures = inprocess.median_us(runners, n, repeats)
    finally:
        loop.close()
    us = {name: figure["median_us"] for name, figure in figures.items()}
    return {
        "us": us,
        "ratios": {
            f"{CACHED} / {STATIC} (target <= 1.2)": us[CACHED] / us[STATIC],
            f"{ASYNC_UNCACHED} / {STATIC}": us[ASYNC_UNCACHED] / us[STATIC],
            f"{SYNC_UNCACHED} / {STATIC}": us[SYNC_UNCACHED] / us[STATIC],
            f"{STATIC} / {BEFORE} (target: no measurable change)": us[STATIC] / us[BEFORE],
            f"{SWAPPED} / {BEFORE}": us[SWAPPED] / us[BEFORE],
        },
    }


def render_text(results: dict[str, Any]) -> str:
    lines = ["", "Origins decided at request time, and reconfigure (in process, µs per allowed POST)"]
    lines += [f"  {name:<45} {value:8.2f} µs" for name, value in results["us"].items()]
    lines += [f"  {name:<70} {value:6.2f}x" for name, value in results["ratios"].items()]
    return "\n".join(lines)


def render_markdown(results: dict[str, Any]) -> str:
    rows = [f"| {name} | {value:.2f} µs |" for name, value in results["us"].items()]
    rows += [f"| {name} | {value:.2f}x |" for name, value in results["ratios"].items()]
    head = "\n### Origins decided at request time, and reconfigure (in process)\n\n| | |\n|---|---|\n"
    return head + "\n".join(rows) + "\n"

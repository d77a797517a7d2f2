"""In-process cost per request: apps driven directly (ASGI: `await app(scope, receive, send)`;
WSGI: `app(environ, start_response)`), with no server and no socket, so the figures are the
frameworks' own cost.

Every timed run makes N requests with the garbage collector off; every repeat times each app once,
in a rotating order so machine noise hits them alike; the figure is the median over the repeats.
"""

from __future__ import annotations

import asyncio
import gc
import itertools
import json
import statistics
import time
from collections.abc import Callable, Iterable
from typing import Any

from starlette.types import ASGIApp, Message, Receive

from bench import peers, workload
from bench.starlette_peer import starlette_app
from flask_cors_asgi import CORSMiddleware, CORSRequest, cors_headers, match_resource
from testing_support import RawReq, asgi_scope, send_asgi_raw, send_flask_raw, wsgi_environ

KINDS = ("POST", "preflight")


# As the harness the differential tests use sends them: as a server hands them over (Host added, and
# Content-Length for a body).
REQUESTS = {
    kind: RawReq(method, workload.PATH, headers, body)
    for kind, (method, headers, body) in workload.REQUESTS.items()
}


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


# --- Timed runs -------------------------------------------------------------------------------------

Runner = Callable[[int], float]  # n requests -> elapsed seconds
# The benchmark's request, or the i-th of a series of different ones (so that no memo helps).
Requests = RawReq | Callable[[int], RawReq]


def _series(requests: Requests) -> Callable[[int], list[RawReq]]:
    """n requests at a time: the same one n times, or the next n of the series."""
    if isinstance(requests, RawReq):
        return lambda n: [requests] * n
    counter = itertools.count()
    return lambda n: list(map(requests, itertools.islice(counter, n)))


def asgi_runner(app: ASGIApp, requests: Requests, loop: asyncio.AbstractEventLoop) -> Runner:
    """Times n calls of `app`; each call's scope is built before the clock starts."""
    series = _series(requests)

    async def many(calls: list[tuple[dict[str, Any], bytes]]) -> float:
        start = time.perf_counter()
        for scope, body in calls:
            await app(scope, _receive(body), _discard)
        return time.perf_counter() - start

    return lambda n: loop.run_until_complete(many([(asgi_scope(r), r.body) for r in series(n)]))


def wsgi_runner(app: Callable[..., Iterable[bytes]], requests: Requests) -> Runner:
    """Times n calls of the WSGI `app`; each call's environ is built before the clock starts."""
    series = _series(requests)

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        return None

    def many(n: int) -> float:
        environs = [wsgi_environ(r) for r in series(n)]
        start = time.perf_counter()
        for environ in environs:
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


def median_us(
    runners: dict[str, Runner], n: int, repeats: int, warmup: int | None = None
) -> dict[str, dict[str, Any]]:
    """Per runner: the median µs per request over `repeats` timed runs of n requests, and the
    samples. Runners are interleaved and rotated; each is warmed up first (`warmup` requests,
    by default max(200, n / 10))."""
    warmup = max(200, n // 10) if warmup is None else warmup
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
    return [f"https://app{i}.example.com" for i in range(count - 1)] + [workload.ORIGIN]


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
    cors_request = CORSRequest("POST", workload.ORIGIN, None, None, None)
    results: dict[str, dict[str, dict[str, Any]]] = {}
    try:
        for axis, configs in scaling_configs().items():
            requests: dict[str, Runner] = {}
            decisions: dict[str, Runner] = {}
            for size, options in configs.items():
                app = starlette_app(peers.engine_cors(**options))
                requests[size] = asgi_runner(app, request, loop)
                resources = CORSMiddleware(app, **options).resources

                def decide(resources: Any = resources) -> object:
                    resource = match_resource(resources, workload.PATH)
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
            app = starlette_app(peers.engine_cors(**options))
            answer = asyncio.run(send_asgi_raw(app, REQUESTS["POST"]))
            if answer.values("access-control-allow-origin") != [workload.ORIGIN]:
                problems.append(f"{axis} = {size}: the benchmark request is not allowed")
    return problems


def check_apps() -> list[str]:
    """What is wrong with the apps' answers to the two benchmark requests (nothing, normally): every
    app answers both with CORS for the allowed origin, except Starlette without CORS."""
    problems = []
    apps = peers.in_process_apps()
    loop = asyncio.new_event_loop()
    try:
        for kind, request in REQUESTS.items():
            answers = {
                name: loop.run_until_complete(send_asgi_raw(app, request)) for name, app in apps.items()
            }
            answers["Flask + Flask-CORS (WSGI)"] = send_flask_raw(peers.flask_app, request)
            for name, answer in answers.items():
                cors = name != "Starlette, no CORS"
                status = 405 if (kind, cors) == ("preflight", False) else 200
                acao = answer.values("access-control-allow-origin")
                if answer.status != status or (acao == [workload.ORIGIN]) != cors:
                    problems.append(f"{name}, {kind}: status {answer.status}, allow-origin {acao}")
                elif kind == "POST" and json.loads(answer.body) != workload.RESULT:
                    problems.append(f"{name}, {kind}: body {answer.body!r}")
    finally:
        loop.close()
    return problems

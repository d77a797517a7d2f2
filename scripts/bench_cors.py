"""Measure what CORS costs per request: no CORS, Starlette's CORSMiddleware, and ours.

Three Starlette apps serve the same endpoint (`POST /api/foo` answering `{"result": 4}`): one
without CORS (the baseline), one with Starlette's stock `CORSMiddleware` and one with the engine,
`service.cors.CORSMiddleware`, configured alike (origins http://localhost:3000 and
https://yourapp.com, methods GET/POST/PUT/DELETE, headers Content-Type/Authorization). Each is
timed on two requests: an allowed actual `POST /api/foo` from http://localhost:3000, and its
preflight `OPTIONS /api/foo` (the baseline app answers that with 405, which is its cost).

The apps are driven in-process as ASGI callables, without an HTTP client or server: one event loop
awaits `app(scope, receive, send)` N times per timed run, with the garbage collector off. After a
warm-up, every repeat times each app on each request once (the apps interleaved, so machine noise
hits them alike) and the median over the repeats is reported, in microseconds per request, with
what each middleware adds over the baseline and, per request, the ratio of the engine's addition
to the stock middleware's. The target is a ratio of at most 0.5.

Run from the repository root:

    .venv/bin/python scripts/bench_cors.py [--requests N] [--repeats R] [--json PATH]

`--profile` instead runs the engine's two requests under cProfile and prints the top functions.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import io
import json
import platform
import pstats
import statistics
import sys
import time
from pathlib import Path
from typing import Any

try:
    import service.cors  # noqa: F401
except ImportError:  # run as `python scripts/bench_cors.py` without the project installed
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import starlette
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware as StockCORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route
from starlette.types import ASGIApp, Message, Receive, Scope

from service.cors import CORSMiddleware as EngineCORSMiddleware

ORIGIN = "http://localhost:3000"
ORIGINS = [ORIGIN, "https://yourapp.com"]
METHODS = ["GET", "POST", "PUT", "DELETE"]
ALLOW_HEADERS = ["Content-Type", "Authorization"]
PATH = "/api/foo"
BODY = b'{"x": 2}'

APPS = ("no CORS", "stock", "engine")
KINDS = ("POST", "preflight")
TARGET_RATIO = 0.5


async def foo(request: Request) -> JSONResponse:
    return JSONResponse({"result": 4})


def build_apps() -> dict[str, ASGIApp]:
    routes = [Route(PATH, foo, methods=["POST"])]
    stock = Middleware(
        StockCORSMiddleware, allow_origins=ORIGINS, allow_methods=METHODS, allow_headers=ALLOW_HEADERS
    )
    engine = Middleware(
        EngineCORSMiddleware,
        resources={r"/api/*": {"origins": ORIGINS, "methods": METHODS, "allow_headers": ALLOW_HEADERS}},
    )
    return {
        "no CORS": Starlette(routes=routes),
        "stock": Starlette(routes=routes, middleware=[stock]),
        "engine": Starlette(routes=routes, middleware=[engine]),
    }


def make_scope(method: str, headers: list[tuple[str, str]]) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in headers],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8000),
    }


def build_requests() -> dict[str, tuple[Scope, bytes]]:
    post = make_scope(
        "POST",
        [
            ("host", "127.0.0.1:8000"),
            ("origin", ORIGIN),
            ("content-type", "application/json"),
            ("content-length", str(len(BODY))),
        ],
    )
    preflight = make_scope(
        "OPTIONS",
        [
            ("host", "127.0.0.1:8000"),
            ("origin", ORIGIN),
            ("access-control-request-method", "POST"),
            ("access-control-request-headers", "content-type"),
        ],
    )
    return {"POST": (post, BODY), "preflight": (preflight, b"")}


def make_receive(body: bytes) -> Receive:
    sent = False

    async def receive() -> Message:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


async def discard(message: Message) -> None:
    return None


async def run(app: ASGIApp, scope: Scope, body: bytes, n: int) -> int:
    """Await the app n times on copies of scope; the elapsed nanoseconds."""
    start = time.perf_counter_ns()
    for _ in range(n):
        await app(dict(scope), make_receive(body), discard)
    return time.perf_counter_ns() - start


async def answer(app: ASGIApp, scope: Scope, body: bytes) -> tuple[int, dict[str, str]]:
    """The status and headers (last value per lower-cased name) the app answers."""
    messages: list[Message] = []

    async def record(message: Message) -> None:
        messages.append(message)

    await app(dict(scope), make_receive(body), record)
    start = next(m for m in messages if m["type"] == "http.response.start")
    headers = {name.decode("latin-1").lower(): value.decode("latin-1") for name, value in start["headers"]}
    return start["status"], headers


async def verify(apps: dict[str, ASGIApp], requests: dict[str, tuple[Scope, bytes]]) -> list[str]:
    """What is wrong with the apps' answers (nothing when they answer as the benchmark assumes)."""
    problems: list[str] = []
    for name, app in apps.items():
        for kind, (scope, body) in requests.items():
            status, headers = await answer(app, scope, body)
            acao = headers.get("access-control-allow-origin")
            expected_status = 405 if (name, kind) == ("no CORS", "preflight") else 200
            if status != expected_status:
                problems.append(f"{name} {kind}: status {status}, expected {expected_status}")
            if name == "no CORS" and acao is not None:
                problems.append(f"{name} {kind}: unexpected access-control-allow-origin: {acao}")
            if name != "no CORS" and acao != ORIGIN:
                problems.append(
                    f"{name} {kind}: access-control-allow-origin is {acao!r}, expected {ORIGIN!r}"
                )
    return problems


async def timed(app: ASGIApp, scope: Scope, body: bytes, n: int) -> float:
    """Microseconds per request over n requests, with the garbage collector off."""
    gc.collect()
    gc.disable()
    try:
        elapsed = await run(app, scope, body, n)
    finally:
        gc.enable()
    return elapsed / n / 1000


async def measure(
    apps: dict[str, ASGIApp], requests: dict[str, tuple[Scope, bytes]], n: int, repeats: int, warmup: int
) -> dict[str, dict[str, list[float]]]:
    """Per request kind and app, the µs/request of every repeat."""
    for scope, body in requests.values():
        for app in apps.values():
            await run(app, scope, body, warmup)
    samples: dict[str, dict[str, list[float]]] = {kind: {name: [] for name in apps} for kind in requests}
    names = list(apps)
    for repeat in range(repeats):
        # Rotate the order each repeat so no app is always timed first or last.
        order = names[repeat % len(names) :] + names[: repeat % len(names)]
        for kind, (scope, body) in requests.items():
            for name in order:
                samples[kind][name].append(await timed(apps[name], scope, body, n))
    return samples


def summarise(samples: dict[str, dict[str, list[float]]]) -> dict[str, Any]:
    results: dict[str, Any] = {}
    for kind, by_app in samples.items():
        medians = {name: statistics.median(values) for name, values in by_app.items()}
        baseline = medians["no CORS"]
        added = {name: median - baseline for name, median in medians.items()}
        ratio = added["engine"] / added["stock"] if added["stock"] > 0 else None
        results[kind] = {
            "apps": {
                name: {"median_us": medians[name], "added_us": added[name], "samples_us": by_app[name]}
                for name in by_app
            },
            "ratio_engine_to_stock_added": ratio,
            # Where the stock middleware adds nothing to divide by (it answers a preflight itself,
            # for less than the baseline's routed 405), the fair figure is the total cost ratio.
            "ratio_engine_to_stock_total": medians["engine"] / medians["stock"],
            "target_met": ratio <= TARGET_RATIO
            if ratio is not None
            else medians["engine"] <= medians["stock"],
            "engine_minus_stock_us": medians["engine"] - medians["stock"],
        }
    return results


def render(results: dict[str, Any], n: int, repeats: int) -> str:
    head = ("request", "app", "µs/request (median)", "added over no-CORS (µs)")
    rows = [
        (
            kind,
            name,
            f"{figures['median_us']:.2f}",
            "—" if name == "no CORS" else f"{figures['added_us']:+.2f}",
        )
        for kind, result in results.items()
        for name, figures in result["apps"].items()
    ]
    widths = [max(len(row[i]) for row in [head, *rows]) for i in range(len(head))]

    def line(cells: tuple[str, ...]) -> str:
        return "  ".join(
            cell.ljust(width) if i < 2 else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    out = [
        f"In-process ASGI cost, median of {repeats} repeats x {n} requests "
        f"(Python {platform.python_version()}, Starlette {starlette.__version__})",
        "",
        line(head),
        line(tuple("-" * width for width in widths)),
    ]
    previous = None
    for row in rows:
        if previous is not None and row[0] != previous:
            out.append("")
        out.append(line(row))
        previous = row[0]
    out.append("")
    target = f"target (engine adds at most half of what stock adds, ratio <= {TARGET_RATIO})"
    for kind, result in results.items():
        ratio = result["ratio_engine_to_stock_added"]
        verdict = "MET" if result["target_met"] else "NOT met"
        if ratio is None:
            out.append(
                f"{kind}: stock adds {result['apps']['stock']['added_us']:+.2f} µs (it answers without "
                f"routing), so compare totals: engine / stock = {result['ratio_engine_to_stock_total']:.2f}; "
                f"target (engine costs no more than stock): {verdict}"
            )
        else:
            out.append(f"{kind}: engine added / stock added = {ratio:.2f}; {target}: {verdict}")
    return "\n".join(out)


def profile(apps: dict[str, ASGIApp], requests: dict[str, tuple[Scope, bytes]], n: int, top: int) -> str:
    out = []
    for kind, (scope, body) in requests.items():
        asyncio.run(run(apps["engine"], scope, body, 1000))  # build the middleware stack, warm up
        profiler = cProfile.Profile()
        coroutine = run(apps["engine"], scope, body, n)
        profiler.enable()
        asyncio.run(coroutine)
        profiler.disable()
        stream = io.StringIO()
        pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(top)
        out.append(f"=== engine {kind}, {n} requests, top {top} by tottime ===\n{stream.getvalue().strip()}")
    return "\n\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=20000, help="requests per timed run (default 20000)")
    parser.add_argument("--repeats", type=int, default=7, help="timed runs per app and request (default 7)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write every figure to PATH as JSON")
    parser.add_argument(
        "--profile", action="store_true", help="profile the engine's two requests with cProfile instead"
    )
    args = parser.parse_args(argv)
    if args.requests < 1 or args.repeats < 1:
        parser.error("--requests and --repeats must be at least 1")

    apps = build_apps()
    requests = build_requests()
    problems = asyncio.run(verify(apps, requests))
    if problems:
        print("The apps do not answer as the benchmark expects:", file=sys.stderr)
        for problem in problems:
            print(f"  {problem}", file=sys.stderr)
        return 1

    if args.profile:
        print(profile(apps, requests, args.requests, top=15))
        return 0

    warmup = max(1000, args.requests // 10)
    samples = asyncio.run(measure(apps, requests, args.requests, args.repeats, warmup))
    results = summarise(samples)
    print(render(results, args.requests, args.repeats))
    if args.json is not None:
        document = {
            "python": platform.python_version(),
            "starlette": starlette.__version__,
            "requests_per_run": args.requests,
            "repeats": args.repeats,
            "warmup_requests": warmup,
            "target_ratio": TARGET_RATIO,
            "results": results,
        }
        args.json.write_text(json.dumps(document, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

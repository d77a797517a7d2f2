"""Hostile preflights, in process: what one request a client crafts costs each CORS implementation,
Starlette + this engine, Starlette + its stock CORSMiddleware and Flask + Flask-CORS, on the same
request bytes.

Every request of a series differs (a counter inside the input), so no memo helps: each is judged
from scratch, as an attacker varying its input gets. Requests are built before the clock starts.
Each app's answer is checked before timing: the engine's CORS lines must be exactly Flask-CORS's.

The stock middleware takes no header patterns and one origin regex (`fullmatch`), so it gets the
closest configuration, not the same one; `Case.stock` says which, and docs/performance.md why.
"""

from __future__ import annotations

import asyncio
import string
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware as StockCORSMiddleware

from bench import peers
from bench.inprocess import Runner, asgi_runner, median_us, wsgi_runner
from bench.starlette_peer import starlette_app
from bench.workload import ALLOW_HEADERS, METHODS, ORIGIN, ORIGINS, PATH
from testing_support import RawAnswer, RawReq, compare, send_asgi_raw, send_flask_raw

ENGINE, STOCK, FLASK = "Starlette + engine", "Starlette + stock CORSMiddleware", "Flask + Flask-CORS"
ORDINARY = "ordinary preflight"
# The longest request head the service's guarded protocol accepts (see `head_bytes`).
MAX_HEADER_BYTES = peers.service_settings().max_header_bytes
HOST = "127.0.0.1:65535"  # the longest Host header a client of a local server sends
RUN_SECONDS = 0.2  # each timed run lasts about this long for the slowest app


@dataclass(frozen=True)
class Case:
    name: str
    request: Callable[[int], RawReq]  # the i-th request
    origins: list[str] = field(default_factory=lambda: list(ORIGINS))  # engine and Flask-CORS
    allow_headers: list[str] = field(default_factory=lambda: list(ALLOW_HEADERS))  # engine and Flask-CORS
    stock: dict[str, Any] = field(  # the stock middleware's options besides allow_methods
        default_factory=lambda: {"allow_origins": ORIGINS, "allow_headers": ALLOW_HEADERS}
    )

    def options(self) -> dict[str, Any]:
        """The engine's and Flask-CORS's options (one resource, as the service has)."""
        policy = {"origins": self.origins, "methods": METHODS, "allow_headers": self.allow_headers}
        return {"resources": {"/api/*": policy}}

    def apps(self) -> dict[str, Any]:
        stock = Middleware(StockCORSMiddleware, allow_methods=METHODS, **self.stock)
        return {
            ENGINE: starlette_app(peers.engine_cors(**self.options())),
            STOCK: starlette_app(stock),
            FLASK: peers.flask_cors_app(**self.options()),
        }


def preflight(origin: str = ORIGIN, request_headers: str | None = None) -> RawReq:
    headers = [(b"origin", origin.encode()), (b"access-control-request-method", b"POST")]
    if request_headers is not None:
        headers.append((b"access-control-request-headers", request_headers.encode()))
    return RawReq("OPTIONS", PATH, tuple(headers))


def head_bytes(request: RawReq, host: str = HOST) -> int:
    """The request head's size as the service's guarded protocol counts it against MAX_HEADER_BYTES
    (for a head that arrives in one read): the request target, and every header line, Host included,
    with its ": " and CRLF."""
    lines = [(b"host", host.encode()), *request.header_lines()]
    return len(request.path) + sum(len(k) + len(v) + 4 for k, v in lines)


def vary_case(text: str, counter: int) -> str:
    """`text` with the case of its letters set by the bits of `counter`: a new spelling for each
    counter, which every implementation judges alike (header names are case-insensitive)."""
    out, bit = [], 0
    for char in text:
        if char.isalpha():
            char = char.upper() if counter >> bit & 1 else char.lower()
            bit += 1
        out.append(char)
    return "".join(out)


def base36(number: int) -> str:
    digits = string.digits + string.ascii_lowercase
    out = digits[number % 36]
    while number >= 36:
        number //= 36
        out = digits[number % 36] + out
    return out


# --- The inputs -------------------------------------------------------------------------------------

HEADER_REGEX = ["X-.*"]
REGEX_ORIGINS = [rf"https://.*\.app{n}\.example" for n in range(50)]  # unanchored: `.*` backtracks
LITERAL_ORIGINS = [f"https://app{n}.example.com" for n in range(1000)]


def ordinary(i: int) -> RawReq:
    """A browser's preflight for the POST with an Authorization header; only the case varies."""
    return preflight(request_headers=vary_case("authorization, content-type", i))


def many_names(i: int) -> RawReq:
    """1 000 distinct names of 15 bytes (16 KiB), all matching X-.*; the first carries the counter."""
    names = [f"X-Nonce-{i:07d}", *(f"X-Custom-{k:06d}" for k in range(1, 1000))]
    return preflight(request_headers=",".join(names))


def long_origin(i: int, size: int = 4096) -> RawReq:
    """An Origin of `size` bytes that none of the regex origins matches, full of dots to try."""
    start = f"https://n{i:08d}"
    return preflight(origin=(start + ".a" * size)[:size])


def missing_origin(i: int) -> RawReq:
    return preflight(origin=f"https://nomatch{i:08d}.example.com")


def longest_names(i: int, host: str = HOST) -> RawReq:
    """The longest head the service accepts, filled with short distinct names in one
    Access-Control-Request-Headers (X-0, X-1, ... X-zz, ...); the first name carries the counter
    and is padded so that the head is exactly MAX_HEADER_BYTES with this Host."""
    room = MAX_HEADER_BYTES - head_bytes(preflight(request_headers=""), host)
    names, size = [f"X-Nonce-{i:08d}"], 16
    for k in range(room):
        name = f"X-{base36(k)}"
        if size + 1 + len(name) > room:
            break
        names.append(name)
        size += 1 + len(name)
    names[0] += "0" * (room - size)
    return preflight(request_headers=",".join(names))


def longest_origin(i: int, host: str = HOST) -> RawReq:
    """The longest head the service accepts, filled with one Origin (as `long_origin`)."""
    return long_origin(i, MAX_HEADER_BYTES - head_bytes(preflight(origin=""), host))


def cases() -> list[Case]:
    # The stock middleware takes "X-.*" as a literal name: it refuses (400) after lower-casing every
    # requested name. Its "*" would echo the value with no per-name work, and the 1 000 names as
    # literals would make its cost quadratic in its own configuration: neither judges the names.
    header_regex = {"origins": ORIGINS, "allow_headers": HEADER_REGEX}
    stock_header = {"allow_origins": ORIGINS, "allow_headers": HEADER_REGEX}
    # One origin regex: the 50 joined, matched whole (fullmatch), as the stock middleware does.
    regex_origins = {"origins": REGEX_ORIGINS}
    stock_regex = {"allow_origin_regex": "|".join(REGEX_ORIGINS), "allow_headers": ALLOW_HEADERS}
    literals = {"origins": LITERAL_ORIGINS}
    stock_literals = {"allow_origins": LITERAL_ORIGINS, "allow_headers": ALLOW_HEADERS}
    return [
        Case(ORDINARY, ordinary),
        Case("ACRH: 1 000 names (16 KiB), header regex", many_names, **header_regex, stock=stock_header),
        Case("Origin: 4 KiB, 50 regex origins", long_origin, **regex_origins, stock=stock_regex),
        Case("Origin: not among 1 000 literal origins", missing_origin, **literals, stock=stock_literals),
        Case("longest head: ACRH of short names, header regex", longest_names, **header_regex,
             stock=stock_header),
        Case("longest head: Origin, 50 regex origins", longest_origin, **regex_origins, stock=stock_regex),
    ]  # fmt: skip


# --- Checking and timing ----------------------------------------------------------------------------


def answers(case: Case, i: int = 0) -> dict[str, RawAnswer]:
    request = case.request(i)
    apps = case.apps()
    loop = asyncio.new_event_loop()
    try:
        found = {
            name: loop.run_until_complete(send_asgi_raw(apps[name], request)) for name in (ENGINE, STOCK)
        }
    finally:
        loop.close()
    found[FLASK] = send_flask_raw(apps[FLASK], request)
    return found


def check_cases() -> list[str]:
    """Where the engine's answer to a hostile request is not exactly Flask-CORS's (status, every
    Access-Control-* line, Vary), for the first two requests of each series."""
    problems = []
    for case in cases():
        for i in (0, 1):
            found = answers(case, i)
            differences = compare(found[FLASK].observed(), found[ENGINE].observed(), automatic_options=True)
            problems += [f"{case.name}, request {i}: {d}" for d in differences]
    return problems


def describe(answer: RawAnswer) -> dict[str, Any]:
    cors = [[k, v if len(v) <= 80 else f"{v[:60]}... ({len(v)} characters)"] for k, v in answer.headers]
    return {
        "status": answer.status,
        "cors": [line for line in cors if line[0].startswith(("access-", "vary"))],
    }


def measure(case: Case, max_requests: int, repeats: int) -> dict[str, Any]:
    """µs per request for each app (median over `repeats` interleaved runs), each app's cost over
    its ordinary preflight's (filled in by `measure_hostile`), and what each app answered."""
    apps = case.apps()
    loop = asyncio.new_event_loop()
    try:
        runners: dict[str, Runner] = {
            name: asgi_runner(apps[name], case.request, loop) for name in (ENGINE, STOCK)
        }
        runners[FLASK] = wsgi_runner(apps[FLASK], case.request)
        # Size the timed runs from a first estimate, once warm: about RUN_SECONDS for the slowest app.
        probe = 5
        for run in runners.values():
            run(2)
        slowest = max(run(probe) / probe for run in runners.values())
        n = max(5, min(max_requests, int(RUN_SECONDS / slowest)))
        timed = median_us(runners, n, repeats, warmup=max(2, n // 10))
    finally:
        loop.close()
    sample = case.request(0)
    value = dict(sample.headers)
    return {
        "origin_bytes": len(value[b"origin"]),
        "request_headers_bytes": len(value.get(b"access-control-request-headers", b"")),
        "head_bytes": head_bytes(sample),
        "engine_and_flask_cors": case.options()["resources"]["/api/*"] | {"origins": _short(case.origins)},
        "stock": {k: _short(v) for k, v in case.stock.items()},
        "requests_per_run": n,
        "apps": timed,
        "answers": {name: describe(answer) for name, answer in answers(case).items()},
    }


def _short(value: Any) -> Any:
    """A configuration value for the record: long lists and strings abbreviated."""
    if isinstance(value, list) and len(value) > 4:
        return [*value[:2], f"... ({len(value)} in all)", value[-1]]
    if isinstance(value, str) and len(value) > 80:
        return f"{value[:60]}... ({len(value)} characters)"
    return value


def measure_hostile(max_requests: int, repeats: int, progress: Callable[[str], None]) -> dict[str, Any]:
    """Per case: each app's µs per request and its ratio to its own ordinary preflight, and the
    engine's ratio to the stock middleware and to Flask-CORS on the same input."""
    results: dict[str, Any] = {}
    for case in cases():
        progress(f"hostile: {case.name}...")
        results[case.name] = measure(case, max_requests, repeats)
    base = {name: f["median_us"] for name, f in results[ORDINARY]["apps"].items()}
    for figures in results.values():
        us = {name: f["median_us"] for name, f in figures["apps"].items()}
        for name, f in figures["apps"].items():
            f["per_ordinary"] = us[name] / base[name]
        figures["engine_per_stock"] = us[ENGINE] / us[STOCK]
        figures["engine_per_flask_cors"] = us[ENGINE] / us[FLASK]
    return results

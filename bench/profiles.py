"""The two profiles' cost, in process, beside Starlette's stock CORSMiddleware: the benchmark's two
requests (bench/workload.py) through Starlette with each middleware, and the CORS decision alone,
uncached (what the first request from an origin pays): the Flask-CORS profile's resource match and
`cors_headers`, the fetch profile's `decide`, and for the preflight Starlette's own
`preflight_response`. Figures and ratios are printed; nothing is asserted.
"""

from __future__ import annotations

import asyncio
from typing import Any

from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware as StockCORSMiddleware

from bench import inprocess, peers, workload
from bench.starlette_peer import starlette_app, stock_cors
from flask_cors_asgi import CORSMiddleware, CORSRequest, cors_headers, match_resource
from flask_cors_asgi.fetch import compile_fetch, decide

STOCK = "Starlette + stock CORSMiddleware"
COMPAT = "Starlette + engine, flask_cors profile"
FETCH = "Starlette + engine, fetch profile"
FETCH_OPTIONS = {
    "origins": workload.ORIGINS,
    "methods": workload.METHODS,
    "allow_headers": workload.ALLOW_HEADERS,
}


def apps() -> dict[str, Any]:
    return {
        STOCK: starlette_app(stock_cors()),
        COMPAT: starlette_app(peers.engine_cors()),
        FETCH: starlette_app(Middleware(CORSMiddleware, profile="fetch", **FETCH_OPTIONS)),  # type: ignore[arg-type]
    }


def _fields(kind: str) -> dict[str, str]:
    _, headers, _ = workload.REQUESTS[kind]
    return {name.decode(): value.decode() for name, value in headers}


def decisions(kind: str) -> dict[str, Any]:
    """Per implementation, a call that makes one uncached decision for the request of `kind`."""
    method = workload.REQUESTS[kind][0]
    fields = _fields(kind)
    origin = fields["origin"]
    acrm = fields.get("access-control-request-method")
    acrh = fields.get("access-control-request-headers")
    resources = CORSMiddleware(starlette_app(), **peers.engine_options()).resources
    compat_request = CORSRequest(method, origin, acrm, acrh, None)
    config = compile_fetch(FETCH_OPTIONS)
    fetch_acrh = None if acrh is None else (acrh,)

    def compat() -> object:
        resource = match_resource(resources, workload.PATH)
        assert resource is not None
        return cors_headers(resource.policy, compat_request)

    def fetch() -> object:
        return decide(config, method, origin, acrm, fetch_acrh)

    calls: dict[str, Any] = {"flask_cors profile": compat, "fetch profile": fetch}
    if kind == "preflight":
        stock = StockCORSMiddleware(
            starlette_app(),
            allow_origins=workload.ORIGINS,
            allow_methods=workload.METHODS,
            allow_headers=workload.ALLOW_HEADERS,
        )
        headers = Headers(raw=list(workload.REQUESTS[kind][1]))
        calls["stock preflight_response"] = lambda: stock.preflight_response(request_headers=headers)
    return calls


def check() -> list[str]:
    """Each app must allow both benchmark requests (else the figures time a refusal)."""
    problems = []
    for name, app in apps().items():
        for kind, request in inprocess.REQUESTS.items():
            answer = asyncio.run(inprocess.send_asgi_raw(app, request))
            if answer.values("access-control-allow-origin") != [workload.ORIGIN]:
                problems.append(f"{name}, {kind}: status {answer.status}, not allowed")
    config = compile_fetch(FETCH_OPTIONS)
    for kind in inprocess.KINDS:
        fields = _fields(kind)
        acrh = fields.get("access-control-request-headers")
        decision = decide(
            config,
            workload.REQUESTS[kind][0],
            fields["origin"],
            fields.get("access-control-request-method"),
            None if acrh is None else (acrh,),
        )
        if ("Access-Control-Allow-Origin", workload.ORIGIN) not in decision.headers:
            problems.append(f"fetch decision, {kind}: not allowed")
    return problems


def measure_profiles(n: int, repeats: int) -> dict[str, Any]:
    """Per request kind: µs per request through each app, µs per uncached decision, and ratios."""
    problems = check()
    if problems:
        raise RuntimeError("the profile benchmark's apps do not allow its requests: " + "; ".join(problems))
    loop = asyncio.new_event_loop()
    results: dict[str, Any] = {}
    try:
        for kind in inprocess.KINDS:
            request = inprocess.REQUESTS[kind]
            runners = {name: inprocess.asgi_runner(app, request, loop) for name, app in apps().items()}
            timed = inprocess.median_us(runners, n, repeats)
            decided = inprocess.median_us(
                {name: inprocess.call_runner(call) for name, call in decisions(kind).items()}, n, repeats
            )
            request_us = {name: figures["median_us"] for name, figures in timed.items()}
            decision_us = {name: figures["median_us"] for name, figures in decided.items()}
            results[kind] = {
                "request_us": request_us,
                "decision_us": decision_us,
                "ratios": {
                    "fetch / flask_cors, request": request_us[FETCH] / request_us[COMPAT],
                    "fetch / stock, request": request_us[FETCH] / request_us[STOCK],
                    "fetch / flask_cors, decision": decision_us["fetch profile"]
                    / decision_us["flask_cors profile"],
                },
            }
    finally:
        loop.close()
    return results


def render_text(results: dict[str, Any]) -> str:
    lines = ["", "Profiles, in process (µs per request; the decision alone, uncached):"]
    for kind, figures in results.items():
        lines.append(f"  {kind}:")
        for name, us in {**figures["request_us"], **figures["decision_us"]}.items():
            lines.append(f"    {name:<40} {us:9.2f} µs")
        for name, ratio in figures["ratios"].items():
            lines.append(f"    {name:<40} {ratio:9.2f} x")
    return "\n".join(lines)

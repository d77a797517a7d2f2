"""The cross-origin protection's cost, in process, per request: `CrossOriginProtection` in front of
a bare endpoint, against `CORSMiddleware` in front of the same endpoint, on the benchmark's allowed
`POST /api/foo` (Origin http://localhost:3000, a CORS origin and so a trusted one). Each cost is the
wrapped app's µs per request minus the bare endpoint's within one repeat (the apps take turns, so
the machine's load swings hit both sides alike); the figure is the median over the repeats, printed
with its quartiles. Short runs and many repeats (`--requests 1000 --repeats 50`) steady it most.
Target: at most a tenth of the CORS engine's cost. A pass-through layer (one more ASGI call, no
work) is measured beside them: the part of any middleware's cost no implementation can remove.
Figures and ratios are printed; nothing is asserted (tests/project/test_bench_smoke.py only checks that
every variant is answered as expected).

The variants are the paths a state-changing request takes through the protection: a modern
browser's same-origin request (Sec-Fetch-Site: same-origin; then with all the header lines a browser
sends, since the protection reads every line), the benchmark's request as is (an
Origin and no Sec-Fetch-Site: the trusted-origin lookup), a cross-site request from a trusted
origin (the longest path that passes), a client that is not a browser (neither header), a
cross-site request refused with 403 (no endpoint runs: a negative cost is possible there), and a
refusal of an 8 kB Origin, too large for the memo, as a client crafting its requests gets.
"""

from __future__ import annotations

import asyncio
import dataclasses
import statistics
from typing import Any

from starlette.types import ASGIApp, Receive, Scope, Send

from bench import inprocess, peers, workload
from flask_cors_asgi import CORSMiddleware, CrossOriginProtection

_BODY = b'{"result":4}'
_HEADERS = [(b"content-type", b"application/json"), (b"content-length", b"12")]


async def endpoint(scope: Scope, receive: Receive, send: Send) -> None:
    """The bare endpoint both middlewares wrap: reads nothing, answers 200 at once."""
    await send({"type": "http.response.start", "status": 200, "headers": _HEADERS})
    await send({"type": "http.response.body", "body": _BODY})


def _with_headers(*extra: tuple[bytes, bytes], origin: bool = True) -> Any:
    post = inprocess.REQUESTS["POST"]
    headers = tuple(h for h in post.headers if origin or h[0] != b"origin") + extra
    return dataclasses.replace(post, headers=headers)


# What a browser adds to a same-origin fetch() POST besides Origin and Content-Type (Chromium's set,
# shortened values): the header lines the protection scans on a real request (16 with Host and
# Content-Length), where the benchmark's request has 5.
BROWSER_HEADERS = (
    (b"connection", b"keep-alive"),
    (b"sec-ch-ua", b'"Chromium";v="140", "Not=A?Brand";v="24"'),
    (b"sec-ch-ua-mobile", b"?0"),
    (b"sec-ch-ua-platform", b'"Linux"'),
    (b"user-agent", b"Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/140.0 Safari/537.36"),
    (b"accept", b"*/*"),
    (b"sec-fetch-site", b"same-origin"),
    (b"sec-fetch-mode", b"cors"),
    (b"sec-fetch-dest", b"empty"),
    (b"referer", b"http://localhost:3000/orders"),
    (b"accept-encoding", b"gzip, deflate, br, zstd"),
    (b"accept-language", b"en-US,en;q=0.9"),
)

VARIANTS = {
    "same-origin (Sec-Fetch-Site)": _with_headers((b"sec-fetch-site", b"same-origin")),
    "same-origin, a browser's 16 lines": _with_headers(*BROWSER_HEADERS),
    "trusted Origin, no Sec-Fetch-Site": _with_headers(),
    "trusted Origin, cross-site": _with_headers((b"sec-fetch-site", b"cross-site")),
    "no browser (no Origin)": _with_headers(origin=False),
    "refused (cross-site, untrusted)": _with_headers((b"sec-fetch-site", b"cross-site"), origin=False),
    # What a client crafting its request costs: too large to memoise, decided afresh every time.
    "refused, 8 kB Origin (not memoised)": _with_headers(
        (b"origin", b"https://" + b"a" * 8000), origin=False
    ),
}
EXPECTED_STATUS = {name: 403 if name.startswith("refused") else 200 for name in VARIANTS}


class PassThrough:
    """The least any middleware costs: one more ASGI layer that only calls the next."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)


def apps() -> dict[str, ASGIApp]:
    return {
        "bare endpoint": endpoint,
        "pass-through layer": PassThrough(endpoint),
        "CORS engine": CORSMiddleware(endpoint, **peers.engine_options()),
        "protection": CrossOriginProtection(endpoint, trusted_origins=workload.ORIGINS),
    }


def check() -> list[str]:
    """What is wrong with the answers the measured apps give (nothing, normally)."""
    protection = apps()["protection"]
    problems = []
    for name, request in VARIANTS.items():
        answer = asyncio.run(inprocess.send_asgi_raw(protection, request))
        if answer.status != EXPECTED_STATUS[name]:
            problems.append(f"protection, {name}: status {answer.status}")
    return problems


def measure_protection(n: int, repeats: int) -> dict[str, Any]:
    """µs per request of each app, the protection once per variant, and the costs and ratios."""
    loop = asyncio.new_event_loop()
    try:
        built = apps()
        post = inprocess.REQUESTS["POST"]
        runners = {
            "bare endpoint": inprocess.asgi_runner(built["bare endpoint"], post, loop),
            "CORS engine": inprocess.asgi_runner(built["CORS engine"], post, loop),
            "pass-through layer": inprocess.asgi_runner(built["pass-through layer"], post, loop),
        }
        for name, request in VARIANTS.items():
            runners[f"protection: {name}"] = inprocess.asgi_runner(built["protection"], request, loop)
        timed = inprocess.median_us(runners, n, repeats)
    finally:
        loop.close()
    # Paired: each repeat runs every app once, close together, so a cost is taken within a repeat
    # (the app's µs minus the bare endpoint's of the same repeat) and the median is over repeats.
    # The difference of two medians taken apart would let the machine's load swings (larger than
    # these costs on a shared machine) fall on one side only.
    bare_samples = timed["bare endpoint"]["samples_us"]

    def costs(name: str) -> list[float]:
        return [us - bare for us, bare in zip(timed[name]["samples_us"], bare_samples, strict=True)]

    cors_costs = costs("CORS engine")
    cors_cost = statistics.median(cors_costs)
    variants = {"pass-through layer (reference)": _figures(costs("pass-through layer"), cors_cost)}
    for name in VARIANTS:
        variants[f"protection, {name}"] = _figures(costs(f"protection: {name}"), cors_cost)
    return {
        "bare_us": timed["bare endpoint"]["median_us"],
        "cors_cost_us": cors_cost,
        "cors_cost_range_us": _quartiles(cors_costs),
        "variants": variants,
        "target_ratio": 0.1,
    }


def _quartiles(costs: list[float]) -> list[float]:
    """The first and third quartiles: the range of the middle half of the repeats (a min-max range
    on a shared machine only shows the one repeat another process's burst fell on)."""
    if len(costs) < 2:
        return [costs[0], costs[0]]
    first, _, third = statistics.quantiles(costs, n=4)
    return [first, third]


def _figures(costs: list[float], cors_cost: float) -> dict[str, Any]:
    cost = statistics.median(costs)
    return {
        "cost_us": cost,
        "cost_range_us": _quartiles(costs),
        "ratio_to_cors": cost / cors_cost if cors_cost > 0 else None,
    }


def render_text(results: dict[str, Any]) -> str:
    lines = [
        "Cross-origin protection, in process (cost = µs per request over the bare endpoint's "
        f"{results['bare_us']:.2f} µs,",
        "median over the repeats of the cost within each repeat, (quartiles) over the repeats)",
        f"  {'CORS engine, allowed POST':<48} {results['cors_cost_us']:8.2f} µs "
        + _span(results["cors_cost_range_us"]),
    ]
    for name, figures in results["variants"].items():
        ratio = figures["ratio_to_cors"]
        shown = "n/a" if ratio is None else f"{ratio:.3f} x CORS"
        lines.append(f"  {name:<48} {figures['cost_us']:8.2f} µs {_span(figures['cost_range_us'])}  {shown}")
    lines.append(f"  target: at most {results['target_ratio']:g} x the CORS engine's cost")
    return "\n".join(lines)


def _span(bounds: list[float]) -> str:
    return f"({bounds[0]:.2f}-{bounds[1]:.2f})"

"""Run probes against a target as a browser would, and keep what came back with the verdict."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from cors_conformance.browser import (
    BROWSERS,
    Browser,
    Verdict,
    actual_request_headers,
    decide,
    needs_preflight,
    preflight_request_headers,
)
from cors_conformance.matrix import Probe
from cors_conformance.targets import Request, Response, Target

# The body sent with methods that carry one: what /api/foo expects, harmless elsewhere.
BODY = json.dumps({"inputVar": 2}).encode()


@dataclass(frozen=True)
class Observation:
    probe: Probe
    preflight: Response | None  # None when a browser sends none
    response: Response  # the actual request's answer (sent even when a browser would stop at the preflight)
    verdict: Verdict  # the first browser's (Chromium's by default)
    # Every browser's verdict, each on the answers to its own requests (a browser may preflight
    # where another does not, or list other names in Access-Control-Request-Headers).
    verdicts: Mapping[Browser, Verdict] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.verdicts:
            object.__setattr__(self, "verdicts", {"chromium": self.verdict})


def requests_for(probe: Probe, browser: Browser = "chromium") -> tuple[Request | None, Request]:
    request, path = probe.request, probe.path
    host = (("Host", probe.host),) if probe.host else ()
    preflight = None
    if needs_preflight(request, browser=browser):
        preflight = Request("OPTIONS", path, (*host, *preflight_request_headers(request, browser=browser)))
    body = probe.case.body
    if body is None:
        body = BODY if request.method.upper() not in ("GET", "HEAD") else b""
    headers = (*host, *actual_request_headers(request, browser=browser), *probe.case.browser_headers)
    return preflight, Request(request.method, path, headers, body)


def observe(
    target: Target, probes: Sequence[Probe], browsers: Sequence[Browser] = BROWSERS
) -> list[Observation]:
    """Send every probe's preflight (if any) and actual request; the browser model decides, for each
    browser (a request two browsers make alike is sent once).

    The actual request is always sent, so that two targets can be compared on every answer."""
    planned = [{b: requests_for(p, b) for b in browsers} for p in probes]
    per_probe = [
        list(dict.fromkeys(r for pair in plan.values() for r in pair if r is not None)) for plan in planned
    ]
    answers = iter(target.send([r for requests in per_probe for r in requests]))
    observations = []
    for probe, plan, requests in zip(probes, planned, per_probe, strict=True):
        answer = {r: next(answers) for r in requests}
        verdicts = {}
        for browser, (preflight_request, actual_request) in plan.items():
            preflight = answer[preflight_request] if preflight_request is not None else None
            response = answer[actual_request]
            verdicts[browser] = decide(
                probe.request,
                (preflight.status, preflight.headers) if preflight is not None else None,
                (response.status, response.headers),
                browser=browser,
            )
        first_preflight, first_request = plan[browsers[0]]
        observations.append(
            Observation(
                probe,
                answer[first_preflight] if first_preflight is not None else None,
                answer[first_request],
                verdicts[browsers[0]],
                verdicts,
            )
        )
    return observations

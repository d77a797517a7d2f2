"""Run probes against a target as a browser would, and keep what came back with the verdict."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from cors_conformance.browser import (
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
    verdict: Verdict  # the default browser's


def requests_for(probe: Probe) -> tuple[Request | None, Request]:
    request, path = probe.request, probe.path
    host = (("Host", probe.host),) if probe.host else ()
    preflight = None
    if needs_preflight(request):
        preflight = Request("OPTIONS", path, (*host, *preflight_request_headers(request)))
    body = probe.case.body
    if body is None:
        body = BODY if request.method.upper() not in ("GET", "HEAD") else b""
    return preflight, Request(request.method, path, (*host, *actual_request_headers(request)), body)


def observe(target: Target, probes: Sequence[Probe]) -> list[Observation]:
    """Send every probe's preflight (if any) and actual request; the browser model decides.

    The actual request is always sent, so that two targets can be compared on every answer."""
    planned = [requests_for(p) for p in probes]
    flat = [r for pair in planned for r in pair if r is not None]
    answers = iter(target.send(flat))
    observations = []
    for probe, (preflight_request, _) in zip(probes, planned, strict=True):
        preflight = next(answers) if preflight_request is not None else None
        response = next(answers)
        verdict = decide(
            probe.request,
            (preflight.status, preflight.headers) if preflight is not None else None,
            (response.status, response.headers),
        )
        observations.append(Observation(probe, preflight, response, verdict))
    return observations


def discovered_origins(observations: Iterable[Observation]) -> list[str]:
    """Origins a target reveals in Access-Control-Allow-Origin (e.g. its always_send literal)."""
    found = []
    for observation in observations:
        for response in (observation.preflight, observation.response):
            if response is not None:
                found += response.revealed_origins
    return list(dict.fromkeys(found))

"""The request matrix: which cross-origin requests to try, from which origins, on which paths.

Each probe is one `fetch()` a page could make: a path, the page's origin, a method, headers,
credentials. Trusted origins (given, configured or revealed) get every case; the adversarial
origins derived from them (`origins.py`) get the cases that show what an attacker's page can read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from cors_conformance.browser import BrowserRequest
from cors_conformance.origins import Candidate

JSON = (("Content-Type", "application/json"),)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    headers: tuple[tuple[str, str], ...] = ()
    credentials: bool = False
    body: bytes | None = None  # None: the default body for methods that carry one
    # Headers the browser itself adds to the actual request (no page can set them, so the CORS
    # model never sees them): what a server's cross-site check (CrossOriginProtection) reads.
    browser_headers: tuple[tuple[str, str], ...] = ()


# A fetch() from a page of another site: what browsers send with it (the probe's origins are never
# the target's own; same-site or cross-site, a cross-site check treats them alike).
FETCH_METADATA = (("Sec-Fetch-Site", "cross-site"), ("Sec-Fetch-Mode", "cors"), ("Sec-Fetch-Dest", "empty"))
# The state-changing request any page can send without a preflight, so CORS never sees it coming:
# from the unrelated origin, it is X01's evidence (forgery.py) when it reaches the app.
SIMPLE_WRITE = Case(
    "POST text/plain", "POST", (("Content-Type", "text/plain"),), browser_headers=FETCH_METADATA
)

CASES = (
    Case("GET", "GET"),
    SIMPLE_WRITE,
    Case("POST JSON", "POST", JSON),
    Case("POST JSON + Authorization", "POST", (*JSON, ("Authorization", "Bearer x"))),
    Case("POST JSON + X-Custom", "POST", (*JSON, ("X-Custom", "1"))),
    Case("POST JSON, credentials", "POST", JSON, credentials=True),
    Case("GET, credentials", "GET", credentials=True),
    Case("PUT", "PUT", JSON),
    Case("DELETE", "DELETE"),
    Case("PATCH", "PATCH", JSON),
    Case("patch (lower-case)", "patch", JSON),
)
# What an attacker's page can read: enough for the findings and the policy table's main columns.
ATTACK_CASES = tuple(
    case for case in CASES if case.name in ("GET", "POST JSON", "GET, credentials", "POST JSON, credentials")
)


@dataclass(frozen=True)
class Probe:
    path: str
    case: Case
    origin: str
    cls: str = "given"  # the origin's class (origins.Candidate.cls): "trusted", "prefix", ...
    host: str | None = None  # the Host header a host-specific route needs
    trusted: str | None = None  # the trusted origin an adversarial one was derived from

    @property
    def request(self) -> BrowserRequest:
        return BrowserRequest(
            origin=self.origin,
            method=self.case.method,
            headers=self.case.headers,
            credentials=self.case.credentials,
        )


@dataclass(frozen=True)
class Location:
    path: str
    host: str | None = None


def probes(locations: Iterable[Location], candidates: Iterable[Candidate]) -> list[Probe]:
    candidates = list(candidates)
    found = []
    for location in locations:
        for candidate in candidates:
            cases = CASES if candidate.cls in ("trusted", "given") else ATTACK_CASES
            if candidate.cls == "reflect-any":  # the unrelated origin: one request more, for X01
                cases = (*ATTACK_CASES, SIMPLE_WRITE)
            found += [
                Probe(location.path, case, candidate.origin, candidate.cls, location.host, candidate.trusted)
                for case in cases
            ]
    return found

"""The request matrix: which cross-origin requests to try, from which origins.

Each probe is one `fetch()` a page could make: a path, the page's origin, a method, headers,
credentials. Origins are the ones given, the ones a target reveals, and
adversarial variants of each: another site, the allowed origin with a suffix, other ports and
schemes, another case, `null`.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cors_conformance.browser import BrowserRequest

UNRELATED = "https://unrelated.example"
JSON = (("Content-Type", "application/json"),)


@dataclass(frozen=True)
class Case:
    name: str
    method: str
    headers: tuple[tuple[str, str], ...] = ()
    credentials: bool = False
    body: bytes | None = None  # None: the default body for methods that carry one


CASES = (
    Case("GET", "GET"),
    Case("POST text/plain", "POST", (("Content-Type", "text/plain"),)),
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


@dataclass(frozen=True)
class Probe:
    path: str
    case: Case
    origin: str

    @property
    def request(self) -> BrowserRequest:
        return BrowserRequest(
            origin=self.origin,
            method=self.case.method,
            headers=self.case.headers,
            credentials=self.case.credentials,
        )


def variants(origin: str) -> list[str]:
    """Adversarial neighbours of an origin: suffix, other port, other scheme, other case."""
    parts = urlsplit(origin)
    if not parts.scheme or not parts.hostname:
        return []
    other_scheme = "http" if parts.scheme == "https" else "https"
    port = parts.port or (443 if parts.scheme == "https" else 80)
    return [
        f"{origin}.evil.example",
        f"{parts.scheme}://{parts.hostname}:{port + 1}",
        f"{other_scheme}://{parts.netloc}",
        origin.upper(),
    ]


def origins_for(given: Iterable[str], discovered: Iterable[str] = ()) -> list[str]:
    """The origins to try, without duplicates, in a stable order."""
    seeds = [o for o in (*given, *discovered) if o and o not in ("*", "null")]
    ordered = [*seeds, *(v for o in seeds for v in variants(o)), UNRELATED, "null"]
    return list(dict.fromkeys(ordered))


def probes(paths: Iterable[str], origins: Iterable[str], cases: Iterable[Case] = CASES) -> list[Probe]:
    origins = list(origins)
    cases = list(cases)
    return [Probe(path, case, origin) for path in paths for origin in origins for case in cases]

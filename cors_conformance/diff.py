"""Compare two targets' observations of the same probes, and classify every difference:
**browser** (a browser would allow one and block the other), **cache** (Vary differs, so a shared
cache can serve one origin's answer to another) or **cosmetic** (anything else)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cors_conformance.browser import Browser
from cors_conformance.observe import Observation
from cors_conformance.targets import Response

Kind = Literal["browser", "cache", "cosmetic"]
SEVERITY: tuple[Kind, ...] = ("browser", "cache", "cosmetic")


@dataclass(frozen=True)
class Difference:
    kind: Kind
    a: Observation
    b: Observation
    details: tuple[str, ...]
    browsers: tuple[Browser, ...] = ()  # the browsers whose verdict differs (kind "browser")


def _response_details(stage: str, a: Response | None, b: Response | None) -> tuple[list[str], list[str]]:
    """(cache details, cosmetic details) between two answers to the same request."""
    if a is None or b is None:
        return [], []
    cache, cosmetic = [], []
    if a.vary != b.vary:
        cache.append(f"{stage} Vary: {sorted(a.vary)} vs {sorted(b.vary)}")
    if a.status != b.status:
        cosmetic.append(f"{stage} status: {a.status} vs {b.status}")
    if a.cors != b.cors:
        only_a = [f"{k}: {v}" for k, v in a.cors if (k, v) not in b.cors]
        only_b = [f"{k}: {v}" for k, v in b.cors if (k, v) not in a.cors]
        cosmetic.append(f"{stage} CORS headers: {only_a or 'same lines'} vs {only_b or 'same lines'}")
    return cache, cosmetic


def sent_by_browsers(origin: str) -> bool:
    """Browsers serialise origins in lower case; an upper-case one only comes from other clients,
    so a verdict that differs for it cannot differ in a browser."""
    return origin == origin.lower()


def compare(a: Observation, b: Observation) -> Difference | None:
    browser, unreachable = [], []
    affected = tuple(name for name, v in a.verdicts.items() if v.allowed != b.verdicts[name].allowed)
    if affected:
        first = affected[0]
        line = f"verdict ({', '.join(affected)}): {a.verdicts[first].reason} vs {b.verdicts[first].reason}"
        if sent_by_browsers(a.probe.origin):
            browser.append(line)
        else:
            unreachable.append(f"{line} (no browser sends this Origin)")
    cache_p, cosmetic_p = _response_details("preflight", a.preflight, b.preflight)
    cache_r, cosmetic_r = _response_details("response", a.response, b.response)
    details = [*browser, *cache_p, *cache_r, *unreachable, *cosmetic_p, *cosmetic_r]
    if not details:
        return None
    kind: Kind = "browser" if browser else "cache" if cache_p or cache_r else "cosmetic"
    return Difference(kind, a, b, tuple(details), affected if browser else ())


def diff(a: Sequence[Observation], b: Sequence[Observation]) -> list[Difference]:
    differences = [compare(x, y) for x, y in zip(a, b, strict=True)]
    return sorted((d for d in differences if d is not None), key=lambda d: SEVERITY.index(d.kind))


def exit_status(differences: Sequence[Difference], *, strict: bool) -> int:
    if strict:
        return 1 if differences else 0
    return 1 if any(d.kind == "browser" for d in differences) else 0

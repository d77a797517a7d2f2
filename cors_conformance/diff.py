"""Compare two targets' observations of the same probes, and classify every difference:

- **browser**: a browser would allow one and block the other;
- **app-visible**: what a page that may read the answer sees differs: the status, the exposed
  headers, or the body of a readable 2xx answer (error bodies are the apps' own business);
- **cache**: Vary differs, so a shared cache may serve one origin's answer to another;
- **cosmetic**: anything else in the CORS headers (order, case, duplicates, values no browser
  decision reads).

A path that exists on one side only is an app-visible difference of its own.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from cors_conformance.browser import Browser
from cors_conformance.discover import Path
from cors_conformance.observe import Observation
from cors_conformance.targets import Response

Kind = Literal["browser", "app-visible", "cache", "cosmetic"]
KINDS: tuple[Kind, ...] = ("browser", "app-visible", "cache", "cosmetic")
_EXPOSE = "access-control-expose-headers"


@dataclass(frozen=True)
class Difference:
    kind: Kind
    path: str
    origin: str | None  # None for a route difference
    request: str | None  # the matrix case's name
    details: tuple[str, ...]
    a: Observation | None = None
    b: Observation | None = None
    browsers: tuple[Browser, ...] = ()  # the browsers whose verdict differs (kind "browser")


def _lines(headers: Sequence[tuple[str, str]]) -> list[str]:
    return [f"{name}: {value}" for name, value in headers]


def _header_details(stage: str, a: Response, b: Response) -> list[str]:
    """Where the CORS header lines differ: a header missing on one side, a value that differs, or
    the same lines in another order or repeated."""
    if a.cors == b.cors:
        return []
    values_a: dict[str, list[str]] = {}
    values_b: dict[str, list[str]] = {}
    for name, value in a.cors:
        values_a.setdefault(name, []).append(value)
    for name, value in b.cors:
        values_b.setdefault(name, []).append(value)
    details = []
    for name in dict.fromkeys([*values_a, *values_b]):
        x, y = values_a.get(name), values_b.get(name)
        if y is None:
            details.append(f"{stage} {name} missing on B (A: {' | '.join(x or [])})")
        elif x is None:
            details.append(f"{stage} {name} missing on A (B: {' | '.join(y)})")
        elif sorted(x) != sorted(y):
            details.append(f"{stage} {name}: A {' | '.join(x)}; B {' | '.join(y)}")
    return details or [
        f"{stage} CORS header lines in another order or repeated: A {_lines(a.cors)}, B {_lines(b.cors)}"
    ]


def _exposed(response: Response) -> frozenset[str]:
    return frozenset(t.strip().lower() for v in response.values(_EXPOSE) for t in v.split(",") if t.strip())


def sent_by_browsers(origin: str) -> bool:
    """Browsers serialise origins in lower case; an upper-case one only comes from other clients,
    so a verdict that differs for it cannot differ in a browser."""
    return origin == origin.lower()


def compare(a: Observation, b: Observation) -> Difference | None:
    found: dict[Kind, list[str]] = {kind: [] for kind in KINDS}
    affected = tuple(name for name, v in a.verdicts.items() if v.allowed != b.verdicts[name].allowed)
    if affected:
        first = affected[0]
        line = f"verdict ({', '.join(affected)}): A {a.verdicts[first].reason}; B {b.verdicts[first].reason}"
        if sent_by_browsers(a.probe.origin):
            found["browser"].append(line)
        else:
            found["cosmetic"].append(f"{line} (no browser sends this Origin)")
            affected = ()
    readable = a.verdict.allowed and b.verdict.allowed
    for stage, x, y in (("preflight", a.preflight, b.preflight), ("response", a.response, b.response)):
        if x is None or y is None:
            continue
        if x.status != y.status:
            found["app-visible"].append(f"{stage} status: A {x.status}, B {y.status}")
        if x.vary != y.vary:
            found["cache"].append(f"{stage} Vary: A {sorted(x.vary) or 'none'}, B {sorted(y.vary) or 'none'}")
        header_details = _header_details(stage, x, y)
        if stage == "response" and readable and _exposed(x) != _exposed(y):
            found["app-visible"] += [d for d in header_details if _EXPOSE in d] or [
                f"{stage} exposed headers differ"
            ]
            header_details = [d for d in header_details if _EXPOSE not in d]
        found["cosmetic"] += header_details
    if readable and _ok(a.response) and _ok(b.response) and not _same_body(a.response.body, b.response.body):
        found["app-visible"].append(
            f"readable body: A {_short(a.response.body)}, B {_short(b.response.body)}"
        )
    kind = next((k for k in KINDS if found[k]), None)
    if kind is None:
        return None
    details = tuple(line for k in KINDS for line in found[k])
    return Difference(kind, a.probe.path, a.probe.origin, a.probe.case.name, details, a, b, affected)


def _ok(response: Response) -> bool:
    return 200 <= response.status < 300


def _same_body(a: bytes, b: bytes) -> bool:
    """Equal bytes, or equal JSON documents (what a page's response.json() sees)."""
    if a == b:
        return True
    try:
        return bool(json.loads(a) == json.loads(b))
    except (ValueError, UnicodeDecodeError):
        return False


def _short(body: bytes, limit: int = 60) -> str:
    text = body.decode("utf-8", "replace")
    return repr(text if len(text) <= limit else text[:limit] + "...")


def on_routes_of_one_side(
    differences: Sequence[Difference], routes: Sequence[Difference]
) -> list[Difference]:
    """The differences left once a route difference speaks for its path: only browser ones."""
    one_sided = {d.path for d in routes}
    return [d for d in differences if d.kind == "browser" or d.path not in one_sided]


def route_differences(paths_a: Sequence[Path], paths_b: Sequence[Path]) -> list[Difference]:
    """Routes declared on one side only, matched by pattern, not by the sample values filled in."""
    keys_a, keys_b = {p.key for p in paths_a}, {p.key for p in paths_b}
    only_a = sorted({str(p) for p in paths_a if p.key not in keys_b})
    only_b = sorted({str(p) for p in paths_b if p.key not in keys_a})
    return [Difference("app-visible", path, None, None, ("route exists only in A",)) for path in only_a] + [
        Difference("app-visible", path, None, None, ("route exists only in B",)) for path in only_b
    ]


def diff(a: Sequence[Observation], b: Sequence[Observation]) -> list[Difference]:
    differences = [compare(x, y) for x, y in zip(a, b, strict=True)]
    return sorted((d for d in differences if d is not None), key=lambda d: KINDS.index(d.kind))


def at_least(kind: Kind, gate: Kind) -> bool:
    return KINDS.index(kind) <= KINDS.index(gate)


def exit_status(differences: Sequence[Difference], *, fail_on: Kind) -> int:
    return 1 if any(at_least(d.kind, fail_on) for d in differences) else 0

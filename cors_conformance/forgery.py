"""What CORS does not stop: cross-site requests that change state. Two findings, for `probe --forgery`:

- **X01**: a state-changing request from an origin the target does not trust reaches the app. The
  probe sends what a browser sends for a cross-site form `POST` and for a `fetch()` with a
  `text/plain` body (neither needs a preflight, so CORS never sees them coming): `Origin`,
  `Sec-Fetch-Site: cross-site`, `Sec-Fetch-Mode`, `Sec-Fetch-Dest`, the body's Content-Type. It
  reaches the app when it gets the answer the same request gets from the target's own origin
  (`Sec-Fetch-Site: same-origin`) rather than a refusal of its own. **High** when that answer is a
  success (the forged request ran), **low** when the app turned it down itself (a 415 for a form
  body, say: nothing ran, but only because of what the endpoint happens to accept).
- **X02**: a bypass pattern of a `flask_cors_asgi.CrossOriginProtection` (found in an in-process
  target) exempts paths across the whole app (its first segment is a parameter: **medium**) or a
  whole subtree, every route added under it later included (a `:path` parameter: **low**). The
  engine itself refuses a bypass of every path (`protection.E002`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from cors_conformance.browser import BROWSERS
from cors_conformance.findings import SEVERITIES, Check, Finding, Severity
from cors_conformance.origins import UNRELATED
from cors_conformance.targets import Request, Response, Target
from flask_cors_asgi import CrossOriginProtection

CHECKS = {
    "X01": Check(
        "X01",
        "a state-changing request from another site reaches the app (CORS does not stop it)",
        "put flask_cors_asgi.CrossOriginProtection in front of the app (CROSS_ORIGIN_PROTECTION=on in "
        "the service), or require a CSRF token on every state-changing request",
    ),
    "X02": Check(
        "X02",
        "a cross-origin protection bypass pattern is broader than the paths that need it",
        "name each path that must accept cross-site requests, with its method: 'POST /webhooks/{provider}'",
    ),
}
_MAX_DEPTH = 16

# (the request a page of another site makes, its Sec-Fetch-Mode and -Dest, Content-Type, body)
_SHAPES = (
    ("cross-site form POST", "navigate", "document", "application/x-www-form-urlencoded", b"a=1"),
    ("cross-site fetch() POST, text/plain", "no-cors", "empty", "text/plain;charset=UTF-8", b"{}"),
)


def _request(
    path: str, site: str, origin: str, mode: str, dest: str, content_type: str, body: bytes
) -> Request:
    headers = (
        ("Origin", origin),
        ("Sec-Fetch-Site", site),
        ("Sec-Fetch-Mode", mode),
        ("Sec-Fetch-Dest", dest),
        ("Content-Type", content_type),
    )
    return Request("POST", path, headers, body)


def _own_origin(target: Target) -> str:
    return target.url or "http://testserver"  # httpx's host for an in-process app


def _reaches_the_app(forged: Response, own: Response) -> bool:
    """The forged request got what the target's own page gets, not an answer of its own."""
    if 200 <= forged.status < 400:
        return True
    return forged.status == own.status and forged.status not in (404, 405)


def forged_writes(target: Target, paths: Iterable[str]) -> list[Finding]:
    """X01 per request shape, with every path it reaches the app on."""
    paths = list(dict.fromkeys(paths))
    found: dict[str, tuple[Severity, list[str]]] = {}
    for name, mode, dest, content_type, body in _SHAPES:
        requests = []
        for path in paths:
            requests.append(_request(path, "cross-site", UNRELATED, mode, dest, content_type, body))
            requests.append(
                _request(path, "same-origin", _own_origin(target), mode, dest, content_type, body)
            )
        answers = target.send(requests)
        for path, forged, own in zip(paths, answers[::2], answers[1::2], strict=True):
            if not _reaches_the_app(forged, own):
                continue
            severity: Severity = "high" if 200 <= forged.status < 300 else "low"
            previous, reached = found.get(name, ("low", []))
            found[name] = (min(severity, previous, key=SEVERITIES.index), [*reached, path])
    check = CHECKS["X01"]
    return [
        Finding(check.id, "cross-site-write", check.title, severity, UNRELATED, name, False, check.fix,
                tuple(reached), BROWSERS)
        for name, (severity, reached) in found.items()
    ]  # fmt: skip


def _layers(app: Any, depth: int = 0) -> Iterator[Any]:
    """`app`, the apps below it (`.app`), a Starlette app's declared middleware, mounted apps."""
    for _ in range(_MAX_DEPTH * 4):
        if app is None:
            return
        yield app
        yield from getattr(app, "user_middleware", ())
        if depth < _MAX_DEPTH:
            routes = getattr(getattr(app, "router", app), "routes", None) or ()
            for route in routes:
                inner = getattr(route, "app", None)
                if inner is not None and getattr(route, "methods", None) is None:  # a Mount or Host
                    yield from _layers(inner, depth + 1)
        app = getattr(app, "app", None)


def bypass_patterns(target: Target) -> list[str]:
    """Every bypass pattern of a CrossOriginProtection in an in-process target, built or declared."""
    found: list[str] = []
    for layer in _layers(target.app):
        cls, kwargs = getattr(layer, "cls", None), getattr(layer, "kwargs", None)
        if isinstance(layer, CrossOriginProtection):
            found += layer.insecure_bypass_patterns
        elif isinstance(cls, type) and issubclass(cls, CrossOriginProtection) and isinstance(kwargs, dict):
            found += [p for p in kwargs.get("insecure_bypass_patterns") or () if isinstance(p, str)]
    return list(dict.fromkeys(found))


def breadth(pattern: str) -> tuple[Severity, str] | None:
    """How much more than one endpoint a bypass pattern exempts, or None for a narrow one."""
    path = pattern.split()[-1] if pattern.split() else pattern
    segments = path.strip("/").split("/")
    if segments[0].startswith("{"):
        return "medium", "its first segment is a parameter: it exempts paths across the whole app"
    if any(segment.startswith("{") and segment.endswith(":path}") for segment in segments):
        return "low", "a :path parameter exempts a whole subtree, routes added under it later included"
    return None


def broad_bypasses(patterns: Sequence[str]) -> list[Finding]:
    check = CHECKS["X02"]
    found = []
    for pattern in patterns:
        judged = breadth(pattern)
        if judged is not None:
            severity, why = judged
            title = f"{check.title}: {why}"
            found.append(
                Finding(check.id, "broad-bypass", title, severity, pattern, "the bypass pattern", False,
                        check.fix, (pattern,), BROWSERS)
            )  # fmt: skip
    return found


def merged(*groups: Iterable[Finding]) -> list[Finding]:
    """Findings of several probes in one list, most severe first (as `findings.derive` sorts)."""
    found = [f for group in groups for f in group]
    return sorted(found, key=lambda f: (SEVERITIES.index(f.severity), f.id, f.origin, f.request))


def findings(target: Target, paths: Iterable[str]) -> list[Finding]:
    """X01 and X02 for the target, most severe first."""
    found = forged_writes(target, paths)
    if target.app is not None:
        found += broad_bypasses(bypass_patterns(target))
    return merged(found)

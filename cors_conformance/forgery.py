"""What CORS does not stop: cross-site requests that change state. Two findings:

- **X01**: a state-changing request from an origin the target does not trust reaches the app.
  Every probe finds it from what it sends anyway: the unrelated origin's `fetch()` `POST` with a
  `text/plain` body (no preflight, so CORS never sees it coming), sent with the headers a browser
  adds (`Sec-Fetch-Site: cross-site`, `Sec-Fetch-Mode`, `Sec-Fetch-Dest`). It reached the app when
  it succeeded (2xx or 3xx), or when it got the answer a trusted origin's same request got (a 415
  for the body both sent, say: the app turned it down itself, not a cross-site check).
  `probe --forgery` adds a cross-site form `POST` (a navigation) and compares each with the same
  request from the target's own origin (`Sec-Fetch-Site: same-origin`), which the default run does
  not send: requests a browser never sends from another site, to every path.

  Its severity follows what a forged request can do as the user: **high** when it ran (2xx) and
  an answer of the target sets a cookie browsers attach to another site's requests
  (`SameSite=None`), so the forged request carries the user's session; **low** otherwise: an API
  without such cookies that any site may call (a public `*` API) is exposed by design, a
  `SameSite=Lax` (Chromium's default) or `Strict` session is not sent, and an endpoint that turned
  the request down itself ran nothing. The probe holds no session, so it cannot see more; a low
  finding does not fail the default gate (`--fail-on medium`).
- **X02**: a bypass pattern of a `flask_cors_asgi.CrossOriginProtection` (found in an in-process
  target, without a request) exempts paths across the whole app (its first segment is a
  parameter: **medium**) or a whole subtree, every route added under it later included (a `:path`
  parameter: **low**). The engine itself refuses a bypass of every path (`protection.E002`).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from cors_conformance.browser import BROWSERS
from cors_conformance.findings import SEVERITIES, Check, Finding, Severity
from cors_conformance.matrix import SIMPLE_WRITE
from cors_conformance.observe import Observation
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

FETCH_SHAPE = "cross-site fetch() POST, text/plain"
# (the request a page of another site makes, its Sec-Fetch-Mode and -Dest, Content-Type, body)
_SHAPES = (
    ("cross-site form POST", "navigate", "document", "application/x-www-form-urlencoded", b"a=1"),
    (FETCH_SHAPE, "no-cors", "empty", "text/plain;charset=UTF-8", b"{}"),
)


def cross_site_cookie(observations: Iterable[Observation]) -> bool:
    """Whether an answer of the target sets a cookie that browsers attach to cross-site requests
    (`SameSite=None`): a forged request then carries the user's session. A cookie without it is
    not sent on another site's POST in Chromium (Lax by default)."""
    for o in observations:
        for answer in (o.preflight, o.response):
            for name, value in answer.headers if answer is not None else ():
                attributes = {part.strip().lower().replace(" ", "") for part in value.split(";")[1:]}
                if name.lower() == "set-cookie" and "samesite=none" in attributes:
                    return True
    return False


def _severity(status: int, credentials: bool) -> Severity:
    return "high" if 200 <= status < 300 and credentials else "low"


def _finding(name: str, severity: Severity, reached: Sequence[str]) -> Finding:
    check = CHECKS["X01"]
    return Finding(check.id, "cross-site-write", check.title, severity, UNRELATED, name, False, check.fix,
                   tuple(reached), BROWSERS)  # fmt: skip


def observed_writes(observations: Sequence[Observation], credentials: bool) -> list[Finding]:
    """X01 from the default probe's own requests, none more: the unrelated origin's text/plain
    POST on each path, beside a trusted origin's same request there (when one was sent)."""
    trusted = {
        o.probe.path: o.response
        for o in reversed(observations)
        if o.probe.cls in ("trusted", "given") and o.probe.case.name == SIMPLE_WRITE.name
    }
    reached: list[str] = []
    severity: Severity = "low"
    for o in observations:
        if o.probe.cls != "reflect-any" or o.probe.case.name != SIMPLE_WRITE.name:
            continue
        status, own = o.response.status, trusted.get(o.probe.path)
        if 200 <= status < 400 or (own is not None and _reaches_the_app(o.response, own)):
            reached.append(o.probe.path)
            severity = min(severity, _severity(status, credentials), key=SEVERITIES.index)
    reached = list(dict.fromkeys(reached))
    return [_finding(FETCH_SHAPE, severity, reached)] if reached else []


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


def forged_writes(target: Target, paths: Iterable[str], credentials: bool) -> list[Finding]:
    """X01 per request shape, with every path it reaches the app on (`probe --forgery`)."""
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
            severity = _severity(forged.status, credentials)
            previous, reached = found.get(name, ("low", []))
            found[name] = (min(severity, previous, key=SEVERITIES.index), [*reached, path])
    return [_finding(name, severity, reached) for name, (severity, reached) in found.items()]


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


def findings(target: Target, paths: Iterable[str], credentials: bool) -> list[Finding]:
    """`--forgery`'s X01 and X02 for the target, most severe first."""
    found = forged_writes(target, paths, credentials)
    if target.app is not None:
        found += broad_bypasses(bypass_patterns(target))
    return merged(found)

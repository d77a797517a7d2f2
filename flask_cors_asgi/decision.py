"""The CORS decision: a compiled policy and a request's CORS inputs in, the headers to append out.

Pure functions over plain data (no ASGI, no I/O), mirroring Flask-CORS 6.0.5's `get_cors_headers`
step for step. Each reproduced quirk names the Flask-CORS behaviour it matches.
"""

from __future__ import annotations

from typing import NamedTuple
from urllib.parse import unquote

from flask_cors_asgi.options import Pattern, Policy, Resource

# Up to this many requested header names, judging each in a plain loop is quicker than the set-based
# way (browsers send a handful); above it, each distinct name is judged once in C-level loops.
_FEW_ITEMS = 16

ACAO = "Access-Control-Allow-Origin"
ACEH = "Access-Control-Expose-Headers"
ACAC = "Access-Control-Allow-Credentials"
ACAPN = "Access-Control-Allow-Private-Network"
ACAH = "Access-Control-Allow-Headers"
ACMA = "Access-Control-Max-Age"
ACAM = "Access-Control-Allow-Methods"
VARY = "Vary"

Headers = list[tuple[str, str]]


class CORSRequest(NamedTuple):
    """The request fields Flask-CORS reads. A header absent from the request is None."""

    method: str  # upper-cased, as Werkzeug's request.method is
    origin: str | None = None
    request_method: str | None = None  # Access-Control-Request-Method
    request_headers: str | None = None  # Access-Control-Request-Headers
    request_private_network: str | None = None  # Access-Control-Request-Private-Network
    # The policy's origin callable's answer for this origin; None when it was not asked (no
    # callable, no Origin, or a literal or regex decided first).
    origin_verdict: bool | None = None


def match_resource(resources: tuple[Resource, ...], path: str) -> Resource | None:
    """The first resource whose pattern matches the path, as Flask-CORS's after_request picks it.

    `path` is the already percent-decoded request path (Werkzeug's request.path, ASGI's scope path);
    Flask-CORS unquotes it once more, so "/%2561pi" matches like "/api" (Flask-CORS decodes twice).
    """
    normalized = unquote(path)
    for resource in resources:
        if resource.matches(normalized):
            return resource
    return None


def origin_allowed(policy: Policy, origin: str) -> bool:
    """Case-insensitive literal equality, or a regex that matches at the start (re.match, a prefix
    match: Flask-CORS never anchors the end, so r"https://a\\.com" admits "https://a.com.evil")."""
    if origin.casefold() in policy.origin_literals:
        return True
    return _matches(policy.origin_matchers, origin)


def needs_verdict(policy: Policy, origin: str | None) -> bool:
    """Whether the policy's origin callable must be asked: literals and regexes decide first, and
    with no Origin (or an empty one, which Flask-CORS counts as absent) nothing is asked."""
    return (
        policy.origin_check is not None
        and bool(origin)
        and not policy.allow_all_origins
        and not origin_allowed(policy, origin)  # type: ignore[arg-type]
    )


def allowed_request_headers(policy: Policy, requested: str) -> str:
    """Flask-CORS's `get_allow_headers`: split on ",", strip, keep the matching items in their
    original spelling (duplicates and empty items included), sort case-sensitively, join with ", ".

    A client chooses how many items it sends (thousands fit in a request head), so each distinct
    item is judged once, with C-level loops (map, filter, set); with Flask-CORS's default "*"
    (the regex ".*", which matches every string) nothing is judged at all."""
    items = list(map(str.strip, requested.split(",")))
    if policy.header_match_all:
        return ", ".join(sorted(items))
    literals, regexes = policy.header_literals, policy.header_matchers
    if len(items) <= _FEW_ITEMS:  # what browsers send: the plain loop is the quickest
        kept = [item for item in items if item.casefold() in literals or _matches(regexes, item)]
        return ", ".join(sorted(kept))
    distinct = list(set(items))
    allowed: set[str] = set()
    if literals:
        keys = map(str.casefold, distinct)
        allowed.update(item for item, key in zip(distinct, keys, strict=True) if key in literals)
    for regex in regexes:
        allowed.update(filter(regex.match, distinct))
    kept = items if len(allowed) == len(distinct) else [item for item in items if item in allowed]
    return ", ".join(sorted(kept))


def _matches(regexes: tuple[Pattern, ...], item: str) -> bool:
    for regex in regexes:  # noqa: SIM110 (a plain loop: any() over a generator is slower)
        if regex.match(item):
            return True
    return False


def _allowed_origin(policy: Policy, origin: str | None, verdict: bool | None) -> tuple[str, int] | None:
    """Flask-CORS's `get_cors_origins`: the ACAO value and how many origins it stood for, or None
    when no CORS headers at all are due. `verdict` is the origin callable's answer, if asked."""
    if origin:  # Flask-CORS: an empty Origin header counts as absent.
        if policy.allow_all_origins and policy.send_wildcard:
            return "*", 1
        if verdict or origin_allowed(policy, origin):
            return origin, 1  # echoed verbatim, original case kept
        return None
    if not policy.always_send:
        return None
    if policy.allow_all_origins:
        # Flask-CORS sends "*" without an Origin even when send_wildcard is off, but never with credentials.
        return None if policy.supports_credentials else ("*", 1)
    if policy.no_origin_count == 0:
        return None
    # Flask-CORS puts every literal origin in a MultiDict, which emits only the first (issue #338);
    # the count still feeds the Vary rule.
    assert policy.no_origin_value is not None
    return policy.no_origin_value, policy.no_origin_count


def cors_headers(policy: Policy, request: CORSRequest) -> Headers:
    """The headers Flask-CORS appends to a response, in its order: ACAO, ACEH, ACAC, ACAPN, then for
    a preflight ACAH, ACMA, ACAM, and finally Vary. Empty values are dropped, as Flask-CORS does."""
    allowed = _allowed_origin(policy, request.origin, request.origin_verdict)
    if allowed is None:
        if request.origin_verdict is not None and policy.vary_header:
            # A refusal the callable decided differs by origin too: a cache must not reuse it.
            return [(VARY, policy.origin_vary)]
        return []
    acao, origin_count = allowed
    headers: Headers = []
    if acao:  # a configured literal "" is sorted first and then dropped as falsy by Flask-CORS
        headers.append((ACAO, acao))
    if policy.expose_headers:
        headers.append((ACEH, policy.expose_headers))
    if policy.supports_credentials:
        headers.append((ACAC, "true"))
    # Private network access: exactly "true" (case-sensitive), on any method, not only preflights.
    if request.request_private_network == "true":
        headers.append((ACAPN, "true" if policy.allow_private_network else "false"))
    if request.method == "OPTIONS":
        requested = (request.request_method or "").upper()
        # Flask-CORS tests the requested method as a *substring* of the joined methods string, so
        # with "GET, POST" the values "OS", "T, P" and "post" pass while "PUT" does not.
        if requested and policy.methods and requested in policy.methods:
            if request.request_headers:
                allow_headers = allowed_request_headers(policy, request.request_headers)
                if allow_headers:
                    headers.append((ACAH, allow_headers))
            if policy.max_age:
                headers.append((ACMA, policy.max_age))
            headers.append((ACAM, policy.methods))
    # Vary: Origin only when the answer can differ by origin: not for "*", and only with several
    # configured origins, several origins to send, or any regex origin (the default "*" is a regex).
    # An answer the origin callable decided also varies by the request headers it declared.
    if request.origin_verdict is not None and policy.vary_header:
        headers.append((VARY, policy.origin_vary))
    elif (
        policy.vary_header
        and acao != "*"
        and (policy.origin_count > 1 or origin_count > 1 or policy.origin_regexes)
    ):
        headers.append((VARY, "Origin"))
    return headers

"""Cross-origin request protection: refuse state-changing requests a browser sends from another origin.

CORS only decides what a page on another origin may *read*; a cross-site form `POST` (or a
`fetch()` with a `text/plain` body) needs no preflight, runs on the server, and only its answer is
hidden. `CrossOriginProtection` refuses such requests before they reach the app, as Go 1.25's
`net/http.CrossOriginProtection` does (with its Go 1.25.1 fix, CVE-2025-47910, for bypass patterns):

1. GET, HEAD and OPTIONS pass (they must not change state);
2. `Sec-Fetch-Site: same-origin` or `none` passes; any other value is refused;
3. without `Sec-Fetch-Site`: no `Origin` passes (same-origin or not a browser); an `Origin` whose
   host equals the `Host` passes;
4. anything else is refused, unless its `Origin` is a trusted origin or it matches a bypass
   pattern directly.

Deliberate differences from Go, each pinned by a test:

- The scheme counts (step 3). Go compares hosts only, so an `http://` page posting to the same
  host over `https://` passes there. The ASGI scope knows the request's scheme (uvicorn sets it
  from proxy headers it was told to trust), so here the whole origin must match.
- Bypass patterns use Starlette's path syntax (`"POST /webhooks/{name}"`), matched as Starlette's
  router matches a `Route`, but never when the raw path would be redirected or normalised to
  them (doubled slashes, dot segments); a trailing slash must match exactly, as the pattern says.
- Configuration is validated once, with every problem listed at once, each with an id
  (`protection.E001`...), where Go returns one error per call (and takes any bypass pattern).
- `report_only=True` logs what would be refused (rate-limited) and lets it through.

Every decision is the pure function `refusal`; the middleware reads the scope and answers. Its one
shortcut, a single scan of the headers that lets the common passing requests through (a same-origin
browser request, a trusted origin, no browser at all), agrees with `refusal` on every request
(tests/engine/test_protection_fuzz.py).
"""

from __future__ import annotations

import functools
import json
import logging
import re
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.routing import compile_path
from starlette.types import ASGIApp, Receive, Scope, Send

from flask_cors_asgi.audit import printable
from flask_cors_asgi.frameworks import built_by_a_starlette_app
from flask_cors_asgi.middleware import MEMO_MAX_INPUT_BYTES, _Refused

__all__ = [
    "PROTECTION_CHECKS",
    "CrossOriginProtection",
    "ProtectionConfigError",
    "ProtectionPolicy",
    "ProtectionProblem",
    "compile_protection",
    "protection_problems",
    "refusal",
]

logger = logging.getLogger("flask_cors_asgi.protection")

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# The scope key where a deny_handler finds why the request was refused.
REASON_KEY = "flask_cors_asgi.protection.reason"

# Each id's short title, for reports that list what was checked.
PROTECTION_CHECKS = {
    "E001": "invalid trusted origin",
    "E002": "bypass pattern covering every path",
    "E003": "invalid bypass pattern",
    "E004": "invalid method in a bypass pattern",
    "E005": "option of the wrong type",
}

# An origin as a browser serialises it: scheme "://" host [":" port], nothing else.
_ORIGIN = re.compile(
    r"(?P<scheme>[A-Za-z][A-Za-z0-9+.-]*)://"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9._~!$&'()+,;=%-]+)"
    r"(?::(?P<port>[0-9]{1,5}))?"
)
# An HTTP method is a token (RFC 9110); methods are case-sensitive and registered ones upper-case.
_METHOD = re.compile(r"[A-Z0-9!#$%&'*+.^_`|~-]+")
# A path a server or proxy would normalise, or Go's ServeMux would redirect (to its cleaned form):
# a doubled slash, or a "." or ".." segment.
_NON_CANONICAL = re.compile(r"//|/\.\.?(?:/|$)")
_DEFAULT_PORTS = {"http": "80", "https": "443"}

# Report-only logging: at most this many lines per window; the rest are counted and summarised.
REPORT_LIMIT = 10
REPORT_WINDOW_SECONDS = 60.0


@dataclass(frozen=True, slots=True)
class ProtectionProblem:
    """One problem of a CrossOriginProtection configuration: its id, the option it is about, the
    value as written, why it is refused and, where the fix is clear, a hint."""

    id: str
    option: str
    value: str
    message: str
    hint: str | None = None

    def __str__(self) -> str:
        hint = f" Hint: {self.hint}" if self.hint else ""
        return f"{self.option}: {self.value!r} {self.message} [protection.{self.id}]{hint}"


class ProtectionConfigError(ValueError):
    """The configuration is refused; `problems` lists every problem, the message one per line."""

    def __init__(self, problems: Iterable[ProtectionProblem]) -> None:
        self.problems = tuple(problems)
        lines = "\n".join(f"  {problem}" for problem in self.problems)
        super().__init__(f"CrossOriginProtection: invalid configuration:\n{lines}")


@dataclass(frozen=True, slots=True)
class Bypass:
    """A compiled bypass pattern: the methods it exempts (None: every method) and its path regex."""

    pattern: str
    methods: frozenset[str] | None
    regex: re.Pattern[str]


@dataclass(frozen=True, slots=True)
class ProtectionPolicy:
    trusted_origins: frozenset[str] = frozenset()
    bypasses: tuple[Bypass, ...] = ()


def _origin_problem(origin: Any) -> ProtectionProblem | None:
    """Go's AddTrustedOrigin checks (a scheme, a host, no path, query or fragment), plus what Go's
    URL parser lets through but no browser ever sends (user info, a wildcard, spaces)."""

    def problem(message: str, hint: str | None = None) -> ProtectionProblem:
        return ProtectionProblem("E001", "trusted_origins", str(origin), message, hint)

    if not isinstance(origin, str):
        return ProtectionProblem("E005", "trusted_origins", repr(origin), "is not a string")
    hint = "write it as the browser sends it: scheme://host[:port], e.g. https://app.example.com"
    scheme, sep, rest = origin.partition("://")
    if not sep or not scheme:
        return problem("has no scheme", hint)
    if not rest:
        return problem("has no host", hint)
    if "*" in rest:
        return problem("is a wildcard; trusted origins match exactly", "list each origin")
    if any(char in rest for char in "/?#"):
        return problem("has a path, query or fragment, which an Origin never has", hint)
    if "@" in rest:
        return problem("has user info, which an Origin never has", hint)
    match = _ORIGIN.fullmatch(origin)
    if match is None or (match["port"] is not None and int(match["port"]) > 65535):
        return problem("is not a valid origin", hint)
    return None


def _bypass_problems(pattern: Any) -> tuple[list[ProtectionProblem], Bypass | None]:
    option = "insecure_bypass_patterns"
    if not isinstance(pattern, str):
        return [ProtectionProblem("E005", option, repr(pattern), "is not a string")], None
    # Go's pattern syntax: an optional method, blanks, then the path.
    method, path = ("", pattern) if pattern.startswith("/") else _split_method(pattern)
    problems = []
    methods: frozenset[str] | None = None
    if method:
        if not _METHOD.fullmatch(method):
            hint = f"write it in upper case: {method.upper()}" if _METHOD.fullmatch(method.upper()) else None
            message = f"has an invalid method {method!r}"
            problems.append(ProtectionProblem("E004", option, pattern, message, hint))
        # Starlette's Route (and Go's ServeMux) answers HEAD wherever it answers GET.
        methods = frozenset({method, "HEAD"} if method == "GET" else {method})
    if not path.startswith("/"):
        hint = "a path pattern starts with '/', optionally after a method: 'POST /webhooks/{name}'"
        problems.append(ProtectionProblem("E003", option, pattern, "does not start with '/'", hint))
        return problems, None
    try:
        regex, _, _ = compile_path(path)
    except (AssertionError, ValueError) as exc:  # Starlette asserts a convertor exists
        problems.append(ProtectionProblem("E003", option, pattern, f"is not a Starlette path: {exc}"))
        return problems, None
    first = path[1:].split("/", 1)[0]
    if path == "/" or (first.startswith("{") and first.endswith(":path}")):
        problems.append(
            ProtectionProblem(
                "E002",
                option,
                pattern,
                "exempts every path ('/' is Go's catch-all), which turns the protection off",
                "name the paths that must accept cross-origin requests, e.g. '/webhooks/{name}'",
            )
        )
    return problems, Bypass(pattern, methods, regex)


def _split_method(pattern: str) -> tuple[str, str]:
    parts = pattern.strip().split(maxsplit=1)
    return (parts[0], parts[1]) if len(parts) == 2 else ("", pattern.strip())


def _as_list(option: str, value: Any) -> tuple[list[Any], list[ProtectionProblem]]:
    if value is None:
        return [], []
    if isinstance(value, (str, bytes)) or not isinstance(value, Iterable):
        # A lone string would otherwise be taken character by character.
        hint = f"pass a list: {option}=[{value!r}]"
        return [], [ProtectionProblem("E005", option, str(value), "must be a list of strings", hint)]
    return list(value), []


def protection_problems(
    trusted_origins: Any = None, insecure_bypass_patterns: Any = None
) -> list[ProtectionProblem]:
    """Every problem of a configuration, at once; empty when `CrossOriginProtection` accepts it."""
    try:
        compile_protection(trusted_origins, insecure_bypass_patterns)
    except ProtectionConfigError as exc:
        return list(exc.problems)
    return []


def compile_protection(trusted_origins: Any = None, insecure_bypass_patterns: Any = None) -> ProtectionPolicy:
    """The frozen policy, or ProtectionConfigError listing every problem of the configuration."""
    origins, problems = _as_list("trusted_origins", trusted_origins)
    patterns, pattern_problems = _as_list("insecure_bypass_patterns", insecure_bypass_patterns)
    problems += pattern_problems
    trusted: set[str] = set()
    for origin in origins:
        problem = _origin_problem(origin)
        if problem is None:
            # Matched exactly as written (Go's rule), and as browsers serialise it: in lower case.
            trusted.update((origin, origin.lower()))
        else:
            problems.append(problem)
    bypasses = []
    for pattern in patterns:
        found, bypass = _bypass_problems(pattern)
        problems += found
        if bypass is not None:
            bypasses.append(bypass)
    if problems:
        raise ProtectionConfigError(problems)
    return ProtectionPolicy(frozenset(trusted), tuple(bypasses))


def _host_key(host: str, scheme: str | None) -> str:
    """A host[:port] for comparison: lower case, without the scheme's default port."""
    host = host.lower()
    default = _DEFAULT_PORTS.get(scheme or "")
    if default is not None and host.endswith(":" + default) and not host.endswith("]"):
        host = host[: -len(default) - 1]
    return host


def _origin_mismatch(origin: str, host: str | None, scheme: str | None) -> str | None:
    """Why `origin` is not the request's own origin, or None when it is. `scheme` is None where the
    request's scheme is unknown: then, as in Go, only the host is compared."""
    origin_scheme, sep, origin_host = origin.partition("://")
    if not sep or not host or not origin_host:
        return "Origin does not match Host"
    origin_scheme = origin_scheme.lower()
    if _host_key(origin_host, origin_scheme) != _host_key(host, scheme or origin_scheme):
        return "Origin does not match Host"
    if scheme is not None and origin_scheme != scheme:
        # The case Go lets through (it cannot see the scheme): http://host posting to https://host.
        return f"Origin's scheme is not the request's ({scheme})"
    return None


def _route_path(path: str, root_path: str) -> str:
    # Starlette's get_route_path: the path within the app this middleware wraps.
    if root_path and path.startswith(root_path):
        if path == root_path:
            return ""
        if path[len(root_path)] == "/":
            return path[len(root_path) :]
    return path


def bypassed(policy: ProtectionPolicy, method: str, path: str, raw_path: str, root_path: str = "") -> bool:
    """Whether a bypass pattern matches the request directly. A path that a server, a proxy or Go's
    ServeMux would first normalise or redirect (doubled slashes, dot segments, in the raw path or
    once decoded) never matches: it would otherwise exempt a request meant for another route."""
    if _NON_CANONICAL.search(raw_path) or _NON_CANONICAL.search(path):
        return False
    route_path = _route_path(path, root_path)
    for bypass in policy.bypasses:
        if (bypass.methods is None or method in bypass.methods) and bypass.regex.match(route_path):
            return True
    return False


def header_refusal(
    policy: ProtectionPolicy,
    sec_fetch_site: str | None,
    origin: str | None,
    host: str | None,
    scheme: str | None,
) -> str | None:
    """The part of `refusal` that reads only headers (and the scheme): why a state-changing request
    must be refused unless a bypass pattern matches its path, or None when it passes."""
    if sec_fetch_site:
        if sec_fetch_site in ("same-origin", "none"):
            return None
        shown = sec_fetch_site if sec_fetch_site in ("cross-site", "same-site") else "not same-origin"
        reason = f"Sec-Fetch-Site is {shown}: a browser sent it from another origin"
    elif not origin:
        # Neither header: a same-origin request from an old browser, or no browser at all.
        return None
    else:
        mismatch = _origin_mismatch(origin, host, scheme)
        if mismatch is None:
            return None
        reason = mismatch + ", and Sec-Fetch-Site is missing"
    if origin and origin in policy.trusted_origins:
        return None
    return reason


def refusal(
    policy: ProtectionPolicy,
    method: str,
    sec_fetch_site: str | None,
    origin: str | None,
    host: str | None,
    scheme: str | None = None,
    path: str = "/",
    raw_path: str | None = None,
    root_path: str = "",
) -> str | None:
    """Why the request must be refused, or None when it may pass. Header values are as received
    (None or "" when absent); `scheme` is the request's own, None where unknown."""
    if method in SAFE_METHODS:
        return None
    reason = header_refusal(policy, sec_fetch_site, origin, host, scheme)
    if reason is None:
        return None
    if policy.bypasses and bypassed(policy, method, path, path if raw_path is None else raw_path, root_path):
        return None
    return reason


@functools.lru_cache(maxsize=64)  # reasons never hold request values: a handful of distinct ones
def _refused_body(reason: str) -> tuple[bytes, bytes]:
    """The 403's body and its Content-Length value, both made once per reason."""
    # Compact, as Starlette's JSONResponse writes it. The reason never echoes a request's values.
    document = {"error": "cross-origin request refused", "reason": reason}
    body = json.dumps(document, separators=(",", ":")).encode()
    return body, str(len(body)).encode()


_Fields = tuple[bytes | None, bytes | None, bytes | None]


def _header_verdict(
    policy: ProtectionPolicy, site: bytes | None, origin: bytes | None, host: bytes | None, scheme: str | None
) -> str | None:
    return header_refusal(policy, _text(site), _text(origin), _text(host), scheme)


def _text(value: bytes | None) -> str | None:
    return None if value is None else value.decode("latin-1")


class _Reporter:
    """Report-only mode's log: at most REPORT_LIMIT lines per window, then one line counting the
    rest when the next window opens, so a flood of refused requests cannot flood the log."""

    def __init__(self) -> None:
        self.window_start = float("-inf")
        self.logged = 0
        self.suppressed = 0

    def report(self, method: str, path: str, origin: str | None, reason: str) -> None:
        now = time.monotonic()
        if now - self.window_start >= REPORT_WINDOW_SECONDS:
            if self.suppressed:
                logger.warning("report-only: %d more requests would have been refused", self.suppressed)
            self.window_start, self.logged, self.suppressed = now, 0, 0
        if self.logged >= REPORT_LIMIT:
            self.suppressed += 1
            return
        self.logged += 1
        logger.warning(
            "report-only: would refuse %s %s from Origin %s: %s",
            printable(method),
            printable(path),
            "(none)" if origin is None else printable(repr(origin)),
            reason,
        )


def _request_fields(headers: Sequence[tuple[bytes, bytes]]) -> _Fields:
    """Sec-Fetch-Site, Origin and Host, None where absent. A repeated header (never sent by a
    browser) is joined with ",", as the CORS engine joins a repeated Origin: then no value matches,
    where Go reads the first one and could let "same-origin" hide a later "cross-site"."""
    fields = dict(headers)
    if len(fields) == len(headers):  # no repeated header, the usual case: all done in C
        return fields.get(b"sec-fetch-site"), fields.get(b"origin"), fields.get(b"host")
    joined: dict[bytes, bytes] = {}
    for name, value in headers:
        joined[name] = value if name not in joined else joined[name] + b"," + value
    return joined.get(b"sec-fetch-site"), joined.get(b"origin"), joined.get(b"host")


class CrossOriginProtection:
    """`CrossOriginProtection(app, trusted_origins=[...], insecure_bypass_patterns=[...])`: refuse
    (403, JSON) non-safe requests a browser sends from another origin.

    - `trusted_origins`: origins (`scheme://host[:port]`) whose requests pass, matched exactly.
    - `insecure_bypass_patterns`: Starlette paths, each optionally after a method
      (`"POST /webhooks/{name}"`), that accept requests from anywhere.
    - `report_only`: log what would be refused (rate-limited) and let it through.
    - `deny_handler`: an ASGI app that answers refused requests instead of the 403 (Go's
      SetDenyHandler); it finds the reason in `scope["flask_cors_asgi.protection.reason"]`.

    A configuration it refuses raises ProtectionConfigError here; inside a Starlette app's
    `middleware=[...]` (built when the server starts the app) it fails the app's start-up instead."""

    def __init__(
        self,
        app: ASGIApp,
        *,
        trusted_origins: Iterable[str] | None = None,
        insecure_bypass_patterns: Iterable[str] | None = None,
        report_only: bool = False,
        deny_handler: ASGIApp | None = None,
    ) -> None:
        try:
            if not isinstance(report_only, bool):
                raise ProtectionConfigError(
                    [ProtectionProblem("E005", "report_only", repr(report_only), "must be True or False")]
                )
            self.policy = compile_protection(trusted_origins, insecure_bypass_patterns)
        except ProtectionConfigError as exc:
            if not built_by_a_starlette_app():
                raise
            app = _Refused(f"flask_cors_asgi: {exc}")
            self.policy = ProtectionPolicy()
        self.app = app
        self.report_only = report_only
        self.deny_handler = deny_handler
        self._reporter = _Reporter()
        self._install(self.policy)

    def _install(self, policy: ProtectionPolicy) -> None:
        """Put a validated policy in force, with what the request path derives from it, in one step
        (no await between): a request sees the previous configuration or the new one."""
        # The header part of the decision is a pure function of four small values: memoise it,
        # bounded (inputs over MEMO_MAX_INPUT_BYTES are decided afresh, never kept).
        verdict = functools.partial(_header_verdict, policy)
        # A trusted origin passes whatever else the request says: looked up as the raw header.
        trusted = frozenset(origin.encode("latin-1") for origin in policy.trusted_origins)
        self.policy, self._verdict, self._memo, self._trusted = (
            policy,
            verdict,
            functools.lru_cache(maxsize=1024)(verdict),
            trusted,
        )

    def add_trusted_origin(self, origin: str) -> None:
        """Trust one more origin, for the requests that follow (Go's AddTrustedOrigin); an invalid one
        raises ProtectionConfigError and changes nothing."""
        self._install(self._with(trusted_origins=[*self.policy.trusted_origins, origin]))

    def add_insecure_bypass_pattern(self, pattern: str) -> None:
        """Exempt one more pattern, for the requests that follow (Go's AddInsecureBypassPattern); an
        invalid or over-broad one raises ProtectionConfigError and changes nothing."""
        self._install(self._with(insecure_bypass_patterns=[*self.insecure_bypass_patterns, pattern]))

    def reconfigure(
        self,
        *,
        trusted_origins: Iterable[str] | None = None,
        insecure_bypass_patterns: Iterable[str] | None = None,
    ) -> bool:
        """Replace the trusted origins and the bypass patterns (None keeps those in force) for the
        requests that follow, validated first: a refused configuration raises ProtectionConfigError
        with every problem and changes nothing. False when nothing changed."""
        policy = self._with(
            trusted_origins=sorted(
                self.policy.trusted_origins if trusted_origins is None else trusted_origins
            ),
            insecure_bypass_patterns=list(
                self.insecure_bypass_patterns
                if insecure_bypass_patterns is None
                else insecure_bypass_patterns
            ),
        )
        if policy == self.policy:
            return False
        self._install(policy)
        return True

    def set_deny_handler(self, handler: ASGIApp | None) -> None:
        """Answer refused requests with `handler` (None: the JSON 403), as Go's SetDenyHandler."""
        self.deny_handler = handler

    def _with(self, **changed: list[str]) -> ProtectionPolicy:
        options: dict[str, Any] = {
            "trusted_origins": sorted(self.policy.trusted_origins),
            "insecure_bypass_patterns": list(self.insecure_bypass_patterns),
            **changed,
        }
        return compile_protection(**options)

    @property
    def trusted_origins(self) -> frozenset[str]:
        """The trusted origins, as written and in lower case."""
        return self.policy.trusted_origins

    @property
    def insecure_bypass_patterns(self) -> tuple[str, ...]:
        """The bypass patterns, as written."""
        return tuple(bypass.pattern for bypass in self.policy.bypasses)

    def check(self, scope: Scope) -> str | None:
        """Why this HTTP request would be refused, or None (Go's Check)."""
        sec_fetch_site, origin, host = _request_fields(scope["headers"])
        raw_path = scope.get("raw_path")
        return refusal(
            self.policy,
            scope["method"],
            _text(sec_fetch_site),
            _text(origin),
            _text(host),
            scope.get("scheme"),
            scope["path"],
            _text(raw_path),
            scope.get("root_path", ""),
        )

    def _reason(self, scope: Scope) -> str | None:
        """`check`, with the header part memoised (as the CORS engine memoises its decisions)."""
        site, origin, host = _request_fields(scope["headers"])
        # No generator: this runs for every request the fast path leaves to the full decision.
        size = (0 if site is None else len(site)) + (0 if origin is None else len(origin))
        size += 0 if host is None else len(host)
        verdict = self._memo if size <= MEMO_MAX_INPUT_BYTES else self._verdict
        reason = verdict(site, origin, host, scope.get("scheme"))
        if reason is None or not self.policy.bypasses:
            return reason
        raw_path = scope.get("raw_path")
        path = scope["path"]
        raw = path if raw_path is None else raw_path.decode("latin-1")
        if bypassed(self.policy, scope["method"], path, raw, scope.get("root_path", "")):
            return None
        return reason

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        # The fast path, taken by nearly every request that passes: a safe method, a browser's
        # same-origin request, a trusted origin's, a client that is no browser. It only ever lets a
        # request through; everything else (a repeated header included) takes the full decision.
        if scope["type"] == "http" and scope["method"] not in SAFE_METHODS:
            site = origin = None
            # One pass in Python, comparing names with ==: the names a server hands over are new
            # bytes objects, so hashing them (dict(headers), a set of names) costs more than two
            # comparisons that fail at the length; other repeated headers (HTTP/2 splits Cookie)
            # keep the fast path. A repeated Sec-Fetch-Site or Origin becomes b",", which neither
            # passes nor is a trusted origin: the full decision (which joins them) takes it.
            for name, value in scope["headers"]:
                if name == b"sec-fetch-site":
                    site = value if site is None else b","
                elif name == b"origin":
                    origin = value if origin is None else b","
            if site is None:
                passes = origin is None or origin in self._trusted
            else:
                # Two comparisons with constants, not a set: no hash of a new bytes object.
                passes = site == b"same-origin" or site == b"none" or origin in self._trusted
            if not passes and (reason := self._reason(scope)) is not None:
                await self._refuse(scope, receive, send, reason)
                return
        await self.app(scope, receive, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send, reason: str) -> None:
        if self.report_only:
            origin = _request_fields(scope["headers"])[1]
            self._reporter.report(
                scope["method"], scope["path"], None if origin is None else origin.decode("latin-1"), reason
            )
            await self.app(scope, receive, send)
            return
        if self.deny_handler is not None:
            scope[REASON_KEY] = reason
            await self.deny_handler(scope, receive, send)
            return
        body, length = _refused_body(reason)
        # A new list each time: a middleware outside may add its headers to it (CORS does).
        headers = [(b"content-type", b"application/json"), (b"content-length", length)]
        await send({"type": "http.response.start", "status": 403, "headers": headers})
        await send({"type": "http.response.body", "body": body})

"""Shadow mode: a second CORS policy evaluated beside the serving one, on live traffic, without
changing any response (Content-Security-Policy's report-only idea, applied to CORS).

`CORSMiddleware(app, ..., shadow={...})` serves with its own options and, for every CORS request,
also works out what the `shadow` option set (a full option set; its `profile` defaults to the
serving one) would have answered. It then judges both answers as a browser would: the served one
as it went out, the shadow one as decided. Where the verdicts differ it logs one structured line
(logger `flask_cors_asgi.shadow`: origin, path, method, both verdicts), at most `log_per_minute`
lines a minute, and counts the difference in `middleware.shadow.counts`, which the application
can read (a snapshot) at any time.

The browser judgement is the Fetch standard's CORS check and CORS-preflight check as Chromium and
Firefox apply them, for both credentials modes (a server cannot see which one a request used):
"allowed", "allowed without credentials" or "refused: <why>".
"""

from __future__ import annotations

import json
import logging
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flask_cors_asgi.decision import CORSRequest, cors_headers, match_resource
from flask_cors_asgi.fetch.config import SAFELISTED_METHODS, FetchConfig, compile_fetch
from flask_cors_asgi.fetch.decision import decide
from flask_cors_asgi.fetch.middleware import request_fields
from flask_cors_asgi.options import Resource, compile_options

logger = logging.getLogger("flask_cors_asgi.shadow")

ALLOWED = "allowed"
ANONYMOUS_ONLY = "allowed without credentials"
REFUSED = "refused"
COUNT_NAMES = ("requests", "differences", "newly_refused", "newly_allowed", "changed", "logged", "suppressed")


def _values(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    return [value for key, value in headers if key.lower() == name]


def _one(headers: Sequence[tuple[str, str]], name: str) -> str | None:
    values = _values(headers, name)
    # Several lines are combined with ", ", which no valid value of these headers contains.
    return ", ".join(values) if values else None


def _cors_check(headers: Sequence[tuple[str, str]], origin: str, credentials: bool) -> str | None:
    """The Fetch CORS check: None when it passes, else why not."""
    acao = _one(headers, "access-control-allow-origin")
    if acao is None:
        return "no Access-Control-Allow-Origin"
    if acao == "*" and not credentials:
        return None
    if acao != origin:
        return f"Access-Control-Allow-Origin {acao!r}" + (" with credentials" if acao == "*" else "")
    if credentials and _one(headers, "access-control-allow-credentials") != "true":
        return "credentials not allowed"
    return None


def _listed(headers: Sequence[tuple[str, str]], name: str) -> list[str]:
    return [item.strip() for value in _values(headers, name) for item in value.split(",") if item.strip()]


def _preflight_check(
    status: int, headers: Sequence[tuple[str, str]], method: str, names: list[str], credentials: bool
) -> str | None:
    if not 200 <= status <= 299:
        return f"preflight status {status}"
    methods = _listed(headers, "access-control-allow-methods")
    if method not in SAFELISTED_METHODS and method not in methods and ("*" not in methods or credentials):
        return f"method {method} not allowed"
    allowed = {item.lower() for item in _listed(headers, "access-control-allow-headers")}
    # Chromium and Firefox let "*" cover Authorization too (the standard does not): the verdict is
    # the browsers', as the question is who a change would break.
    wildcard = "*" in allowed and not credentials
    for name in names:
        if name not in allowed and not wildcard:
            return f"header {name} not allowed"
    return None


def browser_verdict(
    origin: str,
    preflight: tuple[str, list[str]] | None,
    status: int,
    headers: Sequence[tuple[str, str]],
) -> str:
    """A browser's verdict on an answer: `preflight` is the requested method and header names for a
    preflight, None for an actual request."""
    reasons = []
    for credentials in (False, True):
        reason = _cors_check(headers, origin, credentials)
        if reason is None and preflight is not None:
            reason = _preflight_check(status, headers, *preflight, credentials)
        reasons.append(reason)
    anonymous, credentialed = reasons
    if anonymous is None:
        return ALLOWED if credentialed is None else ANONYMOUS_ONLY
    return f"{REFUSED}: {anonymous}"


class ShadowPolicy:
    """The shadow option set, compiled by its own profile's rules, answering as that profile would."""

    def __init__(self, options: Mapping[str, Any], serving_profile: str) -> None:
        options = dict(options)
        self.profile = options.pop("profile", serving_profile)
        self.fetch: FetchConfig | None = None
        self.resources: tuple[Resource, ...] = ()
        if self.profile == "fetch":
            self.fetch = compile_fetch(options)
        elif self.profile == "flask_cors":
            self.resources = compile_options(options, "shadow")
        else:
            raise ValueError(
                "CORSMiddleware: shadow option 'profile' must be 'flask_cors' or 'fetch', "
                f"got {self.profile!r}"
            )

    def answer(
        self,
        method: str,
        path: str,
        fields: tuple[str | None, str | None, tuple[str, ...] | None],
        status: int,
        scope: Scope | None = None,
    ) -> tuple[int, list[tuple[str, str]]]:
        """The status and CORS headers this policy gives the request; `status` is the app's, for an
        answer the app would give. An origin callable of a fetch shadow is never asked (report-only
        costs the request no wait): its verdict is the one this request or its cache already has,
        refused otherwise."""
        origin, acrm, acrh = fields
        if self.fetch is not None:
            check = self.fetch.origin_check
            verdict = None if check is None or origin is None or scope is None else check.known(origin, scope)
            decision = decide(self.fetch, method, origin, acrm, acrh, verdict=verdict)
            return decision.status or status, list(decision.headers)
        joined = ",".join(acrh) if acrh is not None else None
        resource = match_resource(self.resources, path)
        if resource is None:
            return status, []
        # Flask answers a preflight with its automatic OPTIONS answer, a 200.
        preflight_status = 200 if method == "OPTIONS" and acrm is not None else status
        return preflight_status, cors_headers(
            resource.policy, CORSRequest(method.upper(), origin, acrm, joined)
        )


class Shadow:
    """The counts and the rate-limited log of a shadow evaluation."""

    def __init__(self, policy: ShadowPolicy, log_per_minute: int) -> None:
        self.policy = policy
        self.log_per_minute = log_per_minute
        self._counts = dict.fromkeys(COUNT_NAMES, 0)
        self._lock = threading.Lock()  # the app may serve from several threads (sync endpoints' pool)
        self._window = (0.0, 0)  # (start of the current minute, lines logged in it)

    @property
    def counts(self) -> dict[str, int]:
        """A snapshot: CORS requests evaluated, those whose verdicts differ, of which newly refused
        (served allowed, shadow refuses), newly allowed and otherwise changed (allowed either way,
        with or without credentials); lines logged and lines suppressed by the rate limit."""
        with self._lock:
            return dict(self._counts)

    def record(self, origin: str, path: str, method: str, served: str, shadow: str) -> None:
        with self._lock:
            self._counts["requests"] += 1
            if served == shadow:
                return
            self._counts["differences"] += 1
            served_refused, shadow_refused = served.startswith(REFUSED), shadow.startswith(REFUSED)
            if served_refused and not shadow_refused:
                self._counts["newly_allowed"] += 1
            elif shadow_refused and not served_refused:
                self._counts["newly_refused"] += 1
            else:
                self._counts["changed"] += 1
            now = time.monotonic()
            start, logged = self._window
            if now - start >= 60:
                start, logged = now, 0
            if logged >= self.log_per_minute:
                self._counts["suppressed"] += 1
                self._window = (start, logged)
                return
            self._window = (start, logged + 1)
            self._counts["logged"] += 1
        line = {"origin": origin, "path": path, "method": method, "served": served, "shadow": shadow}
        logger.warning("cors shadow: %s", json.dumps(line), extra={"cors_shadow": line})


def _decoded(headers: Any) -> list[tuple[str, str]]:
    return [(name.decode("latin-1"), value.decode("latin-1")) for name, value in headers]


def _requested_names(acrh: tuple[str, ...] | None) -> list[str]:
    if acrh is None:
        return []
    return [name.strip().lower() for line in acrh for name in line.split(",") if name.strip()]


class ShadowMiddleware:
    """The serving middleware, observed: every response passes unchanged; its verdict and the shadow
    policy's are compared once the response has started."""

    def __init__(
        self,
        serving: ASGIApp,
        shadow: Mapping[str, Any],
        *,
        serving_profile: str,
        serving_options: Mapping[str, Any],
    ) -> None:
        if not isinstance(shadow, Mapping):
            raise TypeError(f"CORSMiddleware: option 'shadow' must be a dict of options, got {shadow!r}")
        options = dict(shadow)
        log_per_minute = options.pop("log_per_minute", 60)
        if isinstance(log_per_minute, bool) or not isinstance(log_per_minute, int) or log_per_minute < 0:
            raise ValueError(
                f"CORSMiddleware: shadow 'log_per_minute' must be a whole number >= 0, got {log_per_minute!r}"
            )
        self.serving = serving
        self.shadow = Shadow(ShadowPolicy(options, serving_profile), log_per_minute)

    def __getattr__(self, name: str) -> Any:
        # The serving middleware's own attributes (debug, set_debug, config...) stay reachable.
        return getattr(self.serving, name)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.serving(scope, receive, send)
            return
        fields = request_fields(scope["headers"])
        origin, acrm, acrh = fields
        if origin is None:
            await self.serving(scope, receive, send)  # not a CORS request: nothing for a browser to judge
            return
        method = scope["method"]
        root_path = scope.get("root_path", "")
        path = scope["path"]
        if root_path and path.startswith(root_path):
            path = path[len(root_path) :]
        preflight = (acrm, _requested_names(acrh)) if method == "OPTIONS" and acrm is not None else None

        async def observing_send(message: Message) -> None:
            await send(message)
            if message["type"] == "http.response.start":
                status = message["status"]
                served = browser_verdict(origin, preflight, status, _decoded(message.get("headers", ())))
                shadow_status, shadow_headers = self.shadow.policy.answer(method, path, fields, status, scope)
                shadowed = browser_verdict(origin, preflight, shadow_status, shadow_headers)
                self.shadow.record(origin, scope["path"], method, served, shadowed)

        await self.serving(scope, receive, observing_send)

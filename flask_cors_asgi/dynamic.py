"""Origins decided at request time: a callable among the `origins`, asked when no literal or regex
of the policy admits the origin.

`dynamic_origins(check, cache_size=..., ttl=..., timeout=..., vary=...)` wraps a callable
`check(origin, scope) -> bool` (a plain function or a coroutine function) into an `OriginCheck`,
which is what `origins=` takes (a bare callable gets the defaults below). `OriginCheck.verdict` is
the whole runtime contract, and any profile can call it:

- asked at most once per request: the verdict is kept in the request's scope, so the preflight's
  or the response's headers and an error answer's headers come from the same answer;
- a sync callable runs in the thread pool (anyio's), never on the event loop;
- cached per origin (and per value of each request header the callable declares in `vary`), at
  most `cache_size` entries for `ttl` seconds each; a failure is never cached;
- fails closed: an exception, a timeout or an answer that is not `True` or `False` means "not
  allowed", and is logged (at most one line per `log_interval` seconds per check, the origin
  quoted); it never becomes a 500, and never waits longer than `timeout`.

For a profile (the Flask-CORS one in options.py and middleware.py; any other the same way): split
the configured origins with `is_origin_check`, wrap the callable with `as_origin_check` once at
compile time, decide the listed origins first, and only then, per request, take `check.known(origin,
scope)` (no await: this request's answer, or a fresh cached one) and, when it is None, `await
check.verdict(origin, scope)`; the answers it decided carry `Vary: check.vary_value()`.

A timed-out sync callable cannot be stopped: its thread runs on, and holds one of the thread pool's
slots, until it returns. Give it its own timeouts (a database's statement timeout) too.
"""

from __future__ import annotations

import functools
import inspect
import itertools
import logging
import math
import re
import threading
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Iterable
from typing import Any, cast

import anyio
import anyio.to_thread
from starlette.types import Scope

logger = logging.getLogger("flask_cors_asgi")

CheckFunction = Callable[[str, Scope], "bool | Awaitable[bool]"]

# Where a request's verdict waits for the rest of the request: a scope key per check (this prefix
# and a serial number), so that reading and keeping it is one dict operation, with nothing to build.
VERDICT_KEY_PREFIX = "flask_cors_asgi.origin_verdict."
_SERIALS = itertools.count()
DEFAULT_TIMEOUT = 2.0
DEFAULT_LOG_INTERVAL = 10.0
_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")  # an HTTP header name (RFC 9110 token)


class OriginCheck:
    """A callable deciding origins at request time, with its cache, timeout and declared `Vary`.

    Compared by identity: the same object in two option sets is the same check (and cache)."""

    __slots__ = (
        "_by_origin",
        "_cache",
        "_caching",
        "_clock",
        "_failures",
        "_is_async",
        "_lock",
        "_scope_key",
        "cache_size",
        "check",
        "log_interval",
        "name",
        "timeout",
        "ttl",
        "vary",
        "vary_keys",
    )

    def __init__(
        self,
        check: CheckFunction,
        *,
        cache_size: int = 0,
        ttl: float = 0.0,
        timeout: float = DEFAULT_TIMEOUT,
        vary: Iterable[str] = (),
        log_interval: float = DEFAULT_LOG_INTERVAL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        problems = []
        if not callable(check) or isinstance(check, type):
            problems.append(f"check: expected a function (origin, scope) -> bool, got {check!r}")
        if isinstance(cache_size, bool) or not isinstance(cache_size, int) or cache_size < 0:
            problems.append(f"cache_size: expected a whole number >= 0, got {cache_size!r}")
        for name, value in (("ttl", ttl), ("log_interval", log_interval)):
            if not _seconds(value) or value < 0:
                problems.append(f"{name}: expected a finite number of seconds >= 0, got {value!r}")
        if not _seconds(timeout) or timeout <= 0:
            problems.append(f"timeout: expected a finite number of seconds > 0, got {timeout!r}")
        names = [vary] if isinstance(vary, str) else list(vary)
        for header in names:
            if not isinstance(header, str) or not _TOKEN.fullmatch(header):
                problems.append(f"vary: expected header names, got {header!r}")
        if problems:
            raise ValueError("CORS option 'origins': dynamic_origins(): " + "; ".join(problems))
        self.check = check
        self.name = getattr(check, "__qualname__", None) or type(check).__qualname__
        self.cache_size = cache_size
        self.ttl = float(ttl)
        self.timeout = float(timeout)
        # Declared once each, in the order given, case-insensitively ("Origin" is always sent).
        unique = {h.lower(): h for h in reversed(names) if h.lower() != "origin"}
        self.vary: tuple[str, ...] = tuple(reversed(unique.values()))
        self.vary_keys = tuple(h.lower().encode("latin-1") for h in self.vary)
        self.log_interval = float(log_interval)
        self._clock = clock
        self._caching = self.caching
        self._by_origin = self._caching and not self.vary_keys
        self._is_async = _is_async(check)
        self._cache: OrderedDict[Any, tuple[bool, float]] = OrderedDict()
        # Writes may come from several threads (a sync caller in the thread pool): one at a time.
        self._lock = threading.Lock()
        self._failures = _FailureLog(self.log_interval, clock)
        # A serial, not id(self): a check dropped by reconfigure mid-request cannot lend its key.
        self._scope_key = f"{VERDICT_KEY_PREFIX}{next(_SERIALS)}"

    def __repr__(self) -> str:
        return (
            f"dynamic_origins({self.name}, cache_size={self.cache_size}, ttl={self.ttl:g}, "
            f"timeout={self.timeout:g}, vary={self.vary!r})"
        )

    @property
    def caching(self) -> bool:
        return self.cache_size > 0 and self.ttl > 0

    def vary_value(self) -> str:
        """The Vary header a response decided by this check carries."""
        return ", ".join(("Origin", *self.vary))

    def _key(self, origin: str, scope: Scope) -> Any:
        if not self.vary_keys:
            return origin
        values: dict[bytes, bytes] = {}
        for name, value in scope.get("headers", ()):
            if name in self.vary_keys:
                values[name] = values[name] + b"," + value if name in values else value
        return origin, tuple(values.get(name) for name in self.vary_keys)

    def cached(self, origin: str, scope: Scope) -> bool | None:
        """The cached verdict for this origin (and declared headers), None when none is fresh.

        Reads take no lock (a hit is the hot path): a dict read and move_to_end are each atomic,
        and an entry evicted in between is simply not moved."""
        if not self._caching:
            return None
        key = self._key(origin, scope) if self.vary_keys else origin
        entry = self._cache.get(key)
        if entry is None or entry[1] <= self._clock():
            return None
        try:  # noqa: SIM105 (contextlib.suppress costs more than the rest of a hit)
            self._cache.move_to_end(key)  # least recently used first, for eviction
        except KeyError:  # evicted meanwhile
            pass
        return entry[0]

    def _store(self, origin: str, scope: Scope, verdict: bool) -> None:
        if not self.caching:
            return
        key = self._key(origin, scope)
        with self._lock:
            self._cache[key] = (verdict, self._clock() + self.ttl)
            self._cache.move_to_end(key)
            while len(self._cache) > self.cache_size:
                self._cache.popitem(last=False)

    def clear(self) -> None:
        """Forget every cached verdict (after the source of truth changed, say)."""
        with self._lock:
            self._cache.clear()

    def known(self, origin: str, scope: Scope) -> bool | None:
        """The verdict without asking: this request's, or a fresh cached one (then kept as this
        request's); None when only `verdict` can tell. Synchronous: the hot path awaits nothing."""
        # The cache first, then the scope: a fresh hit costs one setdefault for both "this request
        # already has a verdict" and "keep this one as the request's" (the scope's wins).
        if self._by_origin:  # cached by origin alone: the usual case, nothing to build
            key: Any = origin
        elif self._caching:
            key = self._key(origin, scope)
        else:
            return scope.get(self._scope_key)
        entry = self._cache.get(key)
        # The clock is read on every hit (a few tens of ns): a coarser one (per loop tick, per N
        # requests) would let an entry outlive its TTL.
        if entry is None or entry[1] <= self._clock():
            return scope.get(self._scope_key)
        try:  # noqa: SIM105 (contextlib.suppress costs more than the rest of a hit)
            self._cache.move_to_end(key)  # least recently used first, for eviction
        except KeyError:  # evicted meanwhile
            pass
        return scope.setdefault(self._scope_key, entry[0])  # type: ignore[no-any-return]

    async def verdict(self, origin: str, scope: Scope) -> bool:
        """Whether the check admits `origin` for this request: once per request, cached, bounded in
        time, False on any failure. Never raises (except for the request's own cancellation)."""
        verdict = self.known(origin, scope)
        if verdict is not None:
            return verdict
        verdict = await self._ask(origin, scope)
        scope[self._scope_key] = verdict
        return verdict

    async def _ask(self, origin: str, scope: Scope) -> bool:
        try:
            with anyio.fail_after(self.timeout):
                if self._is_async:
                    answer: Any = await cast(Awaitable[Any], self.check(origin, scope))
                else:
                    call = functools.partial(self.check, origin, scope)
                    answer = await anyio.to_thread.run_sync(call, abandon_on_cancel=True)
                    if inspect.isawaitable(answer):  # a sync callable that returned a coroutine
                        answer = await answer
        except TimeoutError:
            self._failures.report(self.name, origin, f"no answer within {self.timeout:g} s")
            return False
        except Exception as exc:
            # Quoted as repr quotes it: an exception's text may hold line breaks.
            self._failures.report(self.name, origin, f"raised {type(exc).__name__}: {str(exc)!r}")
            return False
        if not isinstance(answer, bool):
            # Deliberately strict: None (a forgotten return) or a truthy row is a bug to see, not
            # an origin to admit.
            self._failures.report(self.name, origin, f"returned {answer!r}, not True or False")
            return False
        self._store(origin, scope, answer)
        return answer


class _FailureLog:
    """At most one log line per `interval` seconds; the next one counts those left out."""

    def __init__(self, interval: float, clock: Callable[[], float]) -> None:
        self.interval = interval
        self.clock = clock
        self.next_at = float("-inf")
        self.left_out = 0
        self.lock = threading.Lock()

    def report(self, name: str, origin: str, what: str) -> None:
        now = self.clock()
        with self.lock:
            if now < self.next_at:
                self.left_out += 1
                return
            left_out, self.left_out = self.left_out, 0
            self.next_at = now + self.interval
        more = f" ({left_out} more failures not logged in the last {self.interval:g} s)" if left_out else ""
        logger.warning(
            "origin check %s %s for origin %r: origin refused (fails closed)%s", name, what, origin, more
        )


def _seconds(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _is_async(check: Any) -> bool:
    while isinstance(check, functools.partial):
        check = check.func
    return inspect.iscoroutinefunction(check) or inspect.iscoroutinefunction(
        getattr(check, "__call__", None)  # noqa: B004
    )


def dynamic_origins(
    check: CheckFunction,
    *,
    cache_size: int = 1024,
    ttl: float = 60.0,
    timeout: float = DEFAULT_TIMEOUT,
    vary: Iterable[str] = (),
    log_interval: float = DEFAULT_LOG_INTERVAL,
) -> OriginCheck:
    """`check(origin, scope) -> bool` (sync or async) as an item of `origins`, its verdicts cached
    per origin (at most `cache_size` of them, `ttl` seconds each; 0 turns the cache off), each call
    given `timeout` seconds, and `vary` naming the request headers it reads besides Origin."""
    return OriginCheck(
        check, cache_size=cache_size, ttl=ttl, timeout=timeout, vary=vary, log_interval=log_interval
    )


def is_origin_check(item: Any) -> bool:
    """An item of `origins` that decides at request time (anything callable but a class)."""
    return isinstance(item, OriginCheck) or (callable(item) and not isinstance(item, (type, re.Pattern)))


def as_origin_check(item: Any) -> OriginCheck:
    """A bare callable gets no cache (every request asks it) and the default timeout."""
    return item if isinstance(item, OriginCheck) else OriginCheck(item)

"""The cached answer of an origin callable (`OriginCheck.known`), the path every request of a
dynamic policy takes: this request's verdict wins over the cache, each check keeps its own, and the
TTL is read from the clock on every request (no coarse clock)."""

from __future__ import annotations

from flask_cors_asgi import CORSMiddleware, OriginCheck
from tests.engine.test_cors_middleware import call, header_values
from tests.engine.test_dynamic_origins import OTHER, TENANT, Clock, Recorder, origin_scope, plain_app


async def test_a_cached_verdict_becomes_the_requests_own_and_wins_over_a_newer_one() -> None:
    recorder = Recorder(TENANT)
    check = OriginCheck(recorder, cache_size=8, ttl=60, clock=Clock())
    await check.verdict(TENANT, origin_scope(TENANT))
    scope = origin_scope(TENANT)
    assert check.known(TENANT, scope) is True  # from the cache
    recorder.allowed.clear()
    check.clear()
    assert await check.verdict(TENANT, origin_scope(TENANT)) is False  # the cache now says False
    # This request keeps the answer it already took.
    assert check.known(TENANT, scope) is True
    assert await check.verdict(TENANT, scope) is True
    assert recorder.calls == [TENANT, TENANT]


async def test_a_verdict_taken_from_the_cache_outlives_the_entry_within_its_request() -> None:
    recorder, clock = Recorder(TENANT), Clock()
    check = OriginCheck(recorder, cache_size=8, ttl=60, clock=clock)
    await check.verdict(TENANT, origin_scope(TENANT))
    scope = origin_scope(TENANT)
    assert check.known(TENANT, scope) is True
    clock.now += 60
    assert check.known(TENANT, scope) is True
    assert check.known(TENANT, origin_scope(TENANT)) is None  # a new request: expired
    assert recorder.calls == [TENANT]


async def test_two_checks_keep_their_own_verdicts_in_one_request() -> None:
    admits, refuses = OriginCheck(Recorder(TENANT)), OriginCheck(Recorder())
    scope = origin_scope(TENANT)
    assert await admits.verdict(TENANT, scope) is True
    assert await refuses.verdict(TENANT, scope) is False
    assert admits.known(TENANT, scope) is True
    assert refuses.known(TENANT, scope) is False


async def test_the_ttl_is_read_from_the_clock_on_every_cached_request() -> None:
    recorder, clock = Recorder(TENANT, OTHER), Clock()
    middleware = CORSMiddleware(plain_app, origins=OriginCheck(recorder, cache_size=8, ttl=60, clock=clock))
    await call(middleware, origin_scope(TENANT))
    for _ in range(100):  # many cached hits in a row: no count of requests stands in for time
        await call(middleware, origin_scope(TENANT))
    clock.now += 59.999
    await call(middleware, origin_scope(TENANT))
    assert recorder.calls == [TENANT]
    clock.now += 0.001  # the entry's last second is over: the very next request asks again
    recorder.allowed.discard(TENANT)
    sent = await call(middleware, origin_scope(TENANT))
    assert header_values(sent[0], b"access-control-allow-origin") == []
    assert recorder.calls == [TENANT, TENANT]

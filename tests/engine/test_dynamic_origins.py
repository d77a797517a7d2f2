"""Origins decided at request time: a callable among `origins` (flask_cors_asgi.dynamic), asked
after the literals and regexes, once per request, cached, bounded in time, failing closed."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections import Counter
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from flask_cors_asgi import CORSMiddleware, OriginCheck, cross_origin, dynamic_origins
from flask_cors_asgi.decision import CORSRequest, cors_headers, needs_verdict
from flask_cors_asgi.options import DEFAULTS, compile_policy
from tests.engine.test_cors_middleware import call, header_values, http_scope

TENANT = "https://tenant.example"
OTHER = "https://other.example"
LISTED = "https://listed.example"


class Clock:
    """A monotonic clock the test moves by hand: TTLs and log intervals without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Recorder:
    """An origin check that admits `allowed` and records each call (origin, thread)."""

    def __init__(self, *allowed: str) -> None:
        self.allowed = set(allowed)
        self.calls: list[str] = []
        self.threads: list[threading.Thread] = []

    def __call__(self, origin: str, scope: Scope) -> bool:
        self.calls.append(origin)
        self.threads.append(threading.current_thread())
        return origin in self.allowed


class AsyncRecorder(Recorder):
    async def __call__(self, origin: str, scope: Scope) -> bool:  # type: ignore[override]
        await asyncio.sleep(0)  # a real await: the other requests run meanwhile
        return super().__call__(origin, scope)


async def plain_app(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("ok")(scope, receive, send)


def origin_scope(origin: str, method: str = "GET", *extra: tuple[bytes, bytes]) -> Scope:
    return http_scope(method, headers=[(b"origin", origin.encode()), *extra])


def cors_of(message: Any) -> list[tuple[bytes, bytes]]:
    return [(k, v) for k, v in message["headers"] if k.startswith(b"access-control-") or k == b"vary"]


# --- the pure decision --------------------------------------------------------------------------


def policy_with(**options: Any) -> Any:
    return compile_policy({**DEFAULTS, **options})


def test_an_admitted_origin_is_echoed_with_vary_naming_the_declared_headers() -> None:
    policy = policy_with(origins=dynamic_origins(Recorder(), vary=["X-Tenant"]))
    headers = cors_headers(policy, CORSRequest("GET", TENANT, origin_verdict=True))
    assert headers == [("Access-Control-Allow-Origin", TENANT), ("Vary", "Origin, X-Tenant")]


def test_a_refusal_the_callable_decided_still_carries_vary() -> None:
    policy = policy_with(origins=dynamic_origins(Recorder(), vary=["X-Tenant"]))
    assert cors_headers(policy, CORSRequest("GET", TENANT, origin_verdict=False)) == [
        ("Vary", "Origin, X-Tenant")
    ]


def test_vary_header_false_sends_no_vary_for_the_callable_either() -> None:
    policy = policy_with(origins=Recorder(), vary_header=False)
    assert cors_headers(policy, CORSRequest("GET", TENANT, origin_verdict=False)) == []
    assert cors_headers(policy, CORSRequest("GET", TENANT, origin_verdict=True)) == [
        ("Access-Control-Allow-Origin", TENANT)
    ]


@pytest.mark.parametrize(
    ("origin", "asked"),
    [
        (LISTED, False),  # a literal decides first
        ("HTTPS://LISTED.EXAMPLE", False),  # case-insensitively, as Flask-CORS compares literals
        ("https://a.regex.example", False),  # a regex decides first
        (TENANT, True),  # nothing static admits it: the callable is asked
        ("", False),  # an empty Origin counts as absent (Flask-CORS)
        (None, False),  # no Origin: nothing to ask about
    ],
)
def test_literals_and_regexes_decide_before_the_callable(origin: str | None, asked: bool) -> None:
    policy = policy_with(origins=[LISTED, r"https://[a-z]+\.regex\.example", Recorder()])
    assert needs_verdict(policy, origin) is asked


def test_a_callable_beside_the_wildcard_is_never_asked() -> None:
    assert needs_verdict(policy_with(origins=["*", Recorder()]), TENANT) is False


def test_a_static_answer_of_a_policy_with_a_callable_varies_by_origin() -> None:
    # The callable counts as an origin: the listed origin's answer differs from another's.
    policy = policy_with(origins=[LISTED, Recorder()])
    assert ("Vary", "Origin") in cors_headers(policy, CORSRequest("GET", LISTED))


def test_two_callables_are_refused() -> None:
    with pytest.raises(ValueError, match="'origins': at most one callable"):
        policy_with(origins=[Recorder(), Recorder()])


def test_dynamic_origins_lists_every_bad_argument() -> None:
    with pytest.raises(ValueError, match="dynamic_origins") as caught:
        dynamic_origins(Recorder(), cache_size=-1, ttl=float("nan"), timeout=0, vary=["X Tenant"])
    message = str(caught.value)
    assert "'origins'" in message
    for name in ("cache_size", "ttl", "timeout", "vary"):
        assert f"{name}:" in message


def test_dynamic_origins_refuses_what_is_not_a_function() -> None:
    with pytest.raises(ValueError, match="check: expected a function"):
        dynamic_origins("https://a.example")  # type: ignore[arg-type]


def test_declared_vary_headers_are_kept_once_each() -> None:
    check = dynamic_origins(Recorder(), vary=["X-Tenant", "x-tenant", "Origin", "X-Region"])
    assert check.vary_value() == "Origin, X-Tenant, X-Region"


# --- the middleware -----------------------------------------------------------------------------


async def test_a_sync_callable_runs_in_a_worker_thread_and_admits_the_origin() -> None:
    check = Recorder(TENANT)
    sent = await call(CORSMiddleware(plain_app, origins=check), origin_scope(TENANT))
    assert header_values(sent[0], b"access-control-allow-origin") == [TENANT.encode()]
    assert header_values(sent[0], b"vary") == [b"Origin"]
    assert check.calls == [TENANT]
    assert check.threads[0] is not threading.current_thread()


async def test_an_async_callable_is_awaited_on_the_loop() -> None:
    check = AsyncRecorder(TENANT)
    sent = await call(CORSMiddleware(plain_app, origins=check), origin_scope(TENANT))
    assert header_values(sent[0], b"access-control-allow-origin") == [TENANT.encode()]
    assert check.threads == [threading.current_thread()]


async def test_a_refused_origin_gets_vary_and_nothing_else() -> None:
    check = dynamic_origins(Recorder(), vary=["X-Tenant"])
    sent = await call(CORSMiddleware(plain_app, origins=check), origin_scope(OTHER))
    assert cors_of(sent[0]) == [(b"vary", b"Origin, X-Tenant")]


async def test_listed_origins_never_reach_the_callable() -> None:
    check = Recorder()
    middleware = CORSMiddleware(plain_app, origins=[LISTED, check])
    sent = await call(middleware, origin_scope(LISTED))
    assert header_values(sent[0], b"access-control-allow-origin") == [LISTED.encode()]
    assert check.calls == []


async def test_requests_without_origin_never_reach_the_callable() -> None:
    check = Recorder()
    await call(CORSMiddleware(plain_app, origins=check), http_scope(headers=[]))
    assert check.calls == []


async def test_only_resources_with_a_callable_ask_it() -> None:
    check = Recorder(TENANT)
    middleware = CORSMiddleware(
        plain_app, resources={"/dyn/*": {"origins": check}, "/*": {"origins": [LISTED]}}
    )
    static = await call(middleware, {**origin_scope(TENANT), "path": "/x"})
    dynamic = await call(middleware, {**origin_scope(TENANT), "path": "/dyn/x"})
    assert header_values(static[0], b"access-control-allow-origin") == []
    assert header_values(dynamic[0], b"access-control-allow-origin") == [TENANT.encode()]
    assert check.calls == [TENANT]


def starlette_app(check: Any, **options: Any) -> Starlette:
    async def boom(request: Request) -> Response:
        raise RuntimeError("boom")

    async def ok(request: Request) -> Response:
        return PlainTextResponse("ok")

    return Starlette(
        routes=[Route("/ok", ok, methods=["GET", "POST"]), Route("/boom", boom)],
        middleware=[Middleware(CORSMiddleware, origins=check, **options)],
    )


async def test_the_automatic_preflight_asks_once() -> None:
    check = Recorder(TENANT)
    transport = httpx.ASGITransport(app=starlette_app(check))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.options(
            "/ok", headers={"Origin": TENANT, "Access-Control-Request-Method": "POST"}
        )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == TENANT
    assert "POST" in response.headers["access-control-allow-methods"]
    assert check.calls == [TENANT]


@pytest.mark.parametrize("origin", [TENANT, OTHER])
async def test_an_error_answer_reuses_the_one_verdict(origin: str) -> None:
    check = Recorder(TENANT)
    transport = httpx.ASGITransport(app=starlette_app(check), raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/boom", headers={"Origin": origin})
    assert response.status_code == 500
    expected = [TENANT] if origin == TENANT else []
    assert response.headers.get_list("access-control-allow-origin") == expected
    assert response.headers.get_list("vary") == ["Origin"]
    assert check.calls == [origin]


async def test_many_concurrent_requests_ask_once_each() -> None:
    check = AsyncRecorder(*(f"https://t{n}.example" for n in range(0, 300, 2)))
    transport = httpx.ASGITransport(app=starlette_app(check))
    origins = [f"https://t{n}.example" for n in range(300)]
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        responses = await asyncio.gather(*(client.get("/ok", headers={"Origin": o}) for o in origins))
    for n, (origin, response) in enumerate(zip(origins, responses, strict=True)):
        expected = [origin] if n % 2 == 0 else []
        assert response.headers.get_list("access-control-allow-origin") == expected
        assert response.headers.get_list("vary") == ["Origin"]
    assert Counter(check.calls) == Counter(origins)


async def test_concurrent_sync_calls_share_the_thread_pool_without_blocking_the_loop() -> None:
    release = threading.Event()

    def slow(origin: str, scope: Scope) -> bool:
        release.wait(10)  # bounded: the test releases it as soon as the loop proves it is free
        return True

    middleware = CORSMiddleware(plain_app, origins=slow)
    pending = [
        asyncio.ensure_future(call(middleware, origin_scope(f"https://s{n}.example"))) for n in range(4)
    ]
    await asyncio.sleep(0.01)  # the loop runs while four threads wait
    assert not any(task.done() for task in pending)
    release.set()
    for n, sent in enumerate(await asyncio.gather(*pending)):
        assert header_values(sent[0], b"access-control-allow-origin") == [f"https://s{n}.example".encode()]


# --- the cache ----------------------------------------------------------------------------------


def cached_check(recorder: Recorder, clock: Clock, **options: Any) -> OriginCheck:
    options = {"cache_size": 2, "ttl": 60, **options}
    return OriginCheck(recorder, clock=clock, **options)


async def test_a_cached_verdict_is_reused_until_its_ttl_ends() -> None:
    recorder, clock = Recorder(TENANT), Clock()
    middleware = CORSMiddleware(plain_app, origins=cached_check(recorder, clock))
    for _ in range(3):
        await call(middleware, origin_scope(TENANT))
    assert recorder.calls == [TENANT]
    clock.now += 60
    recorder.allowed.clear()  # the source of truth changed: visible once the entry expires
    sent = await call(middleware, origin_scope(TENANT))
    assert header_values(sent[0], b"access-control-allow-origin") == []
    assert recorder.calls == [TENANT, TENANT]


async def test_refusals_are_cached_too() -> None:
    recorder, clock = Recorder(), Clock()
    middleware = CORSMiddleware(plain_app, origins=cached_check(recorder, clock))
    for _ in range(2):
        await call(middleware, origin_scope(OTHER))
    assert recorder.calls == [OTHER]


async def test_the_cache_keeps_the_most_recently_used_origins() -> None:
    recorder, clock = Recorder(), Clock()
    middleware = CORSMiddleware(plain_app, origins=cached_check(recorder, clock, cache_size=2))
    for origin in ("https://a.example", "https://b.example", "https://a.example", "https://c.example"):
        await call(middleware, origin_scope(origin))
    # c evicted b (the least recently used); a is still cached.
    await call(middleware, origin_scope("https://a.example"))
    await call(middleware, origin_scope("https://b.example"))
    assert recorder.calls == [
        "https://a.example",
        "https://b.example",
        "https://c.example",
        "https://b.example",
    ]


async def test_the_cache_is_keyed_by_the_declared_headers_too() -> None:
    def by_tenant(origin: str, scope: Scope) -> bool:
        tenant = dict(scope["headers"]).get(b"x-tenant")
        calls.append(tenant)
        return tenant == b"acme"

    calls: list[bytes | None] = []
    check = OriginCheck(by_tenant, cache_size=8, ttl=60, vary=["X-Tenant"], clock=Clock())
    middleware = CORSMiddleware(plain_app, origins=check)
    answers = []
    for tenant in (b"acme", b"globex", b"acme"):
        sent = await call(middleware, origin_scope(TENANT, "GET", (b"x-tenant", tenant)))
        answers.append(header_values(sent[0], b"access-control-allow-origin"))
        assert header_values(sent[0], b"vary") == [b"Origin, X-Tenant"]
    assert answers == [[TENANT.encode()], [], [TENANT.encode()]]
    assert calls == [b"acme", b"globex"]


async def test_a_bare_callable_is_not_cached() -> None:
    recorder = Recorder(TENANT)
    middleware = CORSMiddleware(plain_app, origins=recorder)
    for _ in range(2):
        await call(middleware, origin_scope(TENANT))
    assert recorder.calls == [TENANT, TENANT]


async def test_clear_forgets_every_verdict() -> None:
    recorder = Recorder(TENANT)
    check = cached_check(recorder, Clock())
    middleware = CORSMiddleware(plain_app, origins=check)
    await call(middleware, origin_scope(TENANT))
    check.clear()
    await call(middleware, origin_scope(TENANT))
    assert recorder.calls == [TENANT, TENANT]


# --- failing closed -----------------------------------------------------------------------------


def failing(origin: str, scope: Scope) -> bool:
    raise ConnectionError("database unreachable")


async def test_an_exception_refuses_the_origin_and_is_logged_with_it(
    caplog: pytest.LogCaptureFixture,
) -> None:
    sent = await call(CORSMiddleware(plain_app, origins=failing), origin_scope("https://a.example\r\nX: y"))
    assert sent[0]["status"] == 200  # the app's own answer, not a 500
    assert cors_of(sent[0]) == [(b"vary", b"Origin")]
    (record,) = [r for r in caplog.records if r.name == "flask_cors_asgi"]
    assert record.levelno == logging.WARNING
    message = record.getMessage()
    assert "failing raised ConnectionError: 'database unreachable'" in message
    assert r"'https://a.example\r\nX: y'" in message  # quoted: a log line cannot be forged
    assert "\n" not in message


async def test_failures_are_logged_at_most_once_per_interval(caplog: pytest.LogCaptureFixture) -> None:
    clock = Clock()
    middleware = CORSMiddleware(plain_app, origins=OriginCheck(failing, log_interval=10, clock=clock))
    for n in range(5):
        await call(middleware, origin_scope(f"https://f{n}.example"))
    clock.now += 10
    await call(middleware, origin_scope("https://last.example"))
    lines = [r.getMessage() for r in caplog.records if r.name == "flask_cors_asgi"]
    assert len(lines) == 2
    assert "'https://f0.example'" in lines[0]
    assert "'https://last.example'" in lines[1]
    assert "4 more failures not logged" in lines[1]


async def test_failures_are_not_cached() -> None:
    calls: list[str] = []

    def flaky(origin: str, scope: Scope) -> bool:
        calls.append(origin)
        if len(calls) == 1:
            raise ConnectionError("blip")
        return True

    middleware = CORSMiddleware(plain_app, origins=OriginCheck(flaky, cache_size=8, ttl=60, clock=Clock()))
    first = await call(middleware, origin_scope(TENANT))
    second = await call(middleware, origin_scope(TENANT))
    assert header_values(first[0], b"access-control-allow-origin") == []
    assert header_values(second[0], b"access-control-allow-origin") == [TENANT.encode()]
    assert len(calls) == 2


@pytest.mark.parametrize("answer", [None, 1, "true", [TENANT]])
async def test_an_answer_that_is_not_a_bool_is_refused_and_logged(
    answer: Any, caplog: pytest.LogCaptureFixture
) -> None:
    def sloppy(origin: str, scope: Scope) -> Any:
        return answer

    sent = await call(CORSMiddleware(plain_app, origins=sloppy), origin_scope(TENANT))
    assert header_values(sent[0], b"access-control-allow-origin") == []
    (record,) = [r for r in caplog.records if r.name == "flask_cors_asgi"]
    assert f"returned {answer!r}, not True or False" in record.getMessage()


async def test_an_async_callable_that_hangs_times_out_and_refuses(caplog: pytest.LogCaptureFixture) -> None:
    async def hangs(origin: str, scope: Scope) -> bool:
        await anyio.sleep_forever()
        return True  # pragma: no cover

    middleware = CORSMiddleware(plain_app, origins=dynamic_origins(hangs, timeout=0.05))
    with anyio.fail_after(10):  # the bound of this test, far above the check's own timeout
        sent = await call(middleware, origin_scope(TENANT))
    assert sent[0]["status"] == 200
    assert header_values(sent[0], b"access-control-allow-origin") == []
    assert "no answer within 0.05 s" in caplog.records[-1].getMessage()


async def test_a_sync_callable_that_hangs_times_out_and_refuses(caplog: pytest.LogCaptureFixture) -> None:
    release = threading.Event()

    def hangs(origin: str, scope: Scope) -> bool:
        release.wait(10)
        return True

    middleware = CORSMiddleware(plain_app, origins=dynamic_origins(hangs, timeout=0.05))
    try:
        with anyio.fail_after(10):
            sent = await call(middleware, origin_scope(TENANT))
    finally:
        release.set()  # let the abandoned thread end
    assert header_values(sent[0], b"access-control-allow-origin") == []
    assert "no answer within 0.05 s" in caplog.records[-1].getMessage()


def test_the_repr_shows_the_settings() -> None:
    text = repr(dynamic_origins(failing, cache_size=10, ttl=5, timeout=1, vary=["X-Tenant"]))
    assert re.fullmatch(
        r"dynamic_origins\(failing, cache_size=10, ttl=5, timeout=1, vary=\('X-Tenant',\)\)", text
    )


# --- the decorator ------------------------------------------------------------------------------


def decorated_app(route_check: Any, middleware_origins: Any = "*") -> Starlette:
    async def async_view(request: Request) -> Response:
        return PlainTextResponse("async")

    def sync_view(request: Request) -> Response:
        return PlainTextResponse("sync")

    class View(HTTPEndpoint):
        async def get(self, request: Request) -> Response:
            return PlainTextResponse("class")

    async def asgi_view(scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("asgi")(scope, receive, send)

    class AsgiView:
        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            await asgi_view(scope, receive, send)

    decorate = cross_origin(origins=[LISTED, route_check])
    return Starlette(
        routes=[
            Route("/async", decorate(async_view)),
            Route("/sync", decorate(sync_view)),
            Route("/class", decorate(View)),
            Route("/asgi", decorate(AsgiView())),
        ],
        middleware=[Middleware(CORSMiddleware, origins=middleware_origins)],
    )


@pytest.mark.parametrize(
    ("path", "method"),
    [
        *((path, method) for path in ("/async", "/sync", "/asgi") for method in ("GET", "OPTIONS")),
        # A decorated HTTPEndpoint's preflight gets the middleware's policy, as a Flask MethodView's
        # does (see flask_cors_asgi.decorator): only its GET is the route's.
        ("/class", "GET"),
    ],
)
@pytest.mark.parametrize("origin", [TENANT, OTHER])
async def test_a_decorated_route_asks_its_callable_once(path: str, method: str, origin: str) -> None:
    check = Recorder(TENANT)
    transport = httpx.ASGITransport(app=decorated_app(check))
    headers = {"Origin": origin, "Access-Control-Request-Method": "GET"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.request(method, path, headers=headers)
    assert response.status_code == 200
    expected = [origin] if origin == TENANT else []
    assert response.headers.get_list("access-control-allow-origin") == expected
    assert response.headers.get_list("vary") == ["Origin"]
    assert check.calls == [origin]


async def test_a_static_route_under_a_dynamic_middleware_is_judged_by_its_own_origins() -> None:
    """The middleware's callable admits TENANT; the route lists LISTED only: its preflight (the
    middleware's automatic answer with the route's policy) must not reuse the middleware's answer."""

    async def view(request: Request) -> Response:
        return PlainTextResponse("ok")

    check = Recorder(TENANT)
    app = Starlette(
        routes=[Route("/route", cross_origin(origins=[LISTED])(view), methods=["GET"])],
        middleware=[Middleware(CORSMiddleware, origins=check)],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        preflight = await client.options(
            "/route", headers={"Origin": TENANT, "Access-Control-Request-Method": "GET"}
        )
        get = await client.get("/route", headers={"Origin": TENANT})
    assert "access-control-allow-origin" not in preflight.headers
    assert "access-control-allow-origin" not in get.headers


async def test_one_callable_in_the_middleware_and_on_the_route_is_asked_once() -> None:
    check = dynamic_origins(Recorder(TENANT), cache_size=0)
    transport = httpx.ASGITransport(app=decorated_app(check, middleware_origins=check))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/async", headers={"Origin": TENANT})
    assert response.headers["access-control-allow-origin"] == TENANT
    assert check.check.calls == [TENANT]  # type: ignore[attr-defined]


def test_a_sync_route_outside_a_thread_pool_refuses_and_says_why(caplog: pytest.LogCaptureFixture) -> None:
    def view(request: Request) -> Response:
        return PlainTextResponse("ok")

    check = Recorder(TENANT)
    scope = {**origin_scope(TENANT), "type": "http"}
    response = cross_origin(origins=check)(view)(Request(scope))
    assert "access-control-allow-origin" not in response.headers
    assert check.calls == []
    assert "cannot be asked from this thread" in caplog.records[-1].getMessage()


@pytest.mark.parametrize("kind", ["async", "sync"])
@pytest.mark.parametrize("origin", [TENANT, OTHER])
async def test_a_fastapi_path_operation_asks_its_callable_once(kind: str, origin: str) -> None:
    check = Recorder(TENANT)
    api = FastAPI()

    if kind == "async":

        @api.get("/items")
        @cross_origin(origins=check)
        async def items_async() -> dict[str, int]:
            return {"items": 1}
    else:

        @api.get("/items")
        @cross_origin(origins=check)
        def items_sync() -> dict[str, int]:
            return {"items": 1}

    app = CORSMiddleware(api, origins=[LISTED])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.get("/items", headers={"Origin": origin})
    assert response.json() == {"items": 1}
    expected = [origin] if origin == TENANT else []
    assert response.headers.get_list("access-control-allow-origin") == expected
    assert response.headers.get_list("vary") == ["Origin"]
    assert check.calls == [origin]


# --- OriginCheck on its own (what another profile calls) ----------------------------------------


async def test_verdict_is_asked_once_per_scope_and_known_after() -> None:
    recorder = Recorder(TENANT)
    check = OriginCheck(recorder)  # no cache
    scope, other = origin_scope(TENANT), origin_scope(TENANT)
    assert check.known(TENANT, scope) is None
    assert await check.verdict(TENANT, scope) is True
    assert await check.verdict(TENANT, scope) is True
    assert check.known(TENANT, scope) is True
    assert await check.verdict(TENANT, other) is True
    assert recorder.calls == [TENANT, TENANT]


async def test_the_cache_stays_bounded_under_concurrent_requests() -> None:
    recorder = Recorder()
    check = OriginCheck(recorder, cache_size=16, ttl=60, clock=Clock())
    origins = [f"https://c{n}.example" for n in range(200)]
    await asyncio.gather(*(check.verdict(origin, origin_scope(origin)) for origin in origins))
    assert len(recorder.calls) == 200
    cached = [origin for origin in origins if check.cached(origin, origin_scope(origin)) is not None]
    assert len(cached) == 16

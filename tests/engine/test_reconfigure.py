"""`CORSMiddleware.reconfigure(**options)`: validate first, refuse with every problem and change
nothing, or swap the whole policy at once, so that each request sees exactly one policy."""

from __future__ import annotations

import asyncio
import re
import threading
import time
from typing import Any

import anyio
import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from flask_cors_asgi import CORSMiddleware, OptionsRefused, cross_origin
from tests.engine.test_cors_middleware import call, header_values, http_scope, plain_app

A = "http://a.com"
B = "https://b.example"

# Two policies whose answers differ in every header, so a mix of the two would show.
POLICY_A: dict[str, Any] = {"origins": [A], "expose_headers": ["X-From-A"], "max_age": 10}
POLICY_B: dict[str, Any] = {
    "origins": [A, B],
    "expose_headers": ["X-From-B"],
    "max_age": 20,
    "supports_credentials": True,
}


def answer(sent: list[Any]) -> list[tuple[bytes, bytes]]:
    return sorted((k, v) for k, v in sent[0]["headers"] if k.startswith(b"access-control-") or k == b"vary")


async def expected_answers(method: str = "GET") -> dict[str, list[tuple[bytes, bytes]]]:
    """Each policy's answer to the request, from a middleware built with it."""
    scope = http_scope(method, headers=[(b"origin", A.encode()), (b"access-control-request-method", b"GET")])
    return {
        name: answer(await call(CORSMiddleware(plain_app, **options), dict(scope)))
        for name, options in (("A", POLICY_A), ("B", POLICY_B))
    }


async def test_a_reconfiguration_replaces_the_policy() -> None:
    middleware = CORSMiddleware(plain_app, **POLICY_A)
    assert middleware.reconfigure(**POLICY_B) is True
    sent = await call(middleware, http_scope(headers=[(b"origin", B.encode())]))
    assert header_values(sent[0], b"access-control-allow-origin") == [B.encode()]
    assert header_values(sent[0], b"access-control-allow-credentials") == [b"true"]
    assert dict(middleware.options) == POLICY_B


async def test_options_are_replaced_not_merged() -> None:
    middleware = CORSMiddleware(plain_app, origins=[A], expose_headers=["X-Old"])
    middleware.reconfigure(origins=[A])
    sent = await call(middleware, http_scope())
    assert header_values(sent[0], b"access-control-expose-headers") == []


def test_refused_options_name_every_problem_and_change_nothing() -> None:
    middleware = CORSMiddleware(plain_app, **POLICY_A)
    before = middleware.resources
    with pytest.raises(OptionsRefused) as caught:
        middleware.reconfigure(
            origins=["https://ok.example", 5], max_age=object(), orgins=[A], vary_header="yes"
        )
    problems = caught.value.problems
    assert len(problems) == 4
    assert any("unknown CORS option 'orgins'" in p and "'origins'" in p for p in problems)
    assert any("'origins'" in p and "5" in p for p in problems)
    assert any("'max_age'" in p for p in problems)
    assert any("'vary_header'" in p for p in problems)
    assert "4 problems" in str(caught.value)
    assert middleware.resources is before
    assert dict(middleware.options) == POLICY_A


def test_a_refusal_is_both_a_type_error_and_a_value_error_as_at_construction() -> None:
    middleware = CORSMiddleware(plain_app)
    with pytest.raises(TypeError):
        middleware.reconfigure(supports_credentials="yes")  # type: ignore[typeddict-item]
    with pytest.raises(ValueError, match="Invalid regular expression"):
        middleware.reconfigure(origins=["^(unclosed"])


def test_a_combination_refused_as_a_whole_is_reported() -> None:
    middleware = CORSMiddleware(plain_app)
    with pytest.raises(OptionsRefused, match="supports_credentials in conjunction") as caught:
        middleware.reconfigure(origins="*", supports_credentials=True, send_wildcard=True)
    assert len(caught.value.problems) == 1


def test_a_refused_resource_is_named() -> None:
    middleware = CORSMiddleware(plain_app)
    with pytest.raises(OptionsRefused, match=re.escape("resource '/api/*'")):
        middleware.reconfigure(resources={"/api/*": {"orgins": [A]}})


async def test_the_current_options_are_a_no_op_and_keep_the_memo() -> None:
    middleware = CORSMiddleware(plain_app, **POLICY_A)
    await call(middleware, http_scope())
    resources = middleware.resources
    assert middleware.reconfigure(**POLICY_A) is False
    assert middleware.resources is resources
    # Spelling out a default is the same policy too.
    assert middleware.reconfigure(**POLICY_A, vary_header=True) is False


def test_other_state_of_the_middleware_survives() -> None:
    middleware = CORSMiddleware(plain_app, **POLICY_A)
    middleware.debug = True  # type: ignore[attr-defined]  # what a profile or a subclass keeps
    app, router = middleware.app, middleware.router
    middleware.reconfigure(**POLICY_B)
    assert middleware.debug is True  # type: ignore[attr-defined]
    assert (middleware.app, middleware.router) == (app, router)


async def test_a_request_in_flight_keeps_its_policy_for_its_error_answer() -> None:
    """The request read policy A before the swap; its app then fails: the 500 carries A's headers."""
    started, swapped = asyncio.Event(), asyncio.Event()

    async def fails_later(request: Request) -> Response:
        started.set()
        await swapped.wait()
        raise RuntimeError("boom")

    middleware_holder: list[CORSMiddleware] = []

    class Recording(CORSMiddleware):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            middleware_holder.append(self)

    app = Starlette(routes=[Route("/x", fails_later)], middleware=[Middleware(Recording, **POLICY_A)])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        pending = asyncio.ensure_future(client.get("/x", headers={"Origin": A}))
        with anyio.fail_after(10):
            await started.wait()
        middleware_holder[0].reconfigure(**POLICY_B)
        swapped.set()
        response = await pending
        after = await client.get("/x/none", headers={"Origin": A})
    assert response.status_code == 500
    assert response.headers["access-control-expose-headers"] == "X-From-A"
    assert "access-control-allow-credentials" not in response.headers
    assert after.headers["access-control-expose-headers"] == "X-From-B"


async def test_swaps_from_other_threads_never_mix_two_policies() -> None:
    """Threads swap A and B back and forth while requests flow: every answer, preflights included,
    is exactly A's or exactly B's, and both occur."""
    expected = {
        method: await expected_answers(method) for method in ("GET", "OPTIONS")
    }  # per method: {"A": ..., "B": ...}
    middleware = CORSMiddleware(plain_app, **POLICY_A)
    stop = threading.Event()

    def swapper(first: dict[str, Any], second: dict[str, Any]) -> None:
        for _ in range(100_000):  # bounded in count, and by `stop`
            if stop.is_set():
                return
            middleware.reconfigure(**first)
            middleware.reconfigure(**second)

    threads = [threading.Thread(target=swapper, args=(POLICY_A, POLICY_B)) for _ in range(2)]
    for thread in threads:
        thread.start()
    seen: dict[str, int] = {"A": 0, "B": 0}
    try:
        for n in range(400):
            method = ("GET", "OPTIONS")[n % 2]
            headers = [(b"origin", A.encode()), (b"access-control-request-method", b"GET")]
            got = answer(await call(middleware, http_scope(method, headers=headers)))
            matches = [name for name, headers_of in expected[method].items() if headers_of == got]
            assert matches, got
            seen[matches[0]] += 1
            if n % 8 == 0:
                await asyncio.sleep(0.001)  # let the threads run between requests too
    finally:
        stop.set()
        for thread in threads:
            thread.join(10)
    assert seen["A"] > 0
    assert seen["B"] > 0


def test_concurrent_reconfigurations_end_in_one_of_them() -> None:
    middleware = CORSMiddleware(plain_app)
    policies = [{"origins": [f"https://p{n}.example"], "max_age": n + 1} for n in range(8)]
    barrier = threading.Barrier(len(policies))

    def reconfigure(options: dict[str, Any]) -> None:
        barrier.wait(10)
        middleware.reconfigure(**options)

    threads = [threading.Thread(target=reconfigure, args=(options,)) for options in policies]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert dict(middleware.options) in policies
    (resource,) = middleware.resources
    assert resource.policy.max_age == str(middleware.options["max_age"])


async def test_a_reconfiguration_to_a_callable_asks_it() -> None:
    calls: list[str] = []

    def check(origin: str, scope: Any) -> bool:
        calls.append(origin)
        return True

    middleware = CORSMiddleware(plain_app, origins=[A])
    middleware.reconfigure(origins=[A, check])
    sent = await call(middleware, http_scope(headers=[(b"origin", B.encode())]))
    assert header_values(sent[0], b"access-control-allow-origin") == [B.encode()]
    assert calls == [B]
    assert middleware.reconfigure(origins=[A, check]) is False  # the same function: a no-op


# --- a decorated route's policy -------------------------------------------------------------------


def decorated(route: Any) -> Starlette:
    async def view(request: Request) -> Response:
        return Response("ok")

    class AsgiView:
        async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
            await Response("ok")(scope, receive, send)

    # GET only: the middleware answers the route's preflight, with the route's policy.
    return Starlette(
        routes=[Route("/fn", route(view), methods=["GET"]), Route("/app", route(AsgiView()))],
        middleware=[Middleware(CORSMiddleware, origins=[])],
    )


@pytest.mark.parametrize("path", ["/fn", "/app"])
@pytest.mark.parametrize("method", ["GET", "OPTIONS"])
async def test_a_decorated_routes_policy_is_reconfigured(path: str, method: str) -> None:
    route = cross_origin(origins=[A])
    app = decorated(route)
    assert route.reconfigure(origins=[B], max_age=30) is True
    transport = httpx.ASGITransport(app=app)
    headers = {"Origin": B, "Access-Control-Request-Method": "GET"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        response = await client.request(method, path, headers=headers)
        old = await client.request(method, path, headers={**headers, "Origin": A})
    assert response.headers["access-control-allow-origin"] == B
    assert response.headers.get("access-control-max-age") == ("30" if method == "OPTIONS" else None)
    assert "access-control-allow-origin" not in old.headers


def test_a_decorated_routes_refused_options_name_every_problem() -> None:
    route = cross_origin(origins=[A])
    with pytest.raises(OptionsRefused) as caught:
        route.reconfigure(origins=[5], resources="/x", send_wildcard="no")  # type: ignore[call-arg]
    assert len(caught.value.problems) == 3
    assert any("'resources'" in p for p in caught.value.problems)  # not a route option
    assert dict(route.options) == {"origins": [A]}
    assert route.reconfigure(origins=[A]) is False


async def test_route_swaps_from_a_thread_never_mix_two_policies() -> None:
    route = cross_origin(**POLICY_A)
    transport = httpx.ASGITransport(app=decorated(route))
    stop = threading.Event()

    def swapper() -> None:
        for _ in range(100_000):  # bounded in count, and by `stop`
            if stop.is_set():
                return
            # Each policy holds for a moment, so the requests meet both whatever the scheduling.
            route.reconfigure(**POLICY_B)
            time.sleep(0.0002)
            route.reconfigure(**POLICY_A)
            time.sleep(0.0002)

    thread = threading.Thread(target=swapper)
    thread.start()
    seen = set()
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            # Until both policies were seen, bounded in count and in time.
            deadline = time.monotonic() + 15
            for _ in range(5_000):
                if seen == {"X-From-A", "X-From-B"} or time.monotonic() > deadline:
                    break
                response = await client.get("/fn", headers={"Origin": A})
                shown = (
                    response.headers["access-control-expose-headers"],
                    response.headers.get("access-control-allow-credentials"),
                    response.headers.get("vary"),
                )
                assert shown in {("X-From-A", None, None), ("X-From-B", "true", "Origin")}, shown
                seen.add(shown[0])
    finally:
        stop.set()
        thread.join(10)
    assert seen == {"X-From-A", "X-From-B"}

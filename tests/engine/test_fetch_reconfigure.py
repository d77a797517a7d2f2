"""`FetchCORSMiddleware.reconfigure(**options)`: validated first (every problem, the policy in force
kept), then one atomic swap of the state each request reads once; a no-op for the options in
force; the debug flag survives it."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import pytest
from starlette.types import Receive, Scope, Send

from flask_cors_asgi import CORSMiddleware, FetchConfigError, FetchCORSMiddleware
from tests.engine.test_fetch_profile import Spy, call

A = "https://a.example"
B = "https://b.example"


def fetch(**options: Any) -> FetchCORSMiddleware:
    middleware = CORSMiddleware(Spy(), profile="fetch", **options)
    assert isinstance(middleware, FetchCORSMiddleware)
    return middleware


async def acao(app: Any, origin: str) -> str | None:
    _, lines, _ = await call(app, "GET", {"Origin": [origin]})
    return dict(lines).get("access-control-allow-origin")


async def preflight_status(app: Any, origin: str, method: str = "PUT") -> int:
    status, _, _ = await call(app, "OPTIONS", {"Origin": [origin], "Access-Control-Request-Method": [method]})
    return status


async def test_reconfigure_swaps_the_policy() -> None:
    middleware = fetch(origins=[A])
    assert middleware.reconfigure(origins=[B], methods=["PUT"]) is True
    assert (await acao(middleware, A), await acao(middleware, B)) == (None, B)
    assert await preflight_status(middleware, B) == 204
    assert dict(middleware.options) == {"origins": [B], "methods": ["PUT"]}


async def test_the_options_replace_the_current_ones_rather_than_merge() -> None:
    middleware = fetch(origins=[A], methods=["PUT"])
    middleware.reconfigure(origins=[A])
    assert await preflight_status(middleware, A) == 403  # PUT is no longer allowed


def test_the_options_in_force_are_a_no_op() -> None:
    middleware = fetch(origins=[A], methods=["PUT"])
    state = middleware._state
    assert middleware.reconfigure(origins=[A], methods=["PUT"]) is False
    assert middleware._state is state  # nothing recompiled: the memo keeps its entries


async def test_an_invalid_configuration_is_refused_whole_and_the_old_policy_serves() -> None:
    middleware = fetch(origins=[A])
    config = middleware.config
    with pytest.raises(FetchConfigError) as raised:
        middleware.reconfigure(origins=["null", B], supports_credentials="yes", max_age=10**6)
    assert [p.id for p in raised.value.problems] == ["fetch.E017", "fetch.E003", "fetch.E012"]
    assert middleware.config is config
    assert dict(middleware.options) == {"origins": [A]}
    assert (await acao(middleware, A), await acao(middleware, B)) == (A, None)


async def test_the_debug_flag_survives_a_reconfiguration() -> None:
    middleware = fetch(origins=[A])
    middleware.set_debug(True)
    assert middleware.reconfigure(origins=[B]) is True
    assert middleware.debug is True
    assert await preflight_status(middleware, B) == 204  # debug: the origin passed, PUT did not
    assert middleware.reconfigure(origins=[B], debug=False) is True  # unless the options say
    assert middleware.debug is False
    assert await preflight_status(middleware, B) == 403
    assert middleware.reconfigure(origins=[B], debug=False) is False


def test_set_debug_keeps_the_policy() -> None:
    middleware = fetch(origins=[A])
    config = middleware.config
    middleware.set_debug(True)
    assert (middleware.config, middleware.debug) == (config, True)
    with pytest.raises(TypeError):
        middleware.set_debug("on")  # type: ignore[arg-type]


async def test_a_request_in_flight_keeps_the_policy_it_started_with() -> None:
    class Reconfiguring:
        """An app that reconfigures the middleware around it while the request is inside."""

        middleware: FetchCORSMiddleware

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            self.middleware.reconfigure(origins=[B])
            await Spy()(scope, receive, send)

    app = Reconfiguring()
    app.middleware = FetchCORSMiddleware(app, origins=[A])
    assert await acao(app.middleware, A) == A  # the old policy's answer, whole
    assert await acao(app.middleware, B) == B  # the next request sees the new one


async def test_concurrent_reconfigurations_from_threads_never_mix_two_policies() -> None:
    # Two policies that differ in every header: an answer with parts of both would show.
    first = {"origins": [A], "expose_headers": ["X-A"]}
    second = {"origins": [B], "expose_headers": ["X-B"]}
    middleware = fetch(**first)
    stop = threading.Event()

    def toggle() -> None:
        for turn in range(2000):  # bounded in count, and stopped once the requests are done
            if stop.is_set():
                return
            middleware.reconfigure(**(second if turn % 2 == 0 else first))

    thread = threading.Thread(target=toggle)
    thread.start()
    try:
        answers = await asyncio.gather(*(call(middleware, "GET", {"Origin": [A]}) for _ in range(300)))
    finally:
        stop.set()
        thread.join(timeout=10)
    for _, lines, _ in answers:
        headers = dict(lines)
        assert headers.get("access-control-expose-headers") in (None, "x-a")
        assert ("access-control-allow-origin" in headers) == ("access-control-expose-headers" in headers)

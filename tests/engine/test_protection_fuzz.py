"""CrossOriginProtection under generated requests: the middleware's fast path and its full decision
(`check`, which is `refusal`) always agree, nothing raises, and the rules that must hold whatever
the headers say do hold."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from starlette.types import Message, Receive, Scope, Send

from flask_cors_asgi import CrossOriginProtection

TRUSTED = "https://trusted.example"


class Endpoint:
    """Answers 200 and records that it ran."""

    ran = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        self.ran = True
        await send({"type": "http.response.start", "status": 200, "headers": []})


ENDPOINT = Endpoint()
PROTECTION = CrossOriginProtection(
    ENDPOINT,
    trusted_origins=[TRUSTED],
    insecure_bypass_patterns=["POST /hooks/{name}", "/open/{rest:path}"],
)

# Values near the interesting ones, and arbitrary latin-1 text.
TEXT = st.text(st.characters(min_codepoint=0x20, max_codepoint=0xFF), max_size=30)
SITES = st.one_of(
    st.sampled_from(["same-origin", "none", "cross-site", "same-site", "", "SAME-ORIGIN"]), TEXT
)
ORIGINS = st.one_of(
    st.sampled_from(
        [
            TRUSTED,
            "https://example.com",
            "http://example.com",
            "https://example.com:443",
            "null",
            "https://x.example",
        ]
    ),
    TEXT,
)
HOSTS = st.one_of(st.sampled_from(["example.com", "EXAMPLE.com:443", "x.example"]), TEXT)
PATHS = st.sampled_from(
    ["/", "/hooks/a", "/hooks/a/", "/hooks//a", "/x/../hooks/a", "/open/", "/open/a/./b", "/api"]
)
HEADER = st.one_of(
    st.tuples(st.just(b"sec-fetch-site"), SITES.map(lambda v: v.encode("latin-1"))),
    st.tuples(st.just(b"origin"), ORIGINS.map(lambda v: v.encode("latin-1"))),
    st.tuples(st.just(b"host"), HOSTS.map(lambda v: v.encode("latin-1"))),
    st.tuples(st.sampled_from([b"cookie", b"content-type"]), st.just(b"x")),
)


@pytest.fixture(scope="module")
def run() -> Iterator[Callable[[Any], Any]]:
    with asyncio.Runner() as runner:
        yield runner.run


async def status(scope: Scope) -> tuple[int, bool]:
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    ENDPOINT.ran = False
    await PROTECTION(scope, None, send)  # type: ignore[arg-type]
    return sent[0]["status"], ENDPOINT.ran


@settings(deadline=None, max_examples=1500, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    method=st.sampled_from(["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH"]),
    headers=st.lists(HEADER, max_size=6),
    path=PATHS,
    scheme=st.sampled_from(["http", "https", None]),
)
def test_fast_path_and_full_decision_agree(
    run: Callable[[Any], Any], method: str, headers: list[tuple[bytes, bytes]], path: str, scheme: str | None
) -> None:
    scope: dict[str, Any] = {
        "type": "http",
        "method": method,
        "path": path,
        "raw_path": path.encode(),
        "headers": headers,
    }
    if scheme is not None:
        scope["scheme"] = scheme
    reason = PROTECTION.check(scope)
    answered, ran = run(status(scope))
    assert (answered, ran) == ((200, True) if reason is None else (403, False))
    # Whatever else the request says:
    values = {name: [v for n, v in headers if n == name] for name in (b"sec-fetch-site", b"origin")}
    if method in ("GET", "HEAD", "OPTIONS"):
        assert reason is None
    if values[b"origin"] == [TRUSTED.encode()]:
        assert reason is None  # a trusted origin passes, sent once
    if values[b"sec-fetch-site"] == [b"same-origin"] or (
        not values[b"sec-fetch-site"] and not values[b"origin"]
    ):
        assert reason is None  # a same-origin browser request, or no browser
    if values[b"sec-fetch-site"] in ([b"cross-site"], [b"same-site"]) and values[b"origin"] != [
        TRUSTED.encode()
    ]:
        # Refused unless a bypass pattern matches directly.
        assert (reason is None) == (
            (method == "POST" and path == "/hooks/a") or (path == "/open/")
        ) or method in ("GET", "HEAD", "OPTIONS")

"""The ASGI layer: what the middleware does with scopes, bodies, streams and exceptions, and the
pinned differences between Starlette's router and Werkzeug's that sit next to it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Mount, Route
from starlette.types import Message, Receive, Scope, Send

from flask_cors_asgi import CORSMiddleware, cross_origin
from flask_cors_asgi.middleware import MEMO_MAX_INPUT_BYTES, header_block
from testing_support import Req, RouteSpec, flask_app, send_asgi, send_flask

A = "http://a.com"


def http_scope(
    method: str = "GET", path: str = "/x", headers: list[tuple[bytes, bytes]] | None = None
) -> Scope:
    return {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers if headers is not None else [(b"origin", A.encode())],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 80),
    }


async def call(app: Any, scope: Scope, receive: Receive | None = None) -> list[Message]:
    sent: list[Message] = []

    async def never_called() -> Message:
        raise AssertionError("the middleware must not read the request body")

    async def send(message: Message) -> None:
        sent.append(message)

    await app(scope, receive or never_called, send)
    return sent


def header_values(message: Message, name: bytes) -> list[bytes]:
    return [value for key, value in message["headers"] if key == name]


async def plain_app(scope: Scope, receive: Receive, send: Send) -> None:
    await PlainTextResponse("ok")(scope, receive, send)


async def test_request_body_is_never_read_by_the_middleware() -> None:
    sent = await call(CORSMiddleware(plain_app), http_scope("POST"))
    assert header_values(sent[0], b"access-control-allow-origin") == [A.encode()]


async def test_the_app_receives_the_whole_body_untouched() -> None:
    async def echo(request: Request) -> Response:
        return Response(await request.body())

    app = Starlette(routes=[Route("/x", echo, methods=["POST"])], middleware=[Middleware(CORSMiddleware)])
    body = b"x" * 200_000
    async with httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://t") as client:
        response = await client.post("/x", content=body, headers={"Origin": A})
    assert response.content == body
    assert response.headers["access-control-allow-origin"] == A


async def test_streamed_response_passes_chunk_by_chunk() -> None:
    async def chunks() -> AsyncIterator[bytes]:
        for index in range(3):
            yield f"chunk{index}".encode()

    async def stream(scope: Scope, receive: Receive, send: Send) -> None:
        await StreamingResponse(chunks())(scope, receive, send)

    async def disconnect_never() -> Message:
        return {"type": "http.disconnect"}

    sent = await call(CORSMiddleware(stream), http_scope(), receive=disconnect_never)
    assert header_values(sent[0], b"access-control-allow-origin") == [A.encode()]
    bodies = [m.get("body", b"") for m in sent[1:] if m["type"] == "http.response.body"]
    assert [b for b in bodies if b] == [b"chunk0", b"chunk1", b"chunk2"]  # not merged into one


@pytest.mark.parametrize("scope_type", ["websocket", "lifespan"])
async def test_other_scopes_pass_through_untouched(scope_type: str) -> None:
    seen: list[Scope] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope)

    scope = {"type": scope_type, "path": "/x", "headers": [(b"origin", A.encode())]}
    assert await call(CORSMiddleware(app), scope) == []
    assert seen == [scope]


async def test_repeated_origin_headers_are_joined_as_wsgi_servers_join_them() -> None:
    headers = [(b"origin", A.encode()), (b"origin", b"http://b.com")]
    sent = await call(CORSMiddleware(plain_app), http_scope(headers=headers))
    assert header_values(sent[0], b"access-control-allow-origin") == [b"http://a.com,http://b.com"]
    sent = await call(CORSMiddleware(plain_app, origins=[A]), http_scope(headers=headers))
    assert header_values(sent[0], b"access-control-allow-origin") == []


async def test_root_path_is_not_part_of_the_matched_path() -> None:
    scope = http_scope(path="/prefix/api/x")
    scope["root_path"] = "/prefix"
    sent = await call(CORSMiddleware(plain_app, resources=r"/api/.*"), scope)
    assert header_values(sent[0], b"access-control-allow-origin") == [A.encode()]


async def test_exception_gets_a_500_with_cors_and_is_reraised_for_the_server_log() -> None:
    async def broken(scope: Scope, receive: Receive, send: Send) -> None:
        raise RuntimeError("boom")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    async def receive() -> Message:
        raise AssertionError("not read")

    with pytest.raises(RuntimeError, match="boom"):
        await CORSMiddleware(broken)(http_scope(), receive, send)
    assert sent[0]["status"] == 500
    assert header_values(sent[0], b"access-control-allow-origin") == [A.encode()]
    assert sent[1]["body"] == b"Internal Server Error"


async def test_exception_under_starlette_still_reaches_the_server() -> None:
    async def broken(request: Request) -> Response:
        raise RuntimeError("boom")

    app = Starlette(routes=[Route("/x", broken)], middleware=[Middleware(CORSMiddleware)])
    transport = httpx.ASGITransport(app=app, raise_app_exceptions=True)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        with pytest.raises(
            RuntimeError, match="boom"
        ):  # what uvicorn logs as "Exception in ASGI application"
            await client.get("/x", headers={"Origin": A})


async def test_exception_after_the_response_started_is_left_alone() -> None:
    async def half(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": []})
        raise RuntimeError("mid-stream")

    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    with pytest.raises(RuntimeError, match="mid-stream"):
        await CORSMiddleware(half)(http_scope(), plain_receive, send)
    assert [m["type"] for m in sent] == ["http.response.start"]


async def plain_receive() -> Message:
    return {"type": "http.disconnect"}


async def test_instances_do_not_share_decisions() -> None:
    first, second = (
        CORSMiddleware(plain_app, origins=[A]),
        CORSMiddleware(plain_app, origins=["http://b.com"]),
    )
    for _ in range(2):
        assert header_values((await call(first, http_scope()))[0], b"access-control-allow-origin") == [
            A.encode()
        ]
        assert header_values((await call(second, http_scope()))[0], b"access-control-allow-origin") == []


async def test_large_distinct_inputs_are_decided_but_not_memoised() -> None:
    """A client varying kilobyte-sized headers cannot fill the decision caches with them."""
    middleware = CORSMiddleware(plain_app, origins=r".*", allow_headers=r".*")
    await call(middleware, http_scope())
    memoised = middleware._state.decide.cache_info().currsize, header_block.cache_info().currsize
    for i in range(50):
        names = [f"x-{i}-{n}" for n in range(200)]
        requested = ",".join(names).encode()
        assert len(requested) > MEMO_MAX_INPUT_BYTES
        preflight = http_scope(
            "OPTIONS",
            headers=[
                (b"origin", A.encode()),
                (b"access-control-request-method", b"POST"),
                (b"access-control-request-headers", requested),
            ],
        )
        start = (await call(middleware, preflight))[0]
        assert header_values(start, b"access-control-allow-headers") == [", ".join(sorted(names)).encode()]
    assert (middleware._state.decide.cache_info().currsize, header_block.cache_info().currsize) == memoised


async def test_lower_case_options_is_a_preflight_as_in_werkzeug() -> None:
    async def ok(request: Request) -> Response:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/x", ok, methods=["POST"])], middleware=[Middleware(CORSMiddleware)])
    headers = [(b"origin", A.encode()), (b"access-control-request-method", b"POST")]
    sent = await call(app, http_scope("options", "/x", headers))
    assert sent[0]["status"] == 200
    assert header_values(sent[0], b"access-control-allow-methods") == [
        b"DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"
    ]


async def test_difference_lower_case_actual_method_is_routed_case_sensitively() -> None:
    # Werkzeug upper-cases every method ("post" reaches a POST view: 200); Starlette's router does
    # not (405). The CORS headers are the same either way. Listed in docs/engine.md.
    async def ok(request: Request) -> Response:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/x", ok, methods=["POST"])], middleware=[Middleware(CORSMiddleware)])
    sent = await call(app, http_scope("post", "/x"), receive=plain_receive)
    assert sent[0]["status"] == 405
    assert header_values(sent[0], b"access-control-allow-origin") == [A.encode()]


async def test_difference_trailing_slash_redirect_status() -> None:
    # Werkzeug redirects "/api/items" to the rule "/api/items/" with 308; Starlette's router uses 307
    # (and also redirects the other way). Both carry the resource's CORS headers. Listed in docs/engine.md.
    routes = (RouteSpec("/api/items/", ("GET",)),)
    request = Req("GET", "/api/items", {"Origin": A})
    reference = send_flask(flask_app({}, routes), request)

    async def ok(request: Request) -> Response:
        return PlainTextResponse("ok")

    port = await send_asgi(
        Starlette(routes=[Route("/api/items/", ok)], middleware=[Middleware(CORSMiddleware)]), request
    )
    assert (reference.status, port.status) == (308, 307)
    assert reference.cors == port.cors == (("access-control-allow-origin", A),)


async def test_automatic_options_inside_a_mount() -> None:
    async def ok(request: Request) -> Response:
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Mount("/api", routes=[Route("/items", ok, methods=["GET", "POST"])])],
        middleware=[Middleware(CORSMiddleware)],
    )
    observed = await send_asgi(
        app, Req("OPTIONS", "/api/items", {"Origin": A, "Access-Control-Request-Method": "POST"})
    )
    assert observed.status == 200
    assert observed.allow == {"GET", "HEAD", "POST", "OPTIONS"}


async def test_decorator_keeps_sync_endpoints_in_the_threadpool() -> None:
    import threading

    main_thread = threading.get_ident()
    seen: list[int] = []

    def sync_endpoint(request: Request) -> Response:
        seen.append(threading.get_ident())
        return PlainTextResponse("ok")

    app = Starlette(
        routes=[Route("/x", cross_origin(origins=[A])(sync_endpoint))],
        middleware=[Middleware(CORSMiddleware)],
    )
    observed = await send_asgi(app, Req("GET", "/x", {"Origin": A}))
    assert observed.header("access-control-allow-origin") == [A]
    assert seen
    assert seen[0] != main_thread


def test_decorated_endpoint_keeps_its_name() -> None:
    async def handle_foo(request: Request) -> Response:
        return PlainTextResponse("ok")

    assert cross_origin()(handle_foo).__name__ == "handle_foo"


async def test_difference_automatic_options_is_answered_before_inner_middleware() -> None:
    # Flask runs before_request hooks for its automatic OPTIONS answer; here the answer comes from
    # CORSMiddleware itself, so only middleware placed outside it sees those requests. Listed.
    seen: list[str] = []

    class Recorder:
        def __init__(self, app: Any) -> None:
            self.app = app

        async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
            seen.append(scope["method"])
            await self.app(scope, receive, send)

    async def ok(request: Request) -> Response:
        return PlainTextResponse("ok")

    app = Starlette(routes=[Route("/x", ok)], middleware=[Middleware(CORSMiddleware), Middleware(Recorder)])
    assert (await send_asgi(app, Req("OPTIONS", "/x", {"Origin": A}))).status == 200
    assert (await send_asgi(app, Req("GET", "/x", {"Origin": A}))).status == 200
    assert seen == ["GET"]


async def test_difference_405_allow_header_lacks_options() -> None:
    # Werkzeug's 405 lists OPTIONS (every rule answers it); Starlette's router does not. Listed.
    routes = (RouteSpec("/x", ("POST",)),)
    request = Req("GET", "/x", {"Origin": A})
    reference = send_flask(flask_app({}, routes), request)

    async def ok(request: Request) -> Response:
        return PlainTextResponse("ok")

    port = await send_asgi(
        Starlette(routes=[Route("/x", ok, methods=["POST"])], middleware=[Middleware(CORSMiddleware)]),
        request,
    )
    assert (reference.status, port.status) == (405, 405)
    assert reference.allow == {"POST", "OPTIONS"}
    assert port.allow == {"POST"}
    assert reference.cors == port.cors


async def test_decorator_without_the_middleware_cannot_answer_preflights() -> None:
    # Starlette's router refuses OPTIONS on a POST route before the endpoint runs, so the automatic
    # answer needs CORSMiddleware in the stack (resources=[] adds no app-wide policy). Listed.
    async def ok(request: Request) -> Response:
        return PlainTextResponse("ok")

    bare = Starlette(routes=[Route("/x", cross_origin()(ok), methods=["POST"])])
    with_middleware = Starlette(
        routes=[Route("/x", cross_origin()(ok), methods=["POST"])],
        middleware=[Middleware(CORSMiddleware, resources=[])],
    )
    preflight = Req("OPTIONS", "/x", {"Origin": A, "Access-Control-Request-Method": "POST"})
    assert (await send_asgi(bare, preflight)).status == 405
    answered = await send_asgi(with_middleware, preflight)
    assert answered.status == 200
    assert answered.header("access-control-allow-origin") == [A]
    assert (await send_asgi(bare, Req("POST", "/x", {"Origin": A}))).header(
        "access-control-allow-origin"
    ) == [A]

"""`cross_origin(profile="fetch")` on Starlette routes, and `audit(profile="fetch")` speaking the
profile's own problem ids."""

from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from flask_cors_asgi import CORSMiddleware, audit, cross_origin
from flask_cors_asgi.fetch import CHECKS, FetchConfigError

A = "https://a.example"
calls: list[str] = []


@cross_origin(profile="fetch", origins=[A], methods=["PUT"], allow_headers=["X-Token"], max_age=60)
async def item(request: Request) -> Response:
    calls.append(request.method)
    return PlainTextResponse("item", headers={"X-Own": "1"})


@cross_origin(profile="fetch", origins=["*"], expose_headers=["X-Total"])
def listing(request: Request) -> Response:  # a sync endpoint runs in the thread pool, as Starlette runs it
    return PlainTextResponse("listing")


class RawApp:
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await PlainTextResponse("raw")(scope, receive, send)


raw = cross_origin(profile="fetch", origins=[A], debug=True)(RawApp())


def make_app(outer: bool) -> Starlette:
    middleware = [Middleware(CORSMiddleware, origins="*")] if outer else []
    return Starlette(
        routes=[
            Route("/item", item, methods=["GET", "PUT", "OPTIONS"]),
            Route("/listing", listing),
            Route("/raw", raw, methods=["GET", "OPTIONS"]),
        ],
        middleware=middleware,
    )


@pytest.fixture(params=[False, True], ids=["alone", "under the compat middleware"])
def client(request: pytest.FixtureRequest) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(make_app(request.param)), base_url="http://testserver"
    )


async def test_a_route_answers_its_own_preflight_without_calling_the_endpoint(
    client: httpx.AsyncClient,
) -> None:
    calls.clear()
    response = await client.options(
        "/item",
        headers={
            "Origin": A,
            "Access-Control-Request-Method": "PUT",
            "Access-Control-Request-Headers": "x-token",
        },
    )
    assert response.status_code == 204
    assert calls == []
    assert {k: v for k, v in response.headers.items() if k.startswith("access-control")} == {
        "access-control-allow-origin": A,
        "access-control-allow-methods": "PUT",
        "access-control-allow-headers": "x-token",
        "access-control-max-age": "60",
    }
    refused = await client.options("/item", headers={"Origin": A, "Access-Control-Request-Method": "DELETE"})
    assert refused.status_code == 403
    assert not any(name.startswith("access-control") for name in refused.headers)


async def test_a_route_answer_gets_the_profile_headers_and_nothing_from_the_compat_middleware(
    client: httpx.AsyncClient,
) -> None:
    response = await client.put("/item", headers={"Origin": A})
    assert response.text == "item"
    assert response.headers["access-control-allow-origin"] == A
    assert response.headers.get_list("vary") == ["Origin"]
    assert response.headers["x-own"] == "1"
    other = await client.get("/item", headers={"Origin": "https://evil.example"})
    # The compat middleware outside would have answered "*": the route's profile wins.
    assert "access-control-allow-origin" not in other.headers

    listing = await client.get("/listing")  # every origin: "*" even without an Origin, and no Vary
    assert listing.headers["access-control-allow-origin"] == "*"
    assert listing.headers["access-control-expose-headers"] == "x-total"
    assert "vary" not in listing.headers


async def test_a_decorated_asgi_app_in_debug_mode(client: httpx.AsyncClient) -> None:
    response = await client.options("/raw", headers={"Origin": A, "Access-Control-Request-Method": "PUT"})
    assert (response.status_code, response.headers["access-control-allow-origin"]) == (204, A)
    assert "access-control-allow-methods" not in response.headers
    assert (await client.get("/raw", headers={"Origin": A})).headers["access-control-allow-origin"] == A


def test_the_decorator_validates_at_decoration() -> None:
    with pytest.raises(FetchConfigError) as raised:
        cross_origin(profile="fetch", origins=["null"], automatic_options=False)
    assert [p.id for p in raised.value.problems] == ["fetch.E018", "fetch.E003"]


def test_audit_speaks_the_fetch_ids() -> None:
    problems = audit(
        profile="fetch", origins=["*", "https://a.example/"], supports_credentials=True, max_age=90000
    )
    assert [(p.id, p.option) for p in problems] == [
        ("fetch.E004", "origins"),
        ("fetch.E002", "origins"),
        ("fetch.E012", "max_age"),
    ]
    assert all(p.id in CHECKS for p in problems)
    assert audit(profile="fetch", origins=["https://*.example.com"], supports_credentials=True) == []
    # The compat profile's audit is unchanged, named or not.
    assert [p.id for p in audit(origins="*", supports_credentials=True)] == ["E005", "E008"]
    assert [p.id for p in audit(profile="flask_cors", origins="*", supports_credentials=True)] == [
        "E005",
        "E008",
    ]


async def test_a_refused_fetch_profile_inside_a_starlette_app_fails_its_start_up() -> None:
    # Starlette builds its middleware at the first event, where raising cannot stop a server: the
    # start-up fails instead, with every problem, as for the compat profile.
    app = Starlette(middleware=[Middleware(CORSMiddleware, profile="fetch", origins=["null"])])
    sent: list[dict[str, object]] = []

    async def receive() -> dict[str, object]:
        return {"type": "lifespan.startup"}

    async def send(message: dict[str, object]) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert "fetch.E003" in str(sent[0]["message"])

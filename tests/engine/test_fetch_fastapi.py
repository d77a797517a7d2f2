"""`cross_origin(profile="fetch")` on FastAPI path operations of any signature (and, as before,
HTTPEndpoint classes), and the route decorator's `debug`, `set_debug` and `reconfigure`."""

from __future__ import annotations

from typing import Any

import httpx
from fastapi import FastAPI
from starlette.applications import Starlette
from starlette.endpoints import HTTPEndpoint
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount, Route
from starlette.types import Scope

from flask_cors_asgi import CORSMiddleware, cross_origin

A = "https://a.example"
B = "https://b.example"
TENANT = "https://tenant.example"
calls: list[str] = []

api = FastAPI()
strict = cross_origin(profile="fetch", origins=[A], methods=["PUT"], expose_headers=["X-Total"])


@api.api_route("/items/{item_id}", methods=["GET", "PUT", "OPTIONS"])
@strict
async def item(item_id: int, q: str | None = None) -> dict[str, Any]:
    calls.append(f"item {item_id}")
    return {"item": item_id, "q": q}


@api.get("/own")
@strict
def own(request: Request, response: Response) -> dict[str, str]:
    # Its own Request and Response parameters: FastAPI fills them, the wrapper adds none.
    response.headers["X-Own"] = request.url.path
    return {"own": "yes"}


@api.get("/returned")
@strict
async def returned() -> Response:
    return JSONResponse({"returned": True}, headers={"Access-Control-Allow-Origin": "https://own.example"})


def tenant_check(origin: str, scope: Scope) -> bool:
    calls.append(f"asked {origin}")
    return origin == TENANT


@api.get("/tenants")
@cross_origin(profile="fetch", origins=[A, tenant_check])
def tenants() -> dict[str, str]:  # sync: FastAPI runs it in its thread pool, the check on the loop
    return {"tenants": "ok"}


def client(app: Any = api) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver")


def cors(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.startswith("access-control") or k == "vary"}


async def test_a_path_operation_keeps_its_parameters_and_gets_the_headers() -> None:
    async with client() as http:
        response = await http.get("/items/7", params={"q": "x"}, headers={"Origin": A})
        refused = await http.get("/items/7", headers={"Origin": B})
    assert response.json() == {"item": 7, "q": "x"}
    assert cors(response) == {
        "access-control-allow-origin": A,
        "access-control-expose-headers": "x-total",
        "vary": "Origin",
    }
    assert cors(refused) == {"vary": "Origin"}


def test_the_openapi_document_shows_only_the_endpoints_own_parameters() -> None:
    # A route of one method each: FastAPI's own document repeats a multi-method route's operation id.
    app = FastAPI()
    app.get("/items/{item_id}")(item)
    app.get("/own")(own)
    paths = app.openapi()["paths"]
    assert [p["name"] for p in paths["/items/{item_id}"]["get"]["parameters"]] == ["item_id", "q"]
    assert "parameters" not in paths["/own"]["get"]


async def test_a_preflight_is_answered_without_calling_the_path_operation() -> None:
    calls.clear()
    async with client() as http:
        allowed = await http.options(
            "/items/7", headers={"Origin": A, "Access-Control-Request-Method": "PUT"}
        )
        refused = await http.options(
            "/items/7", headers={"Origin": A, "Access-Control-Request-Method": "DELETE"}
        )
    assert (allowed.status_code, cors(allowed)) == (
        204,
        {"access-control-allow-origin": A, "access-control-allow-methods": "PUT"},
    )
    assert (refused.status_code, cors(refused)) == (403, {})
    assert calls == []


async def test_the_endpoints_own_request_and_response_parameters_are_used() -> None:
    async with client() as http:
        response = await http.get("/own", headers={"Origin": A})
    assert response.json() == {"own": "yes"}
    assert response.headers["x-own"] == "/own"
    assert response.headers["access-control-allow-origin"] == A


async def test_a_returned_response_keeps_the_access_control_headers_it_set() -> None:
    async with client() as http:
        response = await http.get("/returned", headers={"Origin": A})
    # As jub0bs: the handler's own value replaces the middleware's; the rest is added.
    assert response.headers.get_list("access-control-allow-origin") == ["https://own.example"]
    assert response.headers["access-control-expose-headers"] == "x-total"
    assert response.headers["vary"] == "Origin"


async def test_a_sync_path_operation_asks_its_origin_callable_once() -> None:
    calls.clear()
    async with client() as http:
        admitted = await http.get("/tenants", headers={"Origin": TENANT})
        listed = await http.get("/tenants", headers={"Origin": A})
    assert admitted.headers["access-control-allow-origin"] == TENANT
    assert listed.headers["access-control-allow-origin"] == A
    assert calls == [f"asked {TENANT}"]


async def test_the_compat_middleware_outside_leaves_the_routes_answer_alone() -> None:
    async with client(CORSMiddleware(api, origins="*")) as http:
        response = await http.get("/items/1", headers={"Origin": B})
    assert "access-control-allow-origin" not in response.headers  # the route refused B


async def test_the_route_decorator_has_set_debug_debug_and_reconfigure() -> None:
    route = cross_origin(profile="fetch", origins=[A])
    app = FastAPI()

    @app.api_route("/thing", methods=["GET", "OPTIONS"])
    @route
    async def thing() -> dict[str, str]:
        return {"thing": "ok"}

    preflight = {"Origin": A, "Access-Control-Request-Method": "PUT"}
    async with client(app) as http:
        assert route.debug is False
        assert (await http.options("/thing", headers=preflight)).status_code == 403
        route.set_debug(True)
        assert route.debug is True
        debugged = await http.options("/thing", headers=preflight)
        assert (debugged.status_code, cors(debugged)) == (204, {"access-control-allow-origin": A})
        assert route.reconfigure(origins=[B]) is True
        assert route.debug is True  # the flag survives
        assert (await http.get("/thing", headers={"Origin": B})).headers["access-control-allow-origin"] == B
        assert route.reconfigure(origins=[B]) is False


async def test_an_http_endpoint_class_is_decorated_as_an_app() -> None:
    @cross_origin(profile="fetch", origins=[A], methods=["PUT"])
    class Thing(HTTPEndpoint):
        async def get(self, request: Request) -> Response:
            return PlainTextResponse("thing")

    app = Starlette(routes=[Route("/thing", Thing)])
    async with client(app) as http:
        response = await http.get("/thing", headers={"Origin": A})
        preflight = await http.options(
            "/thing", headers={"Origin": A, "Access-Control-Request-Method": "PUT"}
        )
    assert (response.text, response.headers["access-control-allow-origin"]) == ("thing", A)
    assert (preflight.status_code, preflight.headers["access-control-allow-methods"]) == (204, "PUT")


async def test_an_asgi_function_in_a_mount_is_decorated_as_an_app() -> None:
    @cross_origin(profile="fetch", origins=[A])
    async def raw(scope: Scope, receive: Any, send: Any) -> None:
        await PlainTextResponse("raw")(scope, receive, send)

    async with client(Starlette(routes=[Mount("/raw", app=raw)])) as http:
        response = await http.get("/raw/x", headers={"Origin": A})
    assert (response.text, response.headers["access-control-allow-origin"]) == ("raw", A)

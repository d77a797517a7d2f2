"""The engine's examples, run as written: the README's one and those of the engine reference
(docs/engine.md, "Examples"). Each Python block is a complete module; its app must answer as the page
says. (tests/project/test_docs.py runs every example of the docs too; here their answers are checked.)"""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from testing_support.doc_examples import app_of, blocks, examples


def readme_example() -> str:
    (found,) = blocks("README.md", "## The engine")
    return found


async def answer(app: Any, method: str, path: str, origin: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        return await client.request(method, path, headers={"Origin": origin, **headers}, json=None)


def acao(response: httpx.Response) -> str | None:
    return response.headers.get("access-control-allow-origin")


def test_the_section_has_a_starlette_and_a_fastapi_example() -> None:
    found = examples()
    assert len(found) == 2
    assert "from starlette.applications import Starlette" in found[0]
    assert "from fastapi import FastAPI" in found[1]


def test_the_readme_shows_the_references_starlette_example() -> None:
    assert readme_example() == examples()[0]


@pytest.mark.parametrize("where", ["README.md", "docs/engine.md"])
async def test_starlette_example(where: str) -> None:
    app = app_of(readme_example() if where == "README.md" else examples()[0])
    shop, partner, admin = "https://shop.example", "https://partner.example", "https://admin.example"
    orders = await answer(app, "GET", "/api/orders", shop)
    assert (orders.status_code, acao(orders)) == (200, shop)
    preflight = await answer(app, "OPTIONS", "/api/orders", shop, **{"Access-Control-Request-Method": "GET"})
    assert (preflight.status_code, preflight.headers["access-control-max-age"]) == (200, "600")
    # The route's own policy wins over the app-wide one.
    assert acao(await answer(app, "GET", "/api/partner", shop)) is None
    feed = await answer(app, "POST", "/api/partner", partner)
    assert (acao(feed), feed.headers["access-control-allow-credentials"]) == (partner, "true")
    # The mounted app's own policy, its paths relative to the mount.
    users = await answer(app, "GET", "/admin/users", admin)
    assert (users.status_code, acao(users)) == (200, admin)
    assert acao(await answer(app, "GET", "/admin/users", shop)) is None


@pytest.mark.parametrize("origin", ["https://partner.example", "https://shop.example"])
async def test_fastapi_example(origin: str) -> None:
    app = app_of(examples()[1])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        created = await client.post("/api/orders", json={"item": "tea"}, headers={"Origin": origin})
        preflight = await client.options(
            "/api/orders", headers={"Origin": origin, "Access-Control-Request-Method": "POST"}
        )
    allowed = origin == "https://partner.example"  # the decorator's policy wins on its route
    assert (created.status_code, created.json()) == (200, {"item": "tea", "quantity": 1})
    assert (acao(created) == origin, acao(preflight) == origin) == (allowed, allowed)
    assert preflight.status_code == 200

"""docs/dynamic-origins.md, run as written: each Python block is a complete module, and its app
must answer as the page says (the SQLite example against a real database, under concurrency)."""

from __future__ import annotations

import asyncio
import re
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from testing_support import ROOT

PAGE = ROOT / "docs" / "dynamic-origins.md"
APP = "https://app.example.com"


def examples() -> list[str]:
    return re.findall(r"```python\n(.*?)```", PAGE.read_text(), re.DOTALL)


def run(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    exec(compile(source, str(PAGE), "exec"), namespace)
    return namespace


def test_the_page_has_its_five_examples() -> None:
    found = examples()
    assert len(found) == 5
    assert "aiosqlite" in found[0]
    assert 'vary=["X-Tenant"]' in found[1]
    assert "cors.reconfigure" in found[2]
    assert "partners.reconfigure" in found[3]
    assert 'profile="fetch"' in found[4]


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def database(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "tenants.db"
    with sqlite3.connect(path) as db:
        db.execute("CREATE TABLE tenant_origins (origin TEXT PRIMARY KEY)")
        db.execute("INSERT INTO tenant_origins VALUES ('https://acme.example')")
    monkeypatch.setenv("TENANTS_DB", str(path))
    return path


async def test_tenants_in_sqlite_under_concurrent_requests(database: Path) -> None:
    example = run(examples()[0])
    # The page's TTL is 30 s: the test moves the check's clock instead of waiting for it.
    clock = Clock()
    example["tenants"]._clock = clock
    queries: list[str] = []
    registered = example["registered_tenant"]

    async def counted(origin: str, scope: Any) -> bool:
        queries.append(origin)
        return bool(await registered(origin, scope))

    example["tenants"].check = counted
    origins = ["https://acme.example", "https://ACME.example", "https://globex.example", APP] * 25
    transport = httpx.ASGITransport(app=example["app"])
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:

        async def ask(origin: str) -> str | None:
            response = await client.get("/api/orders", headers={"Origin": origin})
            assert response.status_code == 200
            assert response.json() == {"orders": []}
            return response.headers.get("access-control-allow-origin")

        answers = await asyncio.gather(*(ask(origin) for origin in origins))
        for origin, allowed in zip(origins, answers, strict=True):
            assert allowed == (None if "globex" in origin else origin)
        assert APP not in queries  # the listed origin never reaches the database
        first_round = len(queries)

        with sqlite3.connect(database) as db:
            db.execute("INSERT INTO tenant_origins VALUES ('https://globex.example')")
        assert await ask("https://globex.example") is None  # the cached refusal, within its TTL
        assert len(queries) == first_round
        clock.now += 30
        assert await ask("https://globex.example") == "https://globex.example"
        preflight = await client.options(
            "/api/orders",
            headers={"Origin": "https://globex.example", "Access-Control-Request-Method": "GET"},
        )
    assert preflight.headers["access-control-allow-origin"] == "https://globex.example"
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert preflight.headers["vary"] == "Origin"


async def test_the_tenant_header_example() -> None:
    app = run(examples()[1])["app"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        acme = await client.get("/", headers={"Origin": "https://acme.example", "X-Tenant": "acme"})
        wrong = await client.get("/", headers={"Origin": "https://acme.example", "X-Tenant": "globex"})
    assert acme.headers["access-control-allow-origin"] == "https://acme.example"
    assert acme.headers.get_list("vary") == ["Origin, X-Tenant"]
    assert "access-control-allow-origin" not in wrong.headers
    assert wrong.headers.get_list("vary") == ["Origin, X-Tenant"]


async def test_the_reconfigure_example() -> None:
    example = run(examples()[2])  # its own asserts check the return values and the refusal
    assert len(example["problems"]) == 2
    transport = httpx.ASGITransport(app=example["cors"])
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        beta = await client.get("/", headers={"Origin": "https://beta.example.com"})
    assert beta.headers["access-control-allow-origin"] == "https://beta.example.com"


async def test_the_route_reconfigure_example() -> None:
    app = run(examples()[3])["app"]
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        second = await client.get("/feed", headers={"Origin": "https://second.example"})
        preflight = await client.options(
            "/feed", headers={"Origin": "https://second.example", "Access-Control-Request-Method": "GET"}
        )
    assert second.headers["access-control-allow-origin"] == "https://second.example"
    assert second.headers["access-control-allow-credentials"] == "true"
    assert preflight.headers["access-control-allow-origin"] == "https://second.example"


async def test_the_fetch_profile_example() -> None:
    example = run(examples()[4])
    assert example["strict"].options["origins"] == ["https://app.example.com", example["tenants"]]
    transport = httpx.ASGITransport(app=example["strict"])
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        tenant = await client.get("/", headers={"Origin": "https://acme.example", "X-Tenant": "acme"})
        listed = await client.get("/", headers={"Origin": APP})
        refused = await client.options(
            "/", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "GET"}
        )
    assert tenant.headers["access-control-allow-origin"] == "https://acme.example"
    assert tenant.headers["vary"] == "Origin, X-Tenant"
    assert listed.headers["vary"] == "Origin"  # the pattern decided: X-Tenant plays no part
    assert (refused.status_code, "vary" in refused.headers) == (403, False)

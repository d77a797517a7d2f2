"""docs/fetch-profile.md, executed: its Python blocks run in order as one tutorial, the printed
values are the ones the page shows, its shell command runs as written on the page's modules, its
log line is the one shadow mode writes and its .env block configures the service it describes."""

from __future__ import annotations

import ast
import json
import logging
import re
import shlex
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from cors_conformance.cli import main
from service.app import FetchService, create_app
from settings import load_settings
from testing_support import ROOT

PAGE = (ROOT / "docs" / "fetch-profile.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE, re.DOTALL)


def shown_after(source: str, expression: str) -> Any:
    """The value a block's comment shows after `print(expression)`."""
    lines = source.split("\n")
    index = next(i for i, line in enumerate(lines) if line.startswith(f"print({expression})"))
    comment = []
    for line in lines[index + 1 :]:
        if not line.startswith("#"):
            break
        comment.append(line.removeprefix("#").strip())
    return ast.literal_eval(" ".join(comment))


@pytest.fixture(scope="module")
def tutorial() -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "shop"}
    for source in blocks("python"):
        exec(compile(source, "docs/fetch-profile.md", "exec"), namespace)
    return namespace


def test_the_page_has_its_examples() -> None:
    assert len(blocks("python")) == 6
    assert len(blocks("console")) == 1
    assert len(blocks("dotenv")) == 1


def test_the_proposal_is_the_one_shown(tutorial: dict[str, Any]) -> None:
    (source,) = [b for b in blocks("python") if "strict_equivalent" in b]
    assert tutorial["proposal"].options == shown_after(source, "proposal.options")
    assert any("HEAD" in note for note in tutorial["proposal"].notes)


async def test_shadow_mode_logs_the_line_shown(
    tutorial: dict[str, Any], caplog: pytest.LogCaptureFixture
) -> None:
    (source,) = [b for b in blocks("python") if "shadow=" in b]
    shadowed = tutorial["shadowed"]
    assert shadowed.shadow.counts == shown_after(source, "shadowed.shadow.counts")
    caplog.set_level(logging.WARNING, logger="flask_cors_asgi.shadow")
    transport = httpx.ASGITransport(shadowed)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        served = await http.get("/api/orders", headers={"Origin": "https://beta.shop.example"})
        await http.get("/api/orders", headers={"Origin": "https://www.shop.example"})
    assert served.headers["access-control-allow-origin"] == "https://beta.shop.example"  # unchanged
    (line,) = blocks("text")
    assert [record.getMessage() for record in caplog.records] == [line.strip()]
    assert shadowed.shadow.counts["newly_refused"] == 1


async def test_the_strict_app_answers_strictly(tutorial: dict[str, Any]) -> None:
    transport = httpx.ASGITransport(tutorial["strict_app"])
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        preflight = await http.options(
            "/api/orders",
            headers={"Origin": "https://a.shop.example", "Access-Control-Request-Method": "PUT"},
        )
        refused = await http.options(
            "/api/orders",
            headers={"Origin": "https://a.shop.example", "Access-Control-Request-Method": "DELETE"},
        )
    assert (preflight.status_code, preflight.headers["access-control-allow-methods"]) == (204, "PUT")
    assert refused.status_code == 403


@pytest.fixture
def shop_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The page's first blocks as the module `shop`, as its commands name it."""
    (tmp_path / "shop.py").write_text("\n".join(blocks("python")[:2]))
    monkeypatch.chdir(tmp_path)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.delitem(sys.modules, "shop", raising=False)


def test_step_one_is_an_exact_port(shop_module: None, capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["diff", "wsgi:shop:flask_app", "asgi:shop:app", "--path", "/api/orders", "--json"])
    assert json.loads(capsys.readouterr().out)["counts"]["browser"] == 0
    assert status == 0


def test_the_console_command_runs_as_written(shop_module: None, capsys: pytest.CaptureFixture[str]) -> None:
    (console,) = blocks("console")
    argv = shlex.split(console.strip().removeprefix("$ "))
    assert argv[0] == "cors-conformance"
    main([*argv[1:], "--json"])
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    assert "profile='fetch'" in captured.err
    assert document["b"].startswith("asgi:")
    # The proposal keeps every request a browser sends from a trusted origin working the same.
    assert document["counts"]["browser"] == 0
    assert document["counts"]["app-visible"] > 0


async def test_the_dotenv_block_configures_the_strict_service(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.chdir(tmp_path)
    (dotenv,) = blocks("dotenv")
    monkeypatch.setenv("APP_ENV", "test")
    for line in dotenv.strip().splitlines():
        name, _, value = line.partition("=")
        monkeypatch.setenv(name, value)
    app = create_app(load_settings().settings)
    assert isinstance(app, FetchService)
    transport = httpx.ASGITransport(app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        preflight = await http.options(
            "/api/foo", headers={"Origin": "https://a.shop.example", "Access-Control-Request-Method": "PUT"}
        )
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-credentials"] == "true"


async def test_the_tenant_example_asks_its_callable_after_the_patterns(tutorial: dict[str, Any]) -> None:
    transport = httpx.ASGITransport(tutorial["tenant_app"])
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as http:
        tenant = await http.get("/", headers={"Origin": "https://acme.example"})
        stranger = await http.get("/", headers={"Origin": "https://globex.example"})
        partner = await http.get("/", headers={"Origin": "https://partner.example"})
        # Debug mode survived the reconfiguration: DELETE is not allowed, yet the answer is 204.
        debugged = await http.options(
            "/", headers={"Origin": "https://acme.example", "Access-Control-Request-Method": "DELETE"}
        )
    assert tenant.headers["access-control-allow-origin"] == "https://acme.example"
    assert tenant.headers["vary"] == "Origin"
    assert "access-control-allow-origin" not in stranger.headers
    assert stranger.headers["vary"] == "Origin"
    assert partner.headers["access-control-allow-origin"] == "https://partner.example"
    assert debugged.status_code == 204
    assert "access-control-allow-methods" not in debugged.headers

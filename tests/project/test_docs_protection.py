"""docs/cross-origin-protection.md, run as written: each Python block is a complete module; what the
page says it does (answers, printed problems, log lines, the 403's body) is checked here."""

from __future__ import annotations

import contextlib
import io
import json
import logging
import re
from typing import Any

import httpx
import pytest

from testing_support import ROOT

PAGE = ROOT / "docs" / "cross-origin-protection.md"
EVIL = "https://evil.example"


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", PAGE.read_text(), re.DOTALL)


def run(source: str) -> dict[str, Any]:
    namespace: dict[str, Any] = {"__name__": "docs_example"}
    exec(compile(source, str(PAGE), "exec"), namespace)
    return namespace


async def post(app: Any, path: str, **headers: str) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.example.com") as client:
        return await client.post(path, headers=headers)


def test_the_page_has_its_examples() -> None:
    assert (len(blocks("python")), len(blocks("console"))) == (4, 1)


async def test_use_it() -> None:
    app = run(blocks("python")[0])["app"]
    refused = await post(app, "/transfer", Origin=EVIL, **{"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    # The page's JSON example is the body a cross-site POST gets, byte for byte.
    assert refused.content == blocks("json")[0].strip().encode()
    trusted = await post(
        app, "/transfer", Origin="https://app.example.com", **{"Sec-Fetch-Site": "cross-site"}
    )
    assert trusted.json() == {"done": True}
    assert (await post(app, "/transfer", **{"Sec-Fetch-Site": "same-origin"})).status_code == 200
    assert (await post(app, "/transfer")).status_code == 200  # curl
    hook = await post(app, "/webhooks/stripe", Origin=EVIL, **{"Sec-Fetch-Site": "cross-site"})
    assert hook.json() == {"received": "stripe"}


def test_refused_configuration_prints_what_the_page_shows() -> None:
    printed = io.StringIO()
    with contextlib.redirect_stdout(printed):
        namespace = run(blocks("python")[1])
    assert namespace["ids"] == ["E001", "E001", "E002", "E004"]
    assert printed.getvalue() == blocks("text")[0]


@pytest.mark.parametrize(
    ("origin", "status", "cors"),
    [
        pytest.param("https://app.example.com", 200, True, id="front end"),
        pytest.param(EVIL, 403, False, id="another site"),
    ],
)
async def test_with_cors(origin: str, status: int, cors: bool) -> None:
    app = run(blocks("python")[2])["app"]
    response = await post(app, "/api/orders", Origin=origin, **{"Sec-Fetch-Site": "cross-site"})
    assert response.status_code == status
    assert ("access-control-allow-origin" in response.headers) is cors


async def test_refusal_of_an_untrusted_origin_cors_allows_carries_cors_headers() -> None:
    # What the page says of the order: the refusal passes through CORS on its way out.
    # CORS also lets a partner read, the protection does not trust it.
    source = blocks("python")[2].replace(
        "origins=FRONT_ENDS,", 'origins=[*FRONT_ENDS, "https://partner.example"],'
    )
    app = run(source)["app"]
    response = await post(
        app, "/api/orders", Origin="https://partner.example", **{"Sec-Fetch-Site": "cross-site"}
    )
    assert response.status_code == 403
    assert response.headers["access-control-allow-origin"] == "https://partner.example"


async def test_report_only(caplog: pytest.LogCaptureFixture) -> None:
    app = run(blocks("python")[3])["app"]
    with caplog.at_level(logging.WARNING, logger="flask_cors_asgi.protection"):
        response = await post(app, "/settings", Origin=EVIL, **{"Sec-Fetch-Site": "cross-site"})
    assert response.json() == {"saved": True}
    (line,) = [r.getMessage() for r in caplog.records]
    assert f"`{line}`" in PAGE.read_text()


def test_the_service_defaults_on_the_page_are_the_settings() -> None:
    from settings.environments import ENVIRONMENTS

    modes = {env: cls.model_fields["cross_origin_protection"].default for env, cls in ENVIRONMENTS.items()}
    assert modes == {"development": "off", "test": "off", "staging": "on", "production": "on"}
    assert "`off` in development and test; `on` in staging and production" in PAGE.read_text()


def test_every_id_is_documented() -> None:
    from flask_cors_asgi import PROTECTION_CHECKS

    text = PAGE.read_text()
    assert all(f"| `protection.{problem_id}` |" in text for problem_id in PROTECTION_CHECKS)
    json.loads(blocks("json")[0])  # the body shown is JSON


def test_the_toolkit_command_reports_what_the_page_says(capsys: pytest.CaptureFixture[str]) -> None:
    from cors_conformance.cli import main

    (command,) = [line for block in blocks("console") for line in block.splitlines() if line.startswith("$ ")]
    argv = command.removeprefix("$ cors-conformance ").split()
    status = main(argv)
    out = capsys.readouterr().out
    assert "HIGH X01 a state-changing request from another site reaches the app" in out
    assert status == 1

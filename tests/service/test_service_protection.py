"""The service's cross-origin protection: CROSS_ORIGIN_PROTECTION per environment, the trusted
origins (CROSS_ORIGIN_TRUSTED_ORIGINS, else CORS_ORIGINS' exact origins), their checks by id, and
what the service answers with it on, off and in report mode."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import httpx
import pytest

from service.app import create_app
from service.startup import startup_line
from settings import ConfigurationError, load_settings
from settings.base import BaseAppSettings
from settings.environments import DevelopmentSettings, ProductionSettings, StagingSettings, TestSettings
from testing_support import PYTHON, clean_env, free_port, serving

APP = "https://app.example.com"
EVIL = "https://evil.example"
BODY = {"inputVar": 2}


@pytest.fixture(autouse=True)
def hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env file


@pytest.mark.parametrize(
    ("cls", "mode"),
    [
        pytest.param(DevelopmentSettings, "off", id="development"),
        pytest.param(TestSettings, "off", id="test"),
        pytest.param(StagingSettings, "on", id="staging"),
        pytest.param(ProductionSettings, "on", id="production"),
    ],
)
def test_mode_per_environment(cls: type[BaseAppSettings], mode: str) -> None:
    assert cls.model_fields["cross_origin_protection"].default == mode


def test_trusted_origins_default_to_the_exact_cors_origins() -> None:
    settings = ProductionSettings(
        cors_origins=[APP, r"^https://[a-z]+\.b\.example$", "*", "http://localhost:3000"]
    )
    assert settings.cross_origin_protection_options() == {
        "trusted_origins": [APP, "http://localhost:3000"],
        "report_only": False,
    }


def test_trusted_origins_set_win_over_cors_origins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("CORS_ORIGINS", APP)
    monkeypatch.setenv("CROSS_ORIGIN_TRUSTED_ORIGINS", "")  # set, and empty: trust no other origin
    options = load_settings().settings.cross_origin_protection_options()
    assert options == {"trusted_origins": [], "report_only": False}


def test_off_has_no_options() -> None:
    assert DevelopmentSettings().cross_origin_protection_options() is None


@pytest.mark.parametrize("text", ["report", " REPORT "])
def test_report_mode_parses(monkeypatch: pytest.MonkeyPatch, text: str) -> None:
    monkeypatch.setenv("CROSS_ORIGIN_PROTECTION", text)
    options = load_settings().settings.cross_origin_protection_options()
    assert options is not None
    assert options["report_only"] is True


def test_unknown_mode_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CROSS_ORIGIN_PROTECTION", "yes")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    assert {(p.id, p.variable) for p in caught.value.problems} == {("E100", "CROSS_ORIGIN_PROTECTION")}


@pytest.mark.parametrize("env", ["development", "production"])
def test_invalid_trusted_origin_is_refused_with_its_id(monkeypatch: pytest.MonkeyPatch, env: str) -> None:
    monkeypatch.setenv("APP_ENV", env)
    monkeypatch.setenv("CORS_ORIGINS", APP)
    monkeypatch.setenv("CROSS_ORIGIN_TRUSTED_ORIGINS", "app.example.com,https://b.example/")
    with pytest.raises(ConfigurationError) as caught:
        load_settings()
    problems = [(p.id, p.variable) for p in caught.value.problems]
    assert problems == [("E030", "CROSS_ORIGIN_TRUSTED_ORIGINS")] * 2
    assert "protection.E001" in str(caught.value)


def test_startup_line_says_whether_it_is_on() -> None:
    on = startup_line(ProductionSettings(cors_origins=[APP]), guarded=True, version="1")
    assert f"| cross-origin protection on, trusted {APP} |" in on
    off = startup_line(DevelopmentSettings(), guarded=True, version="1")
    assert "| cross-origin protection off |" in off


async def post(settings: BaseAppSettings, headers: dict[str, str]) -> httpx.Response:
    transport = httpx.ASGITransport(app=create_app(settings))
    async with httpx.AsyncClient(transport=transport, base_url="https://api.example.com") as client:
        return await client.post("/api/foo", json=BODY, headers=headers)


# (Origin, Sec-Fetch-Site, status) against the production service trusting APP.
PRODUCTION_ROWS = [
    pytest.param(EVIL, "cross-site", 403, id="cross-site form post refused"),
    pytest.param(EVIL, "", 403, id="old browser, other origin refused"),
    pytest.param(APP, "cross-site", 200, id="CORS origin trusted"),
    pytest.param("https://api.example.com", "same-origin", 200, id="same origin"),
    pytest.param("", "", 200, id="no browser (curl, another service)"),
]


@pytest.mark.parametrize(("origin", "site", "status"), PRODUCTION_ROWS)
async def test_production_service(origin: str, site: str, status: int) -> None:
    headers = {k: v for k, v in (("Origin", origin), ("Sec-Fetch-Site", site)) if v}
    response = await post(ProductionSettings(cors_origins=[APP]), headers)
    assert response.status_code == status
    if status == 403:
        assert response.json()["error"] == "cross-origin request refused"
    else:
        assert response.json() == {"result": 4}


async def test_refusal_carries_cors_headers_for_an_origin_cors_allows() -> None:
    # Trust narrower than CORS: the page may read, not write; the CORS engine (outside) still
    # answers its refusal with CORS headers, so the page's script can read why.
    settings = ProductionSettings(cors_origins=[APP], cross_origin_trusted_origins=[])
    response = await post(settings, {"Origin": APP, "Sec-Fetch-Site": "cross-site"})
    assert response.status_code == 403
    assert response.headers["access-control-allow-origin"] == APP


async def test_off_runs_the_cross_site_post_as_flask_cors_does() -> None:
    settings = DevelopmentSettings()
    response = await post(settings, {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"})
    assert (response.status_code, response.json()) == (200, {"result": 4})


async def test_report_mode_answers_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    settings = ProductionSettings(cors_origins=[APP], cross_origin_protection="report")
    with caplog.at_level(logging.WARNING, logger="flask_cors_asgi.protection"):
        response = await post(settings, {"Origin": EVIL, "Sec-Fetch-Site": "cross-site"})
    assert (response.status_code, response.json()) == (200, {"result": 4})
    assert [r.name for r in caplog.records] == ["flask_cors_asgi.protection"]
    assert "would refuse POST /api/foo" in caplog.records[0].getMessage()


async def test_preflight_is_untouched() -> None:
    transport = httpx.ASGITransport(app=create_app(ProductionSettings(cors_origins=[APP])))
    async with httpx.AsyncClient(transport=transport, base_url="https://api.example.com") as client:
        response = await client.options(
            "/api/foo",
            headers={"Origin": APP, "Access-Control-Request-Method": "POST", "Sec-Fetch-Site": "cross-site"},
        )
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == APP


def test_report_mode_lines_reach_the_server_log(tmp_path: Path) -> None:
    # Written by the server's own handlers (uvicorn's format), one escaped line per request.
    port = free_port()
    env = clean_env(APP_ENV="production", CORS_ORIGINS=APP, CROSS_ORIGIN_PROTECTION="report")
    command = [PYTHON, "-m", "service", "--host", "127.0.0.1", "--port", str(port)]
    log = tmp_path / "server.log"
    with (
        log.open("wb") as output,
        serving(command, f"http://127.0.0.1:{port}/healthz", env=env, cwd=tmp_path, output=output.fileno()),
    ):
        headers = {
            "Origin": "https://evil.example\x85forged".encode("latin-1"),
            "Sec-Fetch-Site": b"cross-site",
        }
        response = httpx.post(f"http://127.0.0.1:{port}/api/foo", json=BODY, headers=headers, timeout=5)
        assert response.json() == {"result": 4}
        deadline = time.monotonic() + 5
        while "report-only" not in log.read_text() and time.monotonic() < deadline:
            time.sleep(0.05)
    (line,) = [ln for ln in log.read_text().splitlines() if "report-only" in ln]
    assert line.startswith("WARNING:  report-only: would refuse POST /api/foo from Origin")
    assert "\\x85forged" in line

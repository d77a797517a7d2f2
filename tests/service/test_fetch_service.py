"""The service under CORS_PROFILE=fetch: the same routes behind the strict profile, and the
settings checks (and `python -m settings`) speaking the profile's own problem ids."""

from __future__ import annotations

from pathlib import Path

import httpx
import pytest

from service.app import FetchService, Service, create_app
from service.startup import startup_line
from settings import ConfigurationError, load_settings
from settings.__main__ import main as settings_main

APP = "https://app.example.com"


@pytest.fixture(autouse=True)
def hermetic(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env file


def client(monkeypatch: pytest.MonkeyPatch, **variables: str) -> httpx.AsyncClient:
    for name, value in {"APP_ENV": "test", **variables}.items():
        monkeypatch.setenv(name, value)
    app = create_app(load_settings().settings)
    return httpx.AsyncClient(transport=httpx.ASGITransport(app), base_url="http://testserver")


async def test_the_service_serves_the_fetch_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    async with client(monkeypatch, CORS_PROFILE="fetch", CORS_ORIGINS=APP) as http:
        assert isinstance(http._transport.app, FetchService)  # type: ignore[attr-defined]
        preflight = await http.options(
            "/api/foo",
            headers={
                "Origin": APP,
                "Access-Control-Request-Method": "POST",
                "Access-Control-Request-Headers": "content-type",
            },
        )
        # The settings' default allowed headers (Content-Type, Authorization): the request's list echoed.
        assert preflight.status_code == 204
        assert preflight.headers["access-control-allow-headers"] == "content-type"
        assert "access-control-allow-methods" not in preflight.headers  # POST is safelisted
        refused = await http.options(
            "/api/foo", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "PUT"}
        )
        assert refused.status_code == 403
        answer = await http.post("/api/foo", json={"inputVar": 2}, headers={"Origin": APP})
        assert answer.json() == {"result": 4}
        assert answer.headers["access-control-allow-origin"] == APP
        assert answer.headers.get_list("vary") == ["Origin"]


async def test_the_default_profile_is_still_flask_cors(monkeypatch: pytest.MonkeyPatch) -> None:
    async with client(monkeypatch, CORS_ORIGINS=APP) as http:
        assert type(http._transport.app) is Service  # type: ignore[attr-defined]


def test_the_checks_report_fetch_ids_under_the_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "APP_ENV": "production",
        "CORS_PROFILE": "fetch",
        "CORS_ORIGINS": "null,https://app.example.com/",
        "CORS_SEND_WILDCARD": "true",
        "CORS_MAX_AGE": "100000",
    }.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert {(p.id, p.variable) for p in raised.value.problems} == {
        ("fetch.E003", "CORS_ORIGINS"),
        ("fetch.E002", "CORS_ORIGINS"),
        ("fetch.E018", "CORS_SEND_WILDCARD"),
        ("fetch.E012", "CORS_MAX_AGE"),
    }


def test_python_m_settings_prints_the_fetch_ids(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("CORS_PROFILE", "fetch")
    monkeypatch.setenv("CORS_ORIGINS", "*")
    monkeypatch.setenv("CORS_SUPPORTS_CREDENTIALS", "true")
    assert settings_main(["--check"]) == 1
    assert "CORS_ORIGINS: " in (err := capsys.readouterr().err)
    assert "[fetch.E004]" in err
    monkeypatch.setenv("CORS_SUPPORTS_CREDENTIALS", "false")
    assert settings_main(["--check"]) == 0


def test_an_unknown_profile_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "test")
    monkeypatch.setenv("CORS_PROFILE", "strict")
    with pytest.raises(ConfigurationError) as raised:
        load_settings()
    assert [p.variable for p in raised.value.problems] == ["CORS_PROFILE"]


def test_the_startup_line_names_the_fetch_profile(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in {
        "APP_ENV": "test",
        "CORS_PROFILE": "fetch",
        "CORS_ORIGINS": APP,
        "CORS_MAX_AGE": "-1",
    }.items():
        monkeypatch.setenv(name, value)
    line = startup_line(load_settings().settings, guarded=True, version="1")
    assert f"CORS fetch profile: origins {APP}, credentials false, max_age -1 |" in line

"""`cors-conformance probe --forgery`: X01 when a cross-site state-changing request, sent as a
browser sends it, reaches the app; X02 for a broad CrossOriginProtection bypass."""

from __future__ import annotations

import json

import pytest

from cors_conformance import forgery
from cors_conformance.cli import main
from cors_conformance.targets import Target

APP = "testing_support.protection_app"


def ids(target: str, *paths: str) -> list[tuple[str, str, str]]:
    return [(f.id, f.severity, f.request) for f in forgery.findings(Target(target), paths or ["/transfer"])]


def test_an_unprotected_endpoint_runs_cross_site_posts() -> None:
    assert ids(f"asgi:{APP}:unprotected") == [
        ("X01", "high", "cross-site fetch() POST, text/plain"),
        ("X01", "high", "cross-site form POST"),
    ]


def test_the_protection_leaves_nothing_to_report() -> None:
    assert ids(f"asgi:{APP}:protected") == []


def test_a_path_that_takes_no_post_is_no_finding() -> None:
    assert ids(f"asgi:{APP}:unprotected", "/nowhere") == []


def test_broad_bypasses_are_reported_narrow_ones_are_not() -> None:
    found = forgery.findings(Target(f"asgi:{APP}:broad"), ["/transfer"])
    assert [(f.id, f.severity, f.paths) for f in found] == [
        ("X02", "medium", ("/{tenant}/hook",)),
        ("X02", "low", ("/hooks/{rest:path}",)),
    ]


@pytest.mark.parametrize(
    ("pattern", "severity"),
    [
        ("/{tenant}/hook", "medium"),
        ("POST /{name}", "medium"),
        ("/hooks/{rest:path}", "low"),
        ("POST /webhooks/{provider}", None),
        ("/only/{id:int}", None),
    ],
)
def test_breadth(pattern: str, severity: str | None) -> None:
    judged = forgery.breadth(pattern)
    assert (judged[0] if judged else None) == severity


def test_the_service_in_development_lets_them_reach_its_endpoint(monkeypatch: pytest.MonkeyPatch) -> None:
    # Development leaves the protection off: the forged posts reach /api/foo, which answers them
    # 415 as it answers its own page's (it takes JSON only): low, nothing ran.
    monkeypatch.setenv("APP_ENV", "development")
    found = ids("asgi-factory:service.app:create_app", "/api/foo")
    assert [(i, s) for i, s, _ in found] == [("X01", "low"), ("X01", "low")]


def test_the_service_in_production_refuses_them(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.setenv("CORS_ORIGINS", "https://app.example.com")
    assert ids("asgi-factory:service.app:create_app", "/api/foo") == []


def test_probe_reports_them_only_when_asked(capsys: pytest.CaptureFixture[str]) -> None:
    target = f"asgi:{APP}:unprotected"
    main(["probe", target, "--json"])
    without = {f["id"] for f in json.loads(capsys.readouterr().out)["findings"]}
    status = main(["probe", target, "--json", "--forgery"])
    document = json.loads(capsys.readouterr().out)
    assert "X01" not in without
    x01 = [f for f in document["findings"] if f["id"] == "X01"]
    assert {f["severity"] for f in x01} == {"high"}
    assert x01[0]["paths"] == ["/transfer"]
    assert "CrossOriginProtection" in x01[0]["fix"]
    assert status == 1  # a high finding fails the default --fail-on medium


def test_probe_text_names_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    main(["probe", f"asgi:{APP}:broad", "--forgery"])
    out = capsys.readouterr().out
    assert "MEDIUM X02" in out
    assert "whole app: /{tenant}/hook" in out
    assert "fix: name each path that must accept cross-site requests" in out

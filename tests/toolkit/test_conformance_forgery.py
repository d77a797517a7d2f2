"""X01 when a cross-site state-changing request, sent as a browser sends it, reaches the app (from
every probe's own requests; `probe --forgery` sends more); X02 for a broad CrossOriginProtection
bypass, read from the target without a request."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from cors_conformance import forgery
from cors_conformance.cli import main
from cors_conformance.matrix import SIMPLE_WRITE, Location, Probe, probes
from cors_conformance.observe import requests_for
from cors_conformance.origins import UNRELATED, Candidate
from cors_conformance.targets import Target
from flask_cors_asgi import CORSMiddleware

APP = "testing_support.protection_app"


async def _lax_session(request: Request) -> Response:
    await request.body()
    response = PlainTextResponse("changed")
    response.set_cookie("session", "1", secure=True, samesite="lax")
    return response


# A credentialed API whose session cookie is SameSite=Lax: another site's POST does not carry it.
lax_app = Starlette(
    routes=[Route("/transfer", _lax_session, methods=["GET", "POST"])],
    middleware=[Middleware(CORSMiddleware, origins=["https://app.example"], supports_credentials=True)],
)


def ids(target: str, *paths: str, credentials: bool = True) -> list[tuple[str, str, str]]:
    found = forgery.findings(Target(target), paths or ["/transfer"], credentials)
    return [(f.id, f.severity, f.request) for f in found]


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
    found = forgery.findings(Target(f"asgi:{APP}:broad"), ["/transfer"], credentials=True)
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


def test_without_credentials_a_reachable_endpoint_is_low() -> None:
    assert ids(f"asgi:{APP}:unprotected", credentials=False) == [
        ("X01", "low", "cross-site fetch() POST, text/plain"),
        ("X01", "low", "cross-site form POST"),
    ]


def test_the_probe_sends_a_cross_site_post_as_a_browser_does() -> None:
    preflight, request = requests_for(Probe("/transfer", SIMPLE_WRITE, UNRELATED, "reflect-any"))
    assert preflight is None  # no preflight: CORS never sees it coming
    assert (request.method, request.path) == ("POST", "/transfer")
    assert {*request.headers} >= {
        ("Origin", UNRELATED),
        ("Content-Type", "text/plain"),
        ("Sec-Fetch-Site", "cross-site"),
        ("Sec-Fetch-Mode", "cors"),
        ("Sec-Fetch-Dest", "empty"),
    }


def test_only_the_unrelated_origin_adds_the_cross_site_post_among_adversarial_ones() -> None:
    candidates = [
        Candidate("https://shop.example", "trusted", None),
        Candidate("https://evilshop.example", "suffix", "https://shop.example"),
        Candidate(UNRELATED, "reflect-any", None),
    ]
    sent = [(p.origin, p.case.name) for p in probes([Location("/transfer")], candidates)]
    posting = [origin for origin, case in sent if case == SIMPLE_WRITE.name]
    assert posting == ["https://shop.example", UNRELATED]


def probe(capsys: pytest.CaptureFixture[str], target: str, *options: str) -> tuple[int, dict[str, Any]]:
    status = main(["probe", f"asgi:{APP}:{target}", "--json", *options])
    document: dict[str, Any] = json.loads(capsys.readouterr().out)
    return status, document


def test_every_probe_reports_a_forged_write_with_the_users_credentials(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, document = probe(capsys, "unprotected")
    x01 = [f for f in document["findings"] if f["id"] == "X01"]
    assert [(f["severity"], f["request"], f["paths"]) for f in x01] == [
        ("high", "cross-site fetch() POST, text/plain", ["/transfer"])
    ]
    assert "CrossOriginProtection" in x01[0]["fix"]
    assert status == 1  # a high finding fails the default --fail-on medium
    # From the probe's own requests: the unrelated origin's text/plain POST, once per path.
    sent = [
        o for o in document["observations"] if o["origin"] == UNRELATED and o["case"] == "POST text/plain"
    ]
    assert sorted(o["path"] for o in sent) == sorted(document["coverage"]["paths"]["items"])
    assert len(sent) == document["coverage"]["paths"]["count"]


def test_a_public_api_without_credentials_passes_the_default_gate(capsys: pytest.CaptureFixture[str]) -> None:
    status, document = probe(capsys, "public")
    # Open to every origin (C01, low for a public API) and reachable by every site (X01): by design.
    assert [(f["id"], f["severity"]) for f in document["findings"]] == [("C01", "low"), ("X01", "low")]
    assert status == 0


def test_a_lax_session_is_not_sent_by_another_site_low(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["probe", f"asgi:{__name__}:lax_app", "--json"])
    document = json.loads(capsys.readouterr().out)
    x01 = [f["severity"] for f in document["findings"] if f["id"] == "X01"]
    assert x01 == ["low"]
    assert status == 0


def test_the_protection_passes_every_probe(capsys: pytest.CaptureFixture[str]) -> None:
    status, document = probe(capsys, "protected")
    assert document["findings"] == []
    assert status == 0


def test_forgery_sends_more_and_finds_the_form_post(capsys: pytest.CaptureFixture[str]) -> None:
    _, default = probe(capsys, "unprotected")
    _, forgery_run = probe(capsys, "unprotected", "--forgery")
    assert forgery_run["coverage"]["requests"] > default["coverage"]["requests"]
    x01 = [f["request"] for f in forgery_run["findings"] if f["id"] == "X01"]
    assert sorted(x01) == ["cross-site fetch() POST, text/plain", "cross-site form POST"]


def test_a_broad_bypass_is_reported_without_forgery(capsys: pytest.CaptureFixture[str]) -> None:
    status, document = probe(capsys, "broad")
    x02 = [(f["severity"], f["paths"]) for f in document["findings"] if f["id"] == "X02"]
    assert x02 == [("medium", ["/{tenant}/hook"]), ("low", ["/hooks/{rest:path}"])]
    assert status == 1


def test_probe_text_names_the_fix(capsys: pytest.CaptureFixture[str]) -> None:
    main(["probe", f"asgi:{APP}:broad"])
    out = capsys.readouterr().out
    assert "MEDIUM X02" in out
    assert "whole app: /{tenant}/hook" in out
    assert "fix: name each path that must accept cross-site requests" in out

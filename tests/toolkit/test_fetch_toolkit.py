"""Tightening with the toolkit: the strict equivalent of Flask-CORS options (regexes to origin
patterns, and the ones with no equivalent), `cors-conformance diff TARGET fetch:TARGET` listing
what changes for browsers apart from the wire, and `from-flask` proposing the strict options."""

from __future__ import annotations

import json
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from cors_conformance.cli import main
from flask_cors_asgi import CORSMiddleware, audit
from flask_cors_asgi.fetch import strict_equivalent, translate_regex


def api(request: Request) -> Response:
    return PlainTextResponse("ok")


# The app the CLI tests import (asgi:tests.toolkit.test_fetch_toolkit:app): a Flask-CORS-profile policy.
app = Starlette(
    routes=[Route("/api", api, methods=["GET", "POST", "PUT", "DELETE"])],
    middleware=[
        Middleware(
            CORSMiddleware, origins=[r"^https://.*\.example\.com$"], methods=["GET", "POST", "PUT", "OPTIONS"]
        )
    ],
)


@pytest.mark.parametrize(
    ("regex", "patterns", "differs"),
    [
        (r"^https://.*\.example\.com$", ["https://*.example.com"], False),
        (r"^https://[a-z0-9-]+\.example\.com$", ["https://*.example.com"], False),
        (r"^https?://(www\.)?example\.com$", ["http://example.com", "http://www.example.com",
                                              "https://example.com", "https://www.example.com"], False),
        (r"^http://localhost(:\d+)?$", ["http://localhost:*"], False),
        (r"^https://([a-z0-9-]+\.)*example\.com$", ["https://example.com", "https://*.example.com"], False),
        (r"https://example\.com", ["https://example.com"], True),  # no $: Flask-CORS matched a prefix
        (r"^https://example.com$", ["https://example.com"], True),  # the bare dot matched anything
        (r"^http://localhost:\d+$", ["http://localhost:*"], True),  # ":*" also allows no port
        (r"^https://api[0-9]\.example\.com$", None, None),
        (r"^https://(a|b)\.example\.com$", None, None),
        (r"^https://.*example\.com$", None, None),  # also "evilexample.com": no pattern says that
    ],
)  # fmt: skip
def test_translate_regex(regex: str, patterns: list[str] | None, differs: bool | None) -> None:
    translated = translate_regex(regex)
    if patterns is None:
        assert translated is None
        return
    assert translated is not None
    assert translated[0] == patterns
    assert bool(translated[1]) is differs


def test_the_strict_equivalent_names_what_it_cannot_express() -> None:
    proposal = strict_equivalent(
        origins=[r"^https://.*\.example\.com$", r"^https://api[0-9]\.example\.com$", "https://Admin.example"],
        supports_credentials=True,
        methods=["GET", "HEAD", "POST", "PUT"],
        max_age=600,
        send_wildcard=False,
    )
    assert proposal.options == {
        "origins": ["https://*.example.com", "https://admin.example"],
        "supports_credentials": True,
        "methods": ["PUT"],
        "allow_headers": ["*"],
        "max_age": 600,
    }
    assert proposal.no_equivalent == [r"^https://api[0-9]\.example\.com$"]
    assert not proposal.exact
    assert any("send_wildcard" in note for note in proposal.notes)
    CORSMiddleware(api, profile="fetch", **proposal.options)  # the fetch profile accepts it


def test_flask_cors_defaults_have_an_exact_strict_equivalent() -> None:
    proposal = strict_equivalent()
    assert proposal.options == {"origins": ["*"], "methods": ["*"], "allow_headers": ["*", "Authorization"]}
    assert proposal.exact


def test_credentials_with_every_origin_has_no_strict_equivalent() -> None:
    proposal = strict_equivalent(supports_credentials=True)
    assert proposal.options["origins"] == []
    assert not proposal.exact


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, Any, str]:
    status = main(list(argv))
    captured = capsys.readouterr()
    return status, json.loads(captured.out), captured.err


def test_diff_against_the_fetch_profile_separates_browser_changes(capsys: pytest.CaptureFixture[str]) -> None:
    target = "asgi:tests.toolkit.test_fetch_toolkit:app"
    status, document, err = run(capsys, "diff", target, f"fetch:{target}", "--path", "/api", "--json")
    assert "profile='fetch'" in err
    assert "https://*.example.com" in err
    browser = {(d["origin"], d["request"]) for d in document["differences"] if d["kind"] == "browser"}
    # What browsers see change: Flask-CORS allowed every request header ("*" reflects them); the
    # proposal keeps that, so nothing a trusted origin sends starts or stops working...
    assert browser == set()
    kinds = {d["kind"] for d in document["differences"]}
    # ...while the wire changes: 204/403 preflights, one method in Allow-Methods, no Vary on them.
    assert "app-visible" in kinds
    statuses = {
        (d["request"], d["a"]["preflight"]["status"], d["b"]["preflight"]["status"])
        for d in document["differences"]
        if d["a"].get("preflight") and d["b"].get("preflight") and d["origin"] == "https://a.example.com"
    }
    assert ("DELETE", 200, 403) in statuses
    assert status == 0


def test_diff_shows_a_browser_visible_change(capsys: pytest.CaptureFixture[str]) -> None:
    # Flask-CORS fails the preflight of a method it was not given (POST JSON, here); the fetch
    # profile lets the safelisted methods through: a request that starts working, in both browsers.
    status, document, _ = run(
        capsys, "diff", "asgi:tests.toolkit.test_fetch_toolkit:narrow",
        "fetch:asgi:tests.toolkit.test_fetch_toolkit:narrow", "--path", "/api", "--json",
    )  # fmt: skip
    changed = [d for d in document["differences"] if d["kind"] == "browser"]
    assert changed
    assert {d["request"] for d in changed} >= {"POST JSON"}
    assert all(not d["a"]["allowed"] and d["b"]["allowed"] for d in changed)
    assert all(d["browsers"] == ["chromium", "firefox"] for d in changed)
    assert status == 1  # a browser-visible difference fails the diff, as any other


narrow = Starlette(
    routes=[Route("/api", api, methods=["GET", "POST", "PUT"])],
    middleware=[Middleware(CORSMiddleware, origins=["https://a.example.com"], methods=["GET", "PUT"])],
)


def test_a_fetch_target_needs_a_compat_middleware_in_the_list(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["probe", "fetch:asgi:tests.toolkit.test_fetch_toolkit:bare"]) == 2
    assert "no Flask-CORS-profile CORSMiddleware" in capsys.readouterr().err


bare = Starlette(routes=[Route("/api", api)])


def test_from_flask_proposes_the_strict_equivalent(capsys: pytest.CaptureFixture[str]) -> None:
    status, document, _ = run(
        capsys, "from-flask", "wsgi:testing_support.misconfigured:flask_unanchored", "--json"
    )
    (strict,) = document["strict"]
    assert strict["resource"] == "/v1/*"
    assert strict["options"]["origins"] == ["https://*.shop.example"]
    assert strict["options"]["supports_credentials"] is True
    assert not strict["exact"]  # the regex had no "$": the strict form drops the prefix matches
    assert status == 0


def test_from_flask_proposes_no_app_wide_policy_without_cors_app(capsys: pytest.CaptureFixture[str]) -> None:
    # Only CORS(blueprint): Flask-CORS's defaults would have proposed CORSMiddleware(origins=['*']).
    _, document, _ = run(capsys, "from-flask", "wsgi:testing_support.flask_corpus:blueprint_app", "--json")
    assert document["strict"] == []
    assert main(["from-flask", "wsgi:testing_support.flask_corpus:blueprint_app"]) == 0
    assert "no CORS(app): no app-wide policy to tighten" in capsys.readouterr().out


def test_the_audit_hints_at_the_strict_pattern_of_a_risky_regex() -> None:
    (problem,) = audit(origins=[r"^https://.*\.shop\.example"])
    assert problem.id == "E004"
    assert problem.hint is not None
    assert "['https://*.shop.example']" in problem.hint

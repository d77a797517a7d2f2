"""`cors-conformance probe` as a security check: one deliberately misconfigured API per class that
established scanners test (testing_support/misconfigured.py) must give its finding, by id and severity, with
the origin that demonstrates it; correctly configured APIs give nothing above low and exit 0."""

from __future__ import annotations

import json
from typing import Any

import pytest

from cors_conformance.cli import main
from cors_conformance.origins import neighbours, sendable

FRONT = ["--origin", "https://shop.example"]
WWW = "https://www.shop.example"

# app -> (options, the finding it must give: id, severity, an origin that shows it)
MISCONFIGURED: dict[str, tuple[list[str], tuple[str, str, str]]] = {
    "reflect_any": (FRONT, ("C01", "high", "https://attacker.example")),
    "null_origin": (FRONT, ("C02", "high", "null")),
    "prefix": (FRONT, ("C03", "high", "https://shop.example.attacker.example")),
    "suffix": (FRONT, ("C04", "high", "https://evilshop.example")),
    "substring": (FRONT, ("C05", "high", "https://xshop.examplex.attacker.example")),
    "reverse_substring": (FRONT, ("C06", "high", "https://hop.example")),
    "unescaped_dot": (["--origin", "https://www.shop.example"], ("C07", "high", "https://wwwxshop.example")),
    # With credentials, any subdomain's XSS or takeover reads the user's data.
    "any_subdomain": (FRONT, ("C08", "medium", "https://evil.shop.example")),
    "any_subdomain_public": (FRONT, ("C08", "low", "https://evil.shop.example")),
    "reverse_substring_www": (["--origin", WWW], ("C06", "high", "https://hop.example")),
    # A hand-written check for development origins: http://localhost, once allowed, brings its neighbours.
    "localhost_prefix": ([], ("C03", "high", "http://localhost.attacker.example")),
    # Configured, not hand-written: the configuration is the finding (source "configuration").
    # No scheme, no dot before the name, no end anchor: found from the configuration alone.
    "flask_sloppy_regex": ([], ("C04", "high", "https://evilshop.example")),
    "flask_null": ([], ("C02", "high", "null")),
    "engine_http_twin": ([], ("C10", "high", "http://shop.example")),
    "flask_codepen": ([], ("C11", "medium", "https://codepen.io")),
    "engine_vercel_previews": ([], ("C11", "medium", r"^https://[a-z0-9-]+\.vercel\.app$")),
    "engine_any_subdomain_credentials": ([], ("C08", "medium", r"^https://([a-z0-9-]+\.)?shop\.example$")),
    "flask_wildcard_credentials": ([], ("C15", "high", "*")),
    "stock_wildcard_credentials": ([], ("C15", "high", "*")),
    "special_characters": (FRONT, ("C09", "high", "https://shop.example_.attacker.example")),
    "http_origin": (FRONT, ("C10", "high", "http://shop.example")),
    "hosting_site": (FRONT, ("C11", "high", "https://attacker.github.io")),
    "wildcard_credentials": (FRONT, ("C12", "low", "https://shop.example")),
    "development_origin": ([*FRONT, "--production"], ("C13", "high", "http://localhost:3000")),
    "missing_vary": (FRONT, ("C14", "low", "https://shop.example")),
    "reflect_any_public": (FRONT, ("C01", "low", "https://attacker.example")),
    # Found from the configuration alone, no --origin: the regex's own example is the trusted origin.
    "unanchored_regex": ([], ("C03", "high", "https://a.shop.example.attacker.example")),
}


def probe(capsys: pytest.CaptureFixture[str], target: str, *options: str) -> tuple[int, dict[str, Any]]:
    status = main(["probe", target, "--json", *options])
    out, err = capsys.readouterr()
    assert err == ""
    return status, json.loads(out)


@pytest.mark.parametrize("app", list(MISCONFIGURED))
def test_each_misconfiguration_is_a_finding(capsys: pytest.CaptureFixture[str], app: str) -> None:
    options, (check_id, severity, origin) = MISCONFIGURED[app]
    kind = "wsgi" if app.startswith("flask_") else "asgi"
    status, document = probe(capsys, f"{kind}:testing_support.misconfigured:{app}", *options)
    found = {(f["id"], f["severity"], f["origin"]) for f in document["findings"]}
    assert (check_id, severity, origin) in found
    assert status == (1 if severity in ("high", "medium") else 0)
    finding = next(f for f in document["findings"] if (f["id"], f["origin"]) == (check_id, origin))
    assert finding["fix"]
    if finding["source"] == "configuration":
        assert finding["where"]
        return
    assert finding["paths"] == ["/api/data"] or app in ("unanchored_regex", "localhost_prefix")
    assert finding["credentials_exposed"] == (severity == "high" or app == "any_subdomain")
    assert finding["browsers"]


@pytest.mark.parametrize(
    "app",
    [
        "asgi:testing_support.misconfigured:exact_with_credentials",
        "asgi:testing_support.misconfigured:anchored_regex",
        "asgi:testing_support.misconfigured:public_wildcard",
        "asgi:testing_support.misconfigured:engine_public",
        "wsgi:testing_support.misconfigured:flask_public",
        "wsgi:testing_support.misconfigured:flask_safe",
        "asgi:testing_support.misconfigured:engine_own_github_pages",
    ],
)
def test_a_correct_configuration_passes(capsys: pytest.CaptureFixture[str], app: str) -> None:
    status, document = probe(capsys, app, *FRONT)
    assert [f for f in document["findings"] if f["severity"] != "low"] == []
    assert status == 0


def test_every_probed_origin_is_one_a_browser_can_send(capsys: pytest.CaptureFixture[str]) -> None:
    _, document = probe(
        capsys, "asgi:testing_support.misconfigured:reflect_any", *FRONT, "--origin", "http://localhost:3000"
    )
    origins = {o["origin"] for o in document["observations"]}
    assert all(sendable(origin) for origin in origins)
    assert "http://localhost:3000.attacker.example" not in origins  # the old port-neighbour bug
    assert "http://localhost.attacker.example" in origins  # the development-prefix trick
    assert not any(origin != origin.lower() for origin in origins)


@pytest.mark.parametrize(
    ("trusted", "reverse_substring"),
    [
        ("http://cafe:8080", "http://afe:8080"),  # an intranet name of hex letters is still a name
        ("http://shop:8080", "http://hop:8080"),
        ("http://127.0.0.1:8080", None),  # addresses have no substrings to try
        ("http://[::1]:8080", None),
    ],
)
def test_reverse_substring_for_names_not_addresses(trusted: str, reverse_substring: str | None) -> None:
    found = [c.origin for c in neighbours(trusted) if c.cls == "reverse-substring"]
    assert found == ([reverse_substring] if reverse_substring else [])


@pytest.mark.parametrize(("gate", "status"), [("high", 1), ("medium", 1), ("low", 1), ("none", 0)])
def test_fail_on_sets_the_exit_status(capsys: pytest.CaptureFixture[str], gate: str, status: int) -> None:
    assert probe(capsys, "asgi:testing_support.misconfigured:suffix", *FRONT, "--fail-on", gate)[0] == status


def test_low_findings_pass_the_default_gate(capsys: pytest.CaptureFixture[str]) -> None:
    assert probe(capsys, "asgi:testing_support.misconfigured:any_subdomain_public", *FRONT)[0] == 0
    assert (
        probe(capsys, "asgi:testing_support.misconfigured:any_subdomain_public", *FRONT, "--fail-on", "low")[
            0
        ]
        == 1
    )


def test_text_output_starts_with_a_summary_then_the_findings(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["probe", "asgi:testing_support.misconfigured:suffix", *FRONT])
    out = capsys.readouterr().out
    assert status == 1
    # What failed, and the first thing to fix, before anything else.
    # (The low one: X01, another site's text/plain POST runs; the app sets no cookie.)
    assert out.startswith("FAIL: 2 high, 1 low (gate --fail-on medium); first: C04 ")
    assert "Findings: " in out.split("Effective CORS policy")[0]
    assert "HIGH C04" in out.split("Effective CORS policy")[0]
    assert max(len(line) for line in out.split("Effective CORS policy")[0].splitlines()) <= 100


def test_markdown_suits_a_pull_request_comment(capsys: pytest.CaptureFixture[str]) -> None:
    main(["probe", "asgi:testing_support.misconfigured:suffix", *FRONT, "--markdown"])
    out = capsys.readouterr().out
    assert out.startswith("### CORS policy of `asgi:testing_support.misconfigured:suffix`")
    assert "| high | C04 |" in out

"""`--har`: replaying what a browser really sent. Here from a HAR file written as DevTools writes
one; tests/browsers/test_browser.py records one from real Chromium against the service and replays it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from cors_conformance.cli import main
from cors_conformance.har import probes

SEED = "wsgi:testing_support.seed_app:seed"
SEED_INTENDED = "wsgi:testing_support.seed_app:seed_without_decorator"
SERVICE = "asgi-factory:service.app:create_app"
PAGE = "http://localhost:3000"


def entry(method: str, url: str, headers: dict[str, str], body: str | None = None) -> dict[str, Any]:
    request: dict[str, Any] = {
        "method": method,
        "url": url,
        "httpVersion": "HTTP/1.1",
        "headers": [{"name": k, "value": v} for k, v in headers.items()],
        "queryString": [],
        "cookies": [],
        "headersSize": -1,
        "bodySize": len(body or ""),
    }
    if body is not None:
        request["postData"] = {"mimeType": headers.get("Content-Type", ""), "text": body}
    return {"startedDateTime": "2026-11-30T00:00:00.000Z", "time": 1, "request": request, "response": {}}


def har(*origins: str) -> dict[str, Any]:
    entries = [entry("GET", "http://localhost:3000/", {"Accept": "text/html"})]  # the page: no Origin
    for origin in origins:
        entries += [
            entry(
                "OPTIONS",
                "http://127.0.0.1:8000/api/foo",
                {
                    "Origin": origin,
                    "Access-Control-Request-Method": "POST",
                    "Access-Control-Request-Headers": "content-type",
                },
            ),
            entry(
                "POST",
                "http://127.0.0.1:8000/api/foo",
                {
                    "Origin": origin,
                    "Content-Type": "application/json",
                    "User-Agent": "Mozilla/5.0",
                    "Sec-Fetch-Mode": "cors",
                    "Referer": f"{origin}/",
                },
                '{"inputVar": 21}',
            ),
            entry("GET", "http://127.0.0.1:8000/api/foo", {"Origin": origin, "Cookie": "session=1"}),
        ]
    return {"log": {"version": "1.2", "creator": {"name": "test", "version": "1"}, "entries": entries}}


@pytest.fixture
def har_file(tmp_path: Path) -> Path:
    path = tmp_path / "session.har"
    path.write_text(json.dumps(har(PAGE, "https://unrelated.example")))
    return path


def test_entries_become_probes_as_the_browser_sent_them() -> None:
    found = probes(har(PAGE)["log"]["entries"])
    assert [(p.case.method, p.path, p.origin) for p in found] == [
        ("POST", "/api/foo", PAGE),
        ("GET", "/api/foo", PAGE),
    ]
    post, get = found
    assert post.case.headers == (("Content-Type", "application/json"),)  # the author header only
    assert post.case.body == b'{"inputVar": 21}'
    assert (post.case.credentials, get.case.credentials) == (False, True)  # a Cookie was sent


def test_a_preflight_whose_request_never_followed_stands_for_it() -> None:
    entries = har(PAGE)["log"]["entries"]
    del entries[2]  # the POST: the browser stopped at its preflight
    (rebuilt, _) = probes(entries)
    assert (rebuilt.case.method, rebuilt.path, rebuilt.origin) == ("POST", "/api/foo", PAGE)
    assert rebuilt.case.headers == (("content-type", "application/json"),)
    assert rebuilt.case.name.endswith("(its preflight only)")


def test_probe_replays_every_request_with_a_verdict(
    capsys: pytest.CaptureFixture[str], har_file: Path
) -> None:
    status = main(["probe", SERVICE, "--har", str(har_file), "--json"])
    document = json.loads(capsys.readouterr().out)
    verdicts = [(o["origin"], o["case"].split(" ", 2)[2], o["allowed"]) for o in document["observations"]]
    assert verdicts == [
        (PAGE, "POST /api/foo", True),
        (PAGE, "GET /api/foo", False),  # credentials: the service does not allow them
        ("https://unrelated.example", "POST /api/foo", False),
        ("https://unrelated.example", "GET /api/foo", False),
    ]
    assert status == 0


def test_diff_compares_entry_by_entry(capsys: pytest.CaptureFixture[str], har_file: Path) -> None:
    status = main(["diff", SEED_INTENDED, SERVICE, "--har", str(har_file), "--json"])
    assert json.loads(capsys.readouterr().out)["counts"]["browser"] == 0
    assert status == 0
    status = main(["diff", SEED, SERVICE, "--har", str(har_file), "--json"])
    differences = json.loads(capsys.readouterr().out)["differences"]
    assert [(d["kind"], d["origin"]) for d in differences if d["kind"] == "browser"] == [
        ("browser", "https://unrelated.example")
    ]
    assert status == 1


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ('{"log": {}}', "is not a HAR file"),
        (json.dumps(har()), "no cross-origin requests"),
    ],
)
def test_a_bad_har_file_is_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, content: str, message: str
) -> None:
    path = tmp_path / "bad.har"
    path.write_text(content)
    status = main(["probe", SERVICE, "--har", str(path)])
    err = capsys.readouterr().err
    assert status == 2
    assert message in err
    assert err.count("\n") == 1


def test_a_missing_har_file_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main(["probe", SERVICE, "--har", str(tmp_path / "missing.har")]) == 2
    assert "cannot read" in capsys.readouterr().err

"""Real browsers as the final judge: headless Chromium and Firefox each load a page from an allowed
origin (http://localhost:3000) and from a disallowed one (http://localhost:3001) and make
cross-origin fetch() calls to real servers on 127.0.0.1: the service under uvicorn, the Flask
reference (the original app without its mistyped decorator) under gunicorn, and the original app as
written.

For every case, each browser's verdict on the service equals its verdict on the Flask reference and
the conformance toolkit's prediction for that browser; on the original app as written, both confirm
what the toolkit reports: the disallowed origin can read /api/foo.
"""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from cors_conformance.matrix import Case, Probe
from cors_conformance.observe import observe
from cors_conformance.targets import Target
from testing_support import clean_env, free_port, gunicorn_command, serving, uvicorn_command
from testing_support.driver import Page
from tests.browsers.browsers import BROWSERS, launch
from tests.browsers.chromium import Chromium
from tests.browsers.firefox import Firefox

pytestmark = pytest.mark.browser

ALLOWED, DISALLOWED = "http://localhost:3000", "http://localhost:3001"
JSON = (("Content-Type", "application/json"),)
BODY = '{"inputVar": 2}'


@dataclass(frozen=True)
class FetchCase:
    name: str
    path: str
    method: str = "POST"
    headers: tuple[tuple[str, str], ...] = JSON
    body: str | None = BODY
    credentials: bool = False

    def init(self) -> dict[str, Any]:
        init: dict[str, Any] = {"method": self.method, "headers": dict(self.headers)}
        if self.body is not None:
            init["body"] = self.body
        if self.credentials:
            init["credentials"] = "include"
        return init

    def toolkit_case(self) -> Case:
        body = self.body.encode() if self.body is not None else b""
        return Case(self.name, self.method, self.headers, self.credentials, body=body)


CASES = [
    FetchCase("POST JSON (preflighted)", "/api/foo"),
    FetchCase("POST JSON + Authorization", "/api/foo", headers=(*JSON, ("Authorization", "Bearer token"))),
    FetchCase("POST JSON + custom header", "/api/foo", headers=(*JSON, ("X-Custom", "1"))),
    FetchCase("POST JSON, credentials", "/api/foo", credentials=True),
    FetchCase("PUT", "/api/foo", method="PUT"),
    FetchCase("DELETE", "/api/foo", method="DELETE", headers=(), body=None),
    FetchCase("simple GET (no preflight)", "/api/foo", method="GET", headers=(), body=None),
    FetchCase("path outside /api", "/healthz", method="GET", headers=(), body=None),
    FetchCase("400 error response", "/api/foo", body="{}"),
    FetchCase("415 error response (simple)", "/api/foo", headers=(("Content-Type", "text/plain"),)),
]


class PageHandler(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        body = b"<!doctype html><title>cross-origin test page</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module", params=BROWSERS)
def browser(request: pytest.FixtureRequest) -> Iterator[Chromium | Firefox]:
    with launch(request.param) as running:
        yield running


@pytest.fixture(scope="module")
def servers() -> Iterator[dict[str, str]]:
    ports = {name: free_port() for name in ("service", "reference", "original")}
    commands = {
        "service": uvicorn_command("service.app:create_app", ports["service"], "--factory"),
        "reference": gunicorn_command("testing_support.seed_app:seed_without_decorator", ports["reference"]),
        "original": gunicorn_command("testing_support.seed_app:seed", ports["original"]),
    }
    urls = {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    pages = [http.server.ThreadingHTTPServer(("127.0.0.1", port), PageHandler) for port in (3000, 3001)]
    with contextlib.ExitStack() as stack:
        for name, command in commands.items():
            stack.enter_context(serving(command, f"{urls[name]}/", env=clean_env(APP_ENV="test")))
        for page in pages:
            threading.Thread(target=page.serve_forever, daemon=True).start()
            stack.callback(page.server_close)
            stack.callback(page.shutdown)
        yield urls


@pytest.fixture(scope="module")
def pages(browser: Chromium | Firefox, servers: dict[str, str]) -> dict[str, Page]:
    return {origin: browser.page(f"{origin}/") for origin in (ALLOWED, DISALLOWED)}


def predicted(server: str, case: FetchCase, origin: str, browser: Chromium | Firefox) -> bool:
    """The conformance toolkit's browser model for this browser, on the same server's real answers."""
    probe = Probe(case.path, case.toolkit_case(), origin)
    (observation,) = observe(Target(server), [probe], browsers=[browser.name])
    return observation.verdicts[browser.name].allowed


def browser_allows(page: Page, server: str, case: FetchCase) -> bool:
    outcome = page.fetch(f"{server}{case.path}", case.init())
    return bool(outcome["outcome"] == "response")


@pytest.mark.parametrize("origin", [ALLOWED, DISALLOWED])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_service_reference_and_model_agree(
    browser: Chromium | Firefox, pages: dict[str, Page], servers: dict[str, str], case: FetchCase, origin: str
) -> None:
    on_service = browser_allows(pages[origin], servers["service"], case)
    on_reference = browser_allows(pages[origin], servers["reference"], case)
    assert on_service == on_reference
    assert on_service == predicted(servers["service"], case, origin, browser)
    assert on_reference == predicted(servers["reference"], case, origin, browser)


@pytest.mark.parametrize("origin", [ALLOWED, DISALLOWED])
@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_original_app_as_written_matches_the_model(
    browser: Chromium | Firefox, pages: dict[str, Page], servers: dict[str, str], case: FetchCase, origin: str
) -> None:
    assert browser_allows(pages[origin], servers["original"], case) == predicted(
        servers["original"], case, origin, browser
    )


def test_the_allowed_origin_reads_the_service(pages: dict[str, Page], servers: dict[str, str]) -> None:
    outcome = pages[ALLOWED].fetch(f"{servers['service']}/api/foo", CASES[0].init())
    assert outcome == {"outcome": "response", "status": 200, "body": '{"result":4}'}


def test_the_disallowed_origin_is_refused_by_the_service(
    pages: dict[str, Page], servers: dict[str, str]
) -> None:
    outcome = pages[DISALLOWED].fetch(f"{servers['service']}/api/foo", CASES[0].init())
    assert outcome["outcome"] == "error"
    assert outcome["error"] in (
        "TypeError: Failed to fetch",  # Chromium
        "TypeError: NetworkError when attempting to fetch resource.",  # Firefox
    )


def test_the_disallowed_origin_reads_the_original_app(
    pages: dict[str, Page], servers: dict[str, str]
) -> None:
    # What `cors-conformance from-flask` reports: the origin= typo leaves /api/foo open to every site.
    outcome = pages[DISALLOWED].fetch(f"{servers['original']}/api/foo", CASES[0].init())
    assert outcome["outcome"] == "response"
    assert json.loads(outcome["body"]) == {"result": 4}


# --- a HAR recorded by real Chromium, replayed by the toolkit -----------------------------------------


def har_of(events: list[dict[str, Any]]) -> dict[str, Any]:
    """A HAR 1.2 document from DevTools Network events, as DevTools' own "Save all as HAR" builds it:
    each request with the headers it went out with (`requestWillBeSentExtraInfo`: Origin, Cookie)."""
    requests: dict[str, dict[str, Any]] = {}
    sent_headers: dict[str, dict[str, str]] = {}
    for event in events:
        params = event.get("params", {})
        if event["method"] == "Network.requestWillBeSent":
            requests[params["requestId"]] = params["request"]
        elif event["method"] == "Network.requestWillBeSentExtraInfo":
            sent_headers[params["requestId"]] = params["headers"]
    entries = []
    for request_id, request in requests.items():
        headers = sent_headers.get(request_id, request.get("headers", {}))
        har_request: dict[str, Any] = {
            "method": request["method"],
            "url": request["url"],
            "httpVersion": "HTTP/1.1",
            "headers": [{"name": name, "value": value} for name, value in headers.items()],
            "queryString": [],
            "cookies": [],
            "headersSize": -1,
            "bodySize": -1,
        }
        if "postData" in request:
            har_request["postData"] = {
                "mimeType": headers.get("Content-Type", ""),
                "text": request["postData"],
            }
        entries.append({"startedDateTime": "", "time": 0, "request": har_request, "response": {}})
    return {"log": {"version": "1.2", "creator": {"name": "tests", "version": "1"}, "entries": entries}}


def test_a_har_recorded_by_chromium_replays_to_the_same_verdicts(
    servers: dict[str, str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from cors_conformance.cli import main

    with launch("chromium") as chromium:
        assert isinstance(chromium, Chromium)
        page = chromium.page(f"{ALLOWED}/")
        chromium.call("Network.enable", page._session)
        chromium.recording = True
        # One at a time, so that the HAR's entries are in the order of the cases.
        outcomes = [page.fetch(f"{servers['service']}{case.path}", case.init()) for case in CASES]
        page.evaluate("new Promise((done) => setTimeout(done, 200))")  # the last ExtraInfo events
        chromium.recording = False
    har_file = tmp_path / "chromium.har"
    har_file.write_text(json.dumps(har_of(chromium.events)))

    status = main(["probe", servers["service"], "--har", str(har_file), "--json"])
    replayed = json.loads(capsys.readouterr().out)["observations"]
    assert [o["case"].split(" ", 2)[2].removesuffix(" (its preflight only)") for o in replayed] == [
        f"{c.method} {c.path}" for c in CASES
    ]
    # A HAR does not record fetch()'s credentials mode; the replay infers it from a Cookie header, and
    # this page has no cookie to send: its credentialed case is replayed without credentials.
    uncredentialed = [i for i, case in enumerate(CASES) if not case.credentials]
    verdicts = [o["browsers"]["chromium"]["allowed"] for o in replayed]
    assert [verdicts[i] for i in uncredentialed] == [
        outcomes[i]["outcome"] == "response" for i in uncredentialed
    ]
    assert status == 0

    assert main(["diff", servers["reference"], servers["service"], "--har", str(har_file), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["browser"] == 0

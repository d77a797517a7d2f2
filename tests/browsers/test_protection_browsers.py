"""CrossOriginProtection in real browsers: headless Chromium and Firefox send a form POST and
fetch() calls from a page of another site (http://127.0.0.1:P1, where the target is
http://localhost:P2: browsers treat the two hosts as different sites), from another origin of the
same site (http://localhost:P1) and from the target's own origin. The target
(testing_support/protection_app.py) records what each request carried and what it was answered: the
browsers' own Sec-Fetch-Site, the protection's 403, and whether the endpoint ran.
`/open/transfer` (CORS only) shows what the protection is for: there the cross-site POST runs."""

from __future__ import annotations

import contextlib
import http.server
import json
import threading
import time
import uuid
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from testing_support import clean_env, free_port, serving, uvicorn_command
from testing_support.driver import Page
from tests.browsers.browsers import BROWSERS, launch
from tests.browsers.chromium import Chromium
from tests.browsers.firefox import Firefox

pytestmark = pytest.mark.browser

FORM_PAGE = b"<!doctype html><title>another site</title><iframe name=sink></iframe>"


class OtherSite(http.server.BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(FORM_PAGE)))
        self.end_headers()
        self.wfile.write(FORM_PAGE)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def sites() -> Iterator[dict[str, str]]:
    """The target (localhost) and a page of another site (127.0.0.1), both on 127.0.0.1."""
    target_port = free_port()
    other = http.server.ThreadingHTTPServer(("127.0.0.1", 0), OtherSite)
    command = uvicorn_command("testing_support.protection_app:app", target_port)
    with contextlib.ExitStack() as stack:
        stack.enter_context(serving(command, f"http://127.0.0.1:{target_port}/log", env=clean_env()))
        threading.Thread(target=other.serve_forever, daemon=True).start()
        stack.callback(other.server_close)
        stack.callback(other.shutdown)
        yield {
            "target": f"http://localhost:{target_port}",
            "target_log": f"http://127.0.0.1:{target_port}/log",
            "other": f"http://127.0.0.1:{other.server_address[1]}",
            # The same page as localhost: another origin (its port) of the target's site.
            "same_site": f"http://localhost:{other.server_address[1]}",
        }


@pytest.fixture(scope="module", params=BROWSERS)
def browser(request: pytest.FixtureRequest) -> Iterator[Chromium | Firefox]:
    with launch(request.param) as running:
        yield running


@pytest.fixture(scope="module")
def pages(browser: Chromium | Firefox, sites: dict[str, str]) -> dict[str, Page]:
    return {
        "cross-site": browser.page(f"{sites['other']}/"),
        "same-site": browser.page(f"{sites['same_site']}/"),
        "same-origin": browser.page(f"{sites['target']}/page"),
    }


def record(sites: dict[str, str], request_id: str) -> dict[str, Any]:
    """What the target recorded for the request, once it has answered (at most 10 s)."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = httpx.get(sites["target_log"], timeout=5).json().get(request_id)
        if found is not None and "status" in found:
            return dict(found)
        time.sleep(0.05)
    raise AssertionError(f"the target never answered request {request_id}")


def submit_form(page: Page, url: str) -> None:
    """A plain HTML form POST (no script needed on an attacker's page but this one), into an iframe
    so the page stays to send the next one."""
    page.evaluate(
        f"""(() => {{
            const form = document.createElement("form");
            form.method = "POST";
            form.action = {json.dumps(url)};
            form.target = "sink";
            const field = document.createElement("input");
            field.name = "amount";
            field.value = "1000";
            form.appendChild(field);
            document.body.appendChild(form);
            form.submit();
            return true;
        }})()"""
    )


def send(kind: str, page: Page, url: str) -> None:
    if kind == "form":
        submit_form(page, url)
    elif kind == "fetch":  # a simple request: no preflight, so it runs unless something refuses it
        page.fetch(url, {"method": "POST", "headers": {"Content-Type": "text/plain"}, "body": "x"})
    else:  # "no-cors": the answer is opaque to the page, the request is sent all the same
        page.fetch(url, {"method": "POST", "mode": "no-cors", "body": "x"})


@pytest.mark.parametrize("page", ["cross-site", "same-site"])
@pytest.mark.parametrize("kind", ["form", "fetch", "no-cors"])
def test_post_from_another_origin_is_refused(
    pages: dict[str, Page], sites: dict[str, str], kind: str, page: str
) -> None:
    # Same-site (another port of localhost) is another origin too: refused, as in Go.
    request_id = uuid.uuid4().hex
    send(kind, pages[page], f"{sites['target']}/protected/transfer?id={request_id}")
    seen = record(sites, request_id)
    assert seen["sec-fetch-site"] == page  # what the browser itself said
    assert (seen["status"], seen["ran"]) == (403, False)


@pytest.mark.parametrize("kind", ["form", "fetch", "no-cors"])
def test_cross_site_post_runs_where_only_cors_stands(
    pages: dict[str, Page], sites: dict[str, str], kind: str
) -> None:
    # CORS hides the answer from the page, but the request ran: what the protection is for.
    request_id = uuid.uuid4().hex
    send(kind, pages["cross-site"], f"{sites['target']}/open/transfer?id={request_id}")
    seen = record(sites, request_id)
    assert (seen["sec-fetch-site"], seen["status"], seen["ran"]) == ("cross-site", 200, True)


@pytest.mark.parametrize("kind", ["form", "fetch"])
def test_same_origin_post_passes(pages: dict[str, Page], sites: dict[str, str], kind: str) -> None:
    request_id = uuid.uuid4().hex
    send(kind, pages["same-origin"], f"{sites['target']}/protected/transfer?id={request_id}")
    seen = record(sites, request_id)
    assert seen["sec-fetch-site"] == "same-origin"
    assert seen["origin"] == sites["target"]
    assert (seen["status"], seen["ran"]) == (200, True)


def test_cross_site_fetch_sees_only_a_network_error(pages: dict[str, Page], sites: dict[str, str]) -> None:
    # The 403 has no CORS headers for this page: its script cannot even read why.
    request_id = uuid.uuid4().hex
    url = f"{sites['target']}/protected/transfer?id={request_id}"
    outcome = pages["cross-site"].fetch(url, {"method": "POST", "body": "x"})
    assert outcome["outcome"] == "error"
    assert record(sites, request_id)["status"] == 403

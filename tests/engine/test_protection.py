"""CrossOriginProtection: Go 1.25's net/http CrossOriginProtection test tables (csrf_test.go,
with the Go 1.25.1 fix for bypass patterns, go.dev/issue/75054), converted row for row, then what we
do beyond Go: the scheme, report-only mode, configuration ids, the JSON answer, and CORS beside it.

Go's bypass patterns are ServeMux patterns, ours Starlette paths: Go's subtree pattern "/bypass/"
is written "/bypass/{rest:path}" here; "/only/{foo}" and "/no-trailing" mean the same in both.
Requests are driven as raw ASGI scopes, since an HTTP client would clean "/foo/../bypass/bar"
before sending it, which is exactly what these rows are about."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import Message, Receive, Scope, Send

from flask_cors_asgi import (
    PROTECTION_CHECKS,
    CORSMiddleware,
    CrossOriginProtection,
    ProtectionConfigError,
    protection_problems,
)
from flask_cors_asgi.protection import REPORT_LIMIT, compile_protection, refusal
from testing_support import clean_env, free_port, sent_for, serving, uvicorn_command

ATTACKER = "https://attacker.example"
TRUSTED = "https://trusted.example"


async def ok_app(scope: Scope, receive: Receive, send: Send) -> None:
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"ok"})


async def answer(
    app: Any,
    method: str = "POST",
    path: str = "/",
    *,
    sec_fetch_site: str = "",
    origin: str = "",
    host: str = "example.com",
    scheme: str | None = "https",
) -> tuple[int, bytes]:
    """The status and body the app gives a request for `https://example.com{path}`, with the raw
    path as written (no client cleans it)."""
    headers = [(b"host", host.encode())]
    if sec_fetch_site:
        headers.append((b"sec-fetch-site", sec_fetch_site.encode()))
    if origin:
        headers.append((b"origin", origin.encode()))
    scope: dict[str, Any] = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "path": unquote(path),  # decoded, as servers set it
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
    }
    if scheme is not None:
        scope["scheme"] = scheme
    sent = await sent_for(app, scope)
    return sent[0]["status"], b"".join(m.get("body", b"") for m in sent[1:])


# TestCrossOriginProtectionSecFetchSite: (method, Sec-Fetch-Site, Origin, expected status).
SEC_FETCH_SITE = [
    pytest.param("POST", "same-origin", "", 200, id="same-origin allowed"),
    pytest.param("POST", "none", "", 200, id="none allowed"),
    pytest.param("POST", "cross-site", "", 403, id="cross-site blocked"),
    pytest.param("POST", "same-site", "", 403, id="same-site blocked"),
    pytest.param("POST", "", "", 200, id="no header with no origin"),
    pytest.param("POST", "", "https://example.com", 200, id="no header with matching origin"),
    pytest.param("POST", "", ATTACKER, 403, id="no header with mismatched origin"),
    pytest.param("POST", "", "null", 403, id="no header with null origin"),
    pytest.param("GET", "cross-site", "", 200, id="GET allowed"),
    pytest.param("HEAD", "cross-site", "", 200, id="HEAD allowed"),
    pytest.param("OPTIONS", "cross-site", "", 200, id="OPTIONS allowed"),
    pytest.param("PUT", "cross-site", "", 403, id="PUT blocked"),
    # Beyond Go's table: the other state-changing methods, and a value no browser sends.
    pytest.param("DELETE", "cross-site", "", 403, id="DELETE blocked"),
    pytest.param("PATCH", "same-site", "", 403, id="PATCH blocked"),
    pytest.param("POST", "cross-site", "https://example.com", 403, id="Sec-Fetch-Site wins over Origin"),
    pytest.param("POST", "bogus", "", 403, id="unknown value blocked"),
]


@pytest.mark.parametrize(("method", "sec_fetch_site", "origin", "expected"), SEC_FETCH_SITE)
async def test_sec_fetch_site(method: str, sec_fetch_site: str, origin: str, expected: int) -> None:
    app = CrossOriginProtection(ok_app)
    status, _ = await answer(app, method, sec_fetch_site=sec_fetch_site, origin=origin)
    assert status == expected


# TestCrossOriginProtectionTrustedOriginBypass: (Origin, Sec-Fetch-Site, expected status).
TRUSTED_ORIGIN = [
    pytest.param(TRUSTED, "", 200, id="trusted origin without sec-fetch-site"),
    pytest.param(TRUSTED, "cross-site", 200, id="trusted origin with cross-site"),
    pytest.param(ATTACKER, "", 403, id="untrusted origin without sec-fetch-site"),
    pytest.param(ATTACKER, "cross-site", 403, id="untrusted origin with cross-site"),
    # Exact match only: no subdomain, other scheme or other port of a trusted origin.
    pytest.param("https://sub.trusted.example", "cross-site", 403, id="subdomain of trusted"),
    pytest.param("http://trusted.example", "cross-site", 403, id="other scheme than trusted"),
    pytest.param("https://trusted.example:8443", "cross-site", 403, id="other port than trusted"),
]


@pytest.mark.parametrize("origin", ["https://Trusted.example", "https://trusted.example"])
async def test_trusted_origin_written_in_capitals_matches_itself_and_the_browsers_form(origin: str) -> None:
    app = CrossOriginProtection(ok_app, trusted_origins=["https://Trusted.example"])
    assert (await answer(app, origin=origin, sec_fetch_site="cross-site"))[0] == 200


@pytest.mark.parametrize(("origin", "sec_fetch_site", "expected"), TRUSTED_ORIGIN)
async def test_trusted_origin(origin: str, sec_fetch_site: str, expected: int) -> None:
    app = CrossOriginProtection(ok_app, trusted_origins=[TRUSTED])
    status, _ = await answer(app, origin=origin, sec_fetch_site=sec_fetch_site)
    assert status == expected


GO_BYPASS_PATTERNS = [
    "/bypass/{rest:path}",  # Go's subtree pattern "/bypass/"
    "/only/{foo}",
    "/no-trailing",
    "/yes-trailing/{rest:path}",  # Go's "/yes-trailing/"
    "PUT /put-only/{rest:path}",
    "GET /get-only/{rest:path}",
    "POST /post-only/{rest:path}",
]

# TestCrossOriginProtectionPatternBypass (POST from https://attacker.example): (path,
# Sec-Fetch-Site, expected status).
PATTERN_BYPASS = [
    pytest.param("/bypass/", "", 200, id="bypass path without sec-fetch-site"),
    pytest.param("/bypass/", "cross-site", 200, id="bypass path with cross-site"),
    pytest.param("/api/", "", 403, id="non-bypass path without sec-fetch-site"),
    pytest.param("/api/", "cross-site", 403, id="non-bypass path with cross-site"),
    pytest.param("/foo/../bypass/bar", "", 403, id="redirect to bypass path without .."),
    pytest.param("/bypass", "", 403, id="redirect to bypass path with trailing slash"),
    pytest.param("/foo/../api/bar", "", 403, id="redirect to non-bypass path with .."),
    pytest.param("/api", "", 403, id="redirect to non-bypass path with trailing slash"),
    pytest.param("/only/123", "", 200, id="wildcard bypass"),
    pytest.param("/only/123/foo", "", 403, id="non-wildcard"),
    pytest.param("/no-trailing", "", 200, id="no trailing slash exact match"),
    pytest.param("/no-trailing/", "", 403, id="no trailing slash with slash"),
    pytest.param("/yes-trailing/", "", 200, id="yes trailing slash exact match"),
    pytest.param("/yes-trailing", "", 403, id="yes trailing slash without slash"),
    pytest.param("/post-only/", "", 200, id="method-specific hit"),
    pytest.param("/put-only/", "", 403, id="method-specific miss (PUT)"),
    pytest.param("/get-only/", "", 403, id="method-specific miss (GET)"),
    # Beyond Go's table: the subtree itself, and every other form a server, a proxy or Go's
    # ServeMux would clean or redirect before routing.
    pytest.param("/bypass/bar", "cross-site", 200, id="inside the subtree"),
    pytest.param("/bypass/./bar", "cross-site", 403, id="dot segment"),
    pytest.param("/bypass/../api/delete", "cross-site", 403, id="dot-dot out of the subtree"),
    pytest.param("/bypass/%2e%2e/api", "cross-site", 403, id="percent-encoded dot-dot"),
    pytest.param("/bypass//bar", "cross-site", 403, id="doubled slash inside"),
    pytest.param("//bypass/", "cross-site", 403, id="doubled slash in front"),
    pytest.param("/bypass/bar/.", "cross-site", 403, id="trailing dot segment"),
    pytest.param("/only/123/", "cross-site", 403, id="added trailing slash"),
]


@pytest.mark.parametrize(("path", "sec_fetch_site", "expected"), PATTERN_BYPASS)
async def test_bypass_pattern(path: str, sec_fetch_site: str, expected: int) -> None:
    app = CrossOriginProtection(ok_app, insecure_bypass_patterns=GO_BYPASS_PATTERNS)
    status, _ = await answer(app, "POST", path, origin=ATTACKER, sec_fetch_site=sec_fetch_site)
    assert status == expected


# Go's patterns as written, added one by one as Go's test adds them: read as Starlette paths
# ("/bypass/" is then that path only, not a subtree), every row of Go's own table still holds.
GO_PATTERNS_AS_WRITTEN = ["/bypass/", "/only/{foo}", "/no-trailing", "/yes-trailing/", "PUT /put-only/",
                          "GET /get-only/", "POST /post-only/"]  # fmt: skip
GO_ROWS = PATTERN_BYPASS[
    : PATTERN_BYPASS.index(next(p for p in PATTERN_BYPASS if p.id == "inside the subtree"))
]


@pytest.mark.parametrize(("path", "sec_fetch_site", "expected"), GO_ROWS)
async def test_go_patterns_as_written(path: str, sec_fetch_site: str, expected: int) -> None:
    app = CrossOriginProtection(ok_app)
    for pattern in GO_PATTERNS_AS_WRITTEN:
        app.add_insecure_bypass_pattern(pattern)
    status, _ = await answer(app, "POST", path, origin=ATTACKER, sec_fetch_site=sec_fetch_site)
    assert status == expected


async def test_bypass_pattern_percent_decoded_path_matches_as_starlette_routes() -> None:
    # Starlette routes on the decoded path: /only/a%20b reaches Route("/only/{foo}").
    app = CrossOriginProtection(ok_app, insecure_bypass_patterns=["/only/{foo}"])
    assert (await answer(app, path="/only/a%20b", origin=ATTACKER))[0] == 200


async def test_bypass_pattern_is_relative_to_the_mount() -> None:
    # Under a Mount("/sub"), the pattern is matched against the path within the mounted app.
    app = CrossOriginProtection(ok_app, insecure_bypass_patterns=["/hook"])
    scope_path = "/sub/hook"
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "https",
        "path": scope_path,
        "raw_path": scope_path.encode(),
        "root_path": "/sub",
        "headers": [(b"host", b"example.com"), (b"sec-fetch-site", b"cross-site")],
    }
    await app(scope, None, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == 200


# TestCrossOriginProtectionAddTrustedOriginErrors: (origin, refused).
TRUSTED_ORIGIN_ERRORS = [
    pytest.param("https://example.com", False, id="valid origin"),
    pytest.param("https://example.com:8080", False, id="valid origin with port"),
    pytest.param("http://example.com", False, id="http origin"),
    pytest.param("example.com", True, id="missing scheme"),
    pytest.param("https://", True, id="missing host"),
    pytest.param("https://example.com/", True, id="trailing slash"),
    pytest.param("https://example.com/path", True, id="with path"),
    pytest.param("https://example.com?query=value", True, id="with query"),
    pytest.param("https://example.com#fragment", True, id="with fragment"),
    pytest.param("https://ex ample.com", True, id="invalid url"),
    pytest.param("", True, id="empty string"),
    pytest.param("null", True, id="null"),
    # Beyond Go: values Go's URL parser accepts but no browser sends as an Origin.
    pytest.param("https://user@example.com", True, id="user info"),
    pytest.param("https://*.example.com", True, id="wildcard"),
    pytest.param("https://example.com:99999", True, id="port out of range"),
    pytest.param("http://[::1]:8000", False, id="IPv6 literal"),
]


@pytest.mark.parametrize(("origin", "refused"), TRUSTED_ORIGIN_ERRORS)
def test_trusted_origin_validation(origin: str, refused: bool) -> None:
    assert [p.id for p in protection_problems(trusted_origins=[origin])] == (["E001"] if refused else [])


def test_refused_configuration_raises_at_construction_with_every_problem() -> None:
    with pytest.raises(ProtectionConfigError) as caught:
        CrossOriginProtection(
            ok_app,
            trusted_origins=["example.com", "https://ok.example", "https://a.example/"],
            insecure_bypass_patterns=["/", "post /hook", "/{all:path}", "hook", "/a/{x:nope}"],
        )
    assert [p.id for p in caught.value.problems] == ["E001", "E001", "E002", "E004", "E002", "E003", "E003"]
    # Each line names the option and the id.
    assert "insecure_bypass_patterns: '/' " in str(caught.value)
    assert "[protection.E002]" in str(caught.value)


# (option, value, ids)
CONFIG_PROBLEMS = [
    pytest.param("insecure_bypass_patterns", ["/"], ["E002"], id="root (Go's catch-all)"),
    pytest.param("insecure_bypass_patterns", ["/{path:path}"], ["E002"], id="every path"),
    pytest.param("insecure_bypass_patterns", ["POST /{p:path}"], ["E002"], id="every path, one method"),
    pytest.param("insecure_bypass_patterns", ["/{tenant}/hook"], [], id="a parameter then a literal"),
    pytest.param("insecure_bypass_patterns", ["webhooks"], ["E003"], id="no leading slash"),
    pytest.param("insecure_bypass_patterns", ["/a/{x:nope}"], ["E003"], id="unknown convertor"),
    pytest.param("insecure_bypass_patterns", ["/a/{x}/{x}"], ["E003"], id="duplicated parameter"),
    pytest.param("insecure_bypass_patterns", ["post /hook"], ["E004"], id="lower-case method"),
    pytest.param("insecure_bypass_patterns", ["PO(ST /hook"], ["E004"], id="not a token"),
    pytest.param("insecure_bypass_patterns", ["GET  /hook"], [], id="blanks after the method"),
    pytest.param("insecure_bypass_patterns", "/hook", ["E005"], id="a string, not a list"),
    pytest.param("insecure_bypass_patterns", [42], ["E005"], id="not a string"),
    pytest.param("trusted_origins", "https://a.example", ["E005"], id="origin string, not a list"),
    pytest.param("trusted_origins", [None], ["E005"], id="origin not a string"),
]


@pytest.mark.parametrize(("option", "value", "ids"), CONFIG_PROBLEMS)
def test_configuration_problem_ids(option: str, value: Any, ids: list[str]) -> None:
    assert [p.id for p in protection_problems(**{option: value})] == ids


def test_report_only_must_be_a_bool() -> None:
    with pytest.raises(ProtectionConfigError) as caught:
        CrossOriginProtection(ok_app, report_only="yes")  # type: ignore[arg-type]
    assert [p.id for p in caught.value.problems] == ["E005"]


def test_reconfigure_validates_first_and_keeps_the_policy_in_force_on_refusal() -> None:
    protection = CrossOriginProtection(ok_app, trusted_origins=["https://a.example"])
    with pytest.raises(ProtectionConfigError) as caught:
        protection.reconfigure(trusted_origins=["https://b.example/path", "nope"])
    assert [p.id for p in caught.value.problems] == ["E001", "E001"]
    assert protection.trusted_origins == {"https://a.example"}


def test_reconfigure_swaps_the_trusted_origins_and_is_a_no_op_when_unchanged() -> None:
    protection = CrossOriginProtection(ok_app, trusted_origins=["https://a.example"])
    assert protection.reconfigure(trusted_origins=["https://b.example"]) is True
    assert protection.trusted_origins == {"https://b.example"}
    assert protection.reconfigure(trusted_origins=["https://b.example"]) is False
    assert protection.reconfigure() is False  # None keeps what is in force


def test_every_id_has_a_title() -> None:
    assert set(PROTECTION_CHECKS) == {"E001", "E002", "E003", "E004", "E005"}


async def test_refused_configuration_in_a_starlette_app_fails_its_start_up() -> None:
    app = Starlette(middleware=[Middleware(CrossOriginProtection, insecure_bypass_patterns=["/"])])
    sent: list[Message] = []
    messages = iter([{"type": "lifespan.startup"}])

    async def receive() -> Message:
        return next(messages)

    async def send(message: Message) -> None:
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert sent[0]["type"] == "lifespan.startup.failed"
    assert "protection.E002" in sent[0]["message"]


# The deliberate difference from Go: the scheme. Go compares the Origin's host with the Host only,
# so (without Sec-Fetch-Site, e.g. an old browser) http://example.com posting to
# https://example.com passes there. The scope knows the scheme, so here it is refused.
SCHEME = [
    pytest.param("https", "http://example.com", 403, id="http page to https: refused (Go: 200)"),
    pytest.param("http", "https://example.com", 403, id="https page to http: refused (Go: 200)"),
    pytest.param("https", "https://example.com", 200, id="same scheme"),
    pytest.param("http", "http://example.com", 200, id="same scheme, http"),
    pytest.param(None, "http://example.com", 200, id="scheme unknown: Go's host-only comparison"),
]


@pytest.mark.parametrize(("scheme", "origin", "expected"), SCHEME)
async def test_scheme_is_compared_where_known(scheme: str | None, origin: str, expected: int) -> None:
    status, _ = await answer(CrossOriginProtection(ok_app), origin=origin, scheme=scheme)
    assert status == expected


# Host and Origin compared as hosts are: without case, the scheme's default port implied.
HOSTS = [
    pytest.param("example.com", "https://EXAMPLE.com", 200, id="host case"),
    pytest.param("example.com:443", "https://example.com", 200, id="default port in Host"),
    pytest.param("example.com:8443", "https://example.com", 403, id="other port"),
    pytest.param("example.com", "https://example.com:8443", 403, id="other port in Origin"),
    pytest.param("example.com", "https://evil.example.com", 403, id="subdomain"),
    pytest.param("example.com", "https://example.com.evil", 403, id="suffixed host"),
    pytest.param("", "https://example.com", 403, id="no Host"),
]


@pytest.mark.parametrize(("host", "origin", "expected"), HOSTS)
async def test_origin_against_host(host: str, origin: str, expected: int) -> None:
    status, _ = await answer(CrossOriginProtection(ok_app), origin=origin, host=host)
    assert status == expected


async def test_refusal_is_403_json_saying_why() -> None:
    status, body = await answer(CrossOriginProtection(ok_app), sec_fetch_site="cross-site", origin=ATTACKER)
    assert status == 403
    document = json.loads(body)
    assert document["error"] == "cross-origin request refused"
    assert "cross-site" in document["reason"]
    # The reason never echoes what the request sent.
    assert ATTACKER not in document["reason"]


async def test_request_values_are_not_echoed() -> None:
    app = CrossOriginProtection(ok_app)
    _, body = await answer(app, sec_fetch_site="<script>", origin="https://<b>.example")
    assert b"<" not in body


# Repeated headers (never sent by a browser) are joined with ",", as the CORS engine joins a
# repeated Origin: no joined value is same-origin, none, the Host or a trusted origin. Go reads
# the first value, so a leading "same-origin" would hide a "cross-site" there.
REPEATED = [
    pytest.param(
        [(b"sec-fetch-site", b"same-origin"), (b"sec-fetch-site", b"cross-site")], 403, id="Sec-Fetch-Site"
    ),
    pytest.param([(b"origin", TRUSTED.encode()), (b"origin", ATTACKER.encode())], 403, id="Origin"),
    pytest.param([(b"origin", b"https://example.com"), (b"host", b"evil.example")], 403, id="Host"),
    pytest.param(
        [(b"x-other", b"1"), (b"x-other", b"2"), (b"origin", TRUSTED.encode())], 200, id="other header"
    ),
]


@pytest.mark.parametrize(("extra", "expected"), REPEATED)
async def test_repeated_headers_are_joined(extra: list[tuple[bytes, bytes]], expected: int) -> None:
    app = CrossOriginProtection(ok_app, trusted_origins=[TRUSTED])
    sent: list[Message] = []

    async def send(message: Message) -> None:
        sent.append(message)

    headers = [(b"host", b"example.com"), *extra]
    scope = {
        "type": "http",
        "method": "POST",
        "scheme": "https",
        "path": "/",
        "raw_path": b"/",
        "headers": headers,
    }
    await app(scope, None, send)  # type: ignore[arg-type]
    assert sent[0]["status"] == expected


async def test_refusal_over_http_has_json_content_type() -> None:
    transport = httpx.ASGITransport(app=CrossOriginProtection(ok_app))
    async with httpx.AsyncClient(transport=transport, base_url="https://example.com") as client:
        response = await client.post("/", headers={"Origin": ATTACKER})
    assert response.status_code == 403
    assert response.headers["content-type"] == "application/json"
    assert "does not match Host" in response.json()["reason"]


async def test_deny_handler_answers_refused_requests() -> None:
    # TestCrossOriginProtectionSetDenyHandler: the handler answers refusals, never allowed requests.
    async def teapot(scope: Scope, receive: Receive, send: Send) -> None:
        reason = scope["flask_cors_asgi.protection.reason"].encode()
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b"custom error: " + reason})

    app = CrossOriginProtection(ok_app, deny_handler=teapot)
    status, body = await answer(app, sec_fetch_site="cross-site")
    assert (status, body.startswith(b"custom error: Sec-Fetch-Site")) == (418, True)
    assert (await answer(app, "GET", sec_fetch_site="cross-site"))[0] == 200


async def test_websocket_and_lifespan_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append(scope["type"])

    protection = CrossOriginProtection(app)
    await protection({"type": "websocket", "headers": [(b"origin", ATTACKER.encode())]}, None, None)  # type: ignore[arg-type]
    await protection({"type": "lifespan"}, None, None)  # type: ignore[arg-type]
    assert seen == ["websocket", "lifespan"]


async def test_report_only_lets_refused_requests_through_and_logs(caplog: pytest.LogCaptureFixture) -> None:
    app = CrossOriginProtection(ok_app, report_only=True)
    with caplog.at_level(logging.WARNING, logger="flask_cors_asgi.protection"):
        status, body = await answer(app, "POST", "/transfer", sec_fetch_site="cross-site")
        allowed = await answer(app, "POST", "/transfer", sec_fetch_site="same-origin")
    assert (status, body) == (200, b"ok")
    assert allowed == (200, b"ok")
    assert len(caplog.records) == 1
    assert "would refuse POST /transfer from Origin (none)" in caplog.records[0].getMessage()
    assert "cross-site" in caplog.records[0].getMessage()


async def test_report_only_is_rate_limited(caplog: pytest.LogCaptureFixture) -> None:
    app = CrossOriginProtection(ok_app, report_only=True)
    with caplog.at_level(logging.WARNING, logger="flask_cors_asgi.protection"):
        for _ in range(REPORT_LIMIT * 5):
            assert (await answer(app, sec_fetch_site="cross-site"))[0] == 200
    assert len(caplog.records) == REPORT_LIMIT


async def test_report_only_log_line_stays_one_printable_line(caplog: pytest.LogCaptureFixture) -> None:
    app = CrossOriginProtection(ok_app, report_only=True)
    with caplog.at_level(logging.WARNING, logger="flask_cors_asgi.protection"):
        await answer(app, "POST", "/a\nforged line", origin="https://x.example\r\nforged")
    assert "\n" not in caplog.records[0].getMessage()
    assert "\r" not in caplog.records[0].getMessage()


# Beside CORSMiddleware, in both orders: CORS decides who reads, the protection who may send.


async def endpoint(request: Request) -> Response:
    return PlainTextResponse("done")


def combined(protection_outside: bool) -> Starlette:
    cors = Middleware(CORSMiddleware, origins=[ATTACKER, TRUSTED])
    protection = Middleware(CrossOriginProtection, trusted_origins=[TRUSTED])
    middleware = [protection, cors] if protection_outside else [cors, protection]
    return Starlette(routes=[Route("/api/x", endpoint, methods=["POST"])], middleware=middleware)


@pytest.mark.parametrize("protection_outside", [True, False], ids=["protection outside", "CORS outside"])
async def test_combined_with_cors(protection_outside: bool) -> None:
    transport = httpx.ASGITransport(app=combined(protection_outside))
    async with httpx.AsyncClient(transport=transport, base_url="https://api.example") as client:
        # An origin CORS lets read is still refused when it sends a cross-site POST.
        refused = await client.post("/api/x", headers={"Origin": ATTACKER, "Sec-Fetch-Site": "cross-site"})
        trusted = await client.post("/api/x", headers={"Origin": TRUSTED, "Sec-Fetch-Site": "cross-site"})
        preflight = await client.options(
            "/api/x",
            headers={
                "Origin": TRUSTED,
                "Access-Control-Request-Method": "POST",
                "Sec-Fetch-Site": "cross-site",
            },
        )
    assert refused.status_code == 403
    assert refused.json()["error"] == "cross-origin request refused"
    # The refusal carries CORS headers only when CORS wraps the protection (then the page can
    # read why); either way the endpoint did not run.
    assert ("access-control-allow-origin" in refused.headers) is not protection_outside
    assert (trusted.status_code, trusted.text) == (200, "done")
    assert trusted.headers["access-control-allow-origin"] == TRUSTED
    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == TRUSTED


async def test_cors_alone_lets_the_cross_site_post_run() -> None:
    # What the protection is for: CORSMiddleware alone runs a cross-site POST (and only hides the
    # answer from an origin it does not allow).
    ran: list[str] = []

    async def record(request: Request) -> Response:
        ran.append(request.method)
        return PlainTextResponse("done")

    app = Starlette(
        routes=[Route("/api/x", record, methods=["POST"])],
        middleware=[Middleware(CORSMiddleware, origins=[TRUSTED])],
    )
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="https://api.example") as client:
        response = await client.post("/api/x", headers={"Origin": ATTACKER, "Sec-Fetch-Site": "cross-site"})
    assert ran == ["POST"]
    assert "access-control-allow-origin" not in response.headers


# The decision itself, as plain data: no ASGI.
POLICY = compile_protection(trusted_origins=[TRUSTED], insecure_bypass_patterns=["POST /hook"])
DECISIONS = [
    # (method, Sec-Fetch-Site, Origin, Host, scheme, path, refused)
    pytest.param("POST", "cross-site", ATTACKER, "example.com", "https", "/", True, id="cross-site"),
    pytest.param("POST", "cross-site", TRUSTED, "example.com", "https", "/", False, id="trusted"),
    pytest.param("POST", "cross-site", ATTACKER, "example.com", "https", "/hook", False, id="bypass"),
    pytest.param(
        "PUT", "cross-site", ATTACKER, "example.com", "https", "/hook", True, id="bypass, other method"
    ),
    pytest.param("POST", None, "https://example.com", "example.com", "https", "/", False, id="same origin"),
    pytest.param("POST", None, "https://example.com", "example.com", None, "/", False, id="scheme unknown"),
    pytest.param("POST", None, "http://example.com", "example.com", "https", "/", True, id="other scheme"),
    pytest.param("POST", "", None, None, "https", "/", False, id="empty header is absent"),
    pytest.param("GET", "cross-site", ATTACKER, "example.com", "https", "/", False, id="safe"),
]


@pytest.mark.parametrize(("method", "site", "origin", "host", "scheme", "path", "refused"), DECISIONS)
def test_refusal_is_a_pure_function(
    method: str,
    site: str | None,
    origin: str | None,
    host: str | None,
    scheme: str | None,
    path: str,
    refused: bool,
) -> None:
    assert (refusal(POLICY, method, site, origin, host, scheme, path) is not None) is refused


async def test_adding_a_trusted_origin_and_a_bypass_applies_to_later_requests() -> None:
    # TestCrossOriginProtectionAddingBypassesConcurrently, without the goroutine: the refusal was
    # memoised; the added origin and pattern must win over it.
    app = CrossOriginProtection(ok_app)
    assert (await answer(app, origin="https://concurrent.example", sec_fetch_site="cross-site"))[0] == 403
    app.add_trusted_origin("https://concurrent.example")
    assert (await answer(app, origin="https://concurrent.example", sec_fetch_site="cross-site"))[0] == 200
    assert (await answer(app, "POST", "/foo/", sec_fetch_site="cross-site"))[0] == 403
    app.add_insecure_bypass_pattern("/foo/")
    assert (await answer(app, "POST", "/foo/", sec_fetch_site="cross-site"))[0] == 200
    assert app.insecure_bypass_patterns == ("/foo/",)
    assert app.trusted_origins == frozenset({"https://concurrent.example"})


def test_an_invalid_addition_raises_and_changes_nothing() -> None:
    app = CrossOriginProtection(ok_app, trusted_origins=[TRUSTED])
    with pytest.raises(ProtectionConfigError) as caught:
        app.add_insecure_bypass_pattern("/{all:path}")
    assert [p.id for p in caught.value.problems] == ["E002"]
    with pytest.raises(ProtectionConfigError):
        app.add_trusted_origin("https://a.example/")
    assert (app.trusted_origins, app.insecure_bypass_patterns) == (frozenset({TRUSTED}), ())


async def test_set_deny_handler_none_restores_the_403() -> None:
    async def teapot(scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 418, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    app = CrossOriginProtection(ok_app)
    app.set_deny_handler(teapot)
    assert (await answer(app, sec_fetch_site="cross-site"))[0] == 418
    app.set_deny_handler(None)
    assert (await answer(app, sec_fetch_site="cross-site"))[0] == 403


@pytest.fixture(scope="module")
def live() -> Iterator[str]:
    port = free_port()
    command = uvicorn_command("testing_support.protection_app:go_server", port, "--log-level", "warning")
    with serving(command, f"http://127.0.0.1:{port}/", env=clean_env()):
        yield f"http://127.0.0.1:{port}"


# TestCrossOriginProtectionServer: (path, Origin, Sec-Fetch-Site, status); "{url}" is the server's.
SERVER = [
    pytest.param("/", ATTACKER, "cross-site", 403, id="cross-site"),
    pytest.param("/", "", "same-origin", 200, id="same-origin"),
    pytest.param("/", "{url}", "", 200, id="origin matches host"),
    pytest.param("/", TRUSTED, "", 200, id="trusted origin"),
    pytest.param("/", ATTACKER, "", 403, id="untrusted origin"),
    pytest.param("/bypass/", ATTACKER, "", 200, id="bypass path"),
]


@pytest.mark.parametrize(("path", "origin", "site", "expected"), SERVER)
def test_a_real_server(live: str, path: str, origin: str, site: str, expected: int) -> None:
    headers = {"Origin": origin.format(url=live), "Sec-Fetch-Site": site}
    response = httpx.post(live + path, headers={k: v for k, v in headers.items() if v}, timeout=5)
    assert response.status_code == expected

"""The browser model (cors_conformance.browser), one rule per test, as tables.

Expected values come from the Fetch standard (https://fetch.spec.whatwg.org/) and, where Chromium
differs or adds to it, from Chromium's services/network/public/cpp/cors/cors.cc,
services/network/cors/preflight_controller.cc and preflight_result.cc; such rows say "Chromium".
"""

from __future__ import annotations

import pytest

from cors_conformance.browser import (
    BrowserRequest,
    Headers,
    actual_request_headers,
    check_preflight,
    check_response,
    cors_check,
    decide,
    is_safelisted_header,
    is_safelisted_method,
    needs_preflight,
    normalize_method,
    preflight_request_headers,
    unsafe_header_names,
)

PAGE = "http://localhost:3000"
JSON = ("Content-Type", "application/json")
ACAO = ("Access-Control-Allow-Origin", PAGE)
ACAC = ("Access-Control-Allow-Credentials", "true")


def req(method: str = "GET", *headers: tuple[str, str], **flags: bool) -> BrowserRequest:
    return BrowserRequest(PAGE, method, headers, **flags)


CREDS = {"credentials": True}
PNA = {"private_network": True}


# --- the request side --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "expected"),
    [
        ("get", "GET"),
        ("Post", "POST"),
        ("head", "HEAD"),
        ("put", "PUT"),
        ("delete", "DELETE"),
        ("oPtIoNs", "OPTIONS"),
        ("patch", "patch"),  # not one of the six: sent as written
        ("Patch", "Patch"),
        ("PATCH", "PATCH"),
        ("po\u017ft", "po\u017ft"),  # byte-case-insensitive only: long s does not upper-case to S here
    ],
)
def test_normalize_method(method: str, expected: str) -> None:
    assert normalize_method(method) == expected


@pytest.mark.parametrize(
    ("method", "safelisted"),
    [
        ("GET", True),
        ("HEAD", True),
        ("POST", True),
        ("post", True),  # normalised to POST first
        ("gEt", True),
        ("PUT", False),
        ("DELETE", False),
        ("OPTIONS", False),
        ("PATCH", False),
        ("patch", False),
    ],
)
def test_is_safelisted_method(method: str, safelisted: bool) -> None:
    assert is_safelisted_method(method) is safelisted


@pytest.mark.parametrize(
    ("name", "value", "safelisted"),
    [
        ("Accept", "application/json", True),
        ("accept", "*/*", True),
        ("ACCEPT", "a" * 128, True),  # 128 bytes is the limit
        ("Accept", "a" * 129, False),  # over 128 bytes
        ("Accept", "text/html\tx", True),  # HT is the one control byte allowed
        ("Accept", "text/(html)", False),  # CORS-unsafe request-header byte
        ("Accept", 'a"b', False),
        ("Accept", "a@b", False),
        ("Accept-Language", "en-US,en;q=0.9", True),
        ("Accept-Language", "en_US", False),  # "_" is outside the language byte set
        ("Content-Language", "de/DE", False),
        ("Content-Type", "text/plain", True),
        ("Content-Type", "text/plain;charset=utf-8", True),  # parameters are ignored
        ("content-type", "Text/Plain; charset=UTF-8", True),  # the essence is case-insensitive
        ("Content-Type", "application/x-www-form-urlencoded", True),
        ("Content-Type", "multipart/form-data; boundary=xyz", True),
        ("Content-Type", "application/json", False),
        ("Content-Type", "text/html", False),
        ("Content-Type", 'text/plain; charset="utf-8"', False),  # a quote is a CORS-unsafe byte
        ("Content-Type", "text/plain, application/json", False),  # not one MIME type
        ("Content-Type", "text", False),  # no subtype
        ("Content-Type", "text/plain;" + "a" * 118, False),  # 129 bytes
        ("Range", "bytes=0-499", True),
        ("Range", "bytes=500-", True),  # open-ended is still simple
        ("Range", "bytes=-500", False),  # a suffix range is not
        ("Range", "bytes=5-1", False),  # start after end
        ("Range", "bytes=0-1,3-4", False),  # one range only
        ("Range", "Bytes=0-1", False),  # "bytes=" is case-sensitive
        ("Range", "bytes= 0-1", False),  # no whitespace
        ("Authorization", "Bearer x", False),  # never safelisted
        ("X-Custom", "1", False),
        ("DPR", "2.0", True),  # Chromium: client hint, 1*DIGIT [ "." 1*DIGIT ]
        ("DPR", "two", False),  # Chromium
        ("Width", "1.5", False),  # Chromium: 1*DIGIT only
        ("Save-Data", "On", True),  # Chromium: "on", case-insensitively
        ("ECT", "4g", True),  # Chromium
        ("ECT", "5g", False),  # Chromium
    ],
)
def test_is_safelisted_header(name: str, value: str, safelisted: bool) -> None:
    assert is_safelisted_header(name, value) is safelisted


SAFELISTED_128 = (  # Chromium: nine headers it safelists, 128 bytes each
    ("Accept", "a" * 128),
    ("Accept-Language", "a" * 128),
    ("Content-Language", "a" * 128),
    ("Content-Type", "text/plain;a=" + "a" * 115),
    ("Intervention", "a" * 128),
    ("DPR", "1" * 128),
    ("Width", "1" * 128),
    ("Viewport-Width", "1" * 128),
    ("RTT", "1" * 128),
)


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ((("X-B", "1"), ("x-a", "1"), JSON), ["content-type", "x-a", "x-b"]),  # lower-cased, sorted
        ((("X-A", "1"), ("x-a", "2"), ("X-A", "3")), ["x-a"]),  # unique
        ((("Accept", "*/*"), ("Content-Type", "text/plain")), []),  # all safelisted
        ((("Cookie", "a=b"), ("Host", "x"), ("X-A", "1")), ["x-a"]),  # forbidden headers are not sent at all
        ((("Accept", "a" * 128 + "  "),), []),  # the value is trimmed first, as Headers does
        ((("Accept", "a" * 100), ("Accept", "b" * 100)), ["accept"]),  # Chromium: combined, 202 bytes
        (SAFELISTED_128[:8], []),  # 1024 bytes: within the budget
        (SAFELISTED_128, sorted(name.lower() for name, _ in SAFELISTED_128)),  # 1152 > 1024: all unsafe
    ],
)
def test_unsafe_header_names(headers: tuple[tuple[str, str], ...], expected: list[str]) -> None:
    assert unsafe_header_names(headers) == expected


@pytest.mark.parametrize(
    ("request_", "needed"),
    [
        (req("GET"), False),
        (req("HEAD", ("Range", "bytes=0-1")), False),
        (req("post", ("Content-Type", "text/plain;charset=utf-8")), False),
        (req("GET", **CREDS), False),  # credentials alone do not preflight
        (req("GET", ("Cookie", "a=b")), False),  # a forbidden header is dropped, not preflighted
        (req("POST", JSON), True),
        (req("GET", ("X-Custom", "1")), True),
        (req("GET", ("Authorization", "Bearer x")), True),
        (req("PUT"), True),
        (req("DELETE"), True),
        (req("patch"), True),
        (req("GET", **PNA), True),  # Chromium PNA: even a simple request
    ],
)
def test_needs_preflight(request_: BrowserRequest, needed: bool) -> None:
    assert needs_preflight(request_) is needed


@pytest.mark.parametrize(
    ("request_", "expected"),
    [
        (
            req("put", ("X-B", "1"), JSON, ("x-a", "2")),
            [
                ("Origin", PAGE),
                ("Access-Control-Request-Method", "PUT"),  # normalised
                ("Access-Control-Request-Headers", "content-type,x-a,x-b"),  # "," and no space
            ],
        ),
        (req("patch"), [("Origin", PAGE), ("Access-Control-Request-Method", "patch")]),  # no empty ACRH
        (
            req("POST", ("Accept", "*/*"), ("Authorization", "Bearer x")),
            [
                ("Origin", PAGE),
                ("Access-Control-Request-Method", "POST"),
                ("Access-Control-Request-Headers", "authorization"),
            ],
        ),
        (
            req("GET", **PNA),
            [
                ("Origin", PAGE),
                ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Private-Network", "true"),
            ],
        ),
    ],
)
def test_preflight_request_headers(request_: BrowserRequest, expected: list[tuple[str, str]]) -> None:
    assert preflight_request_headers(request_) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        (
            (
                JSON,
                ("Host", "evil.example"),
                ("Origin", "http://evil.example"),
                ("Cookie", "a=b"),
                ("Content-Length", "3"),
                ("User-Agent", "x"),  # Chromium still forbids it
                ("Access-Control-Request-Method", "PUT"),
                ("Access-Control-Request-Private-Network", "true"),  # Chromium
                ("Sec-Fetch-Mode", "no-cors"),  # Sec-* prefix
                ("Proxy-Authorization", "x"),  # Proxy-* prefix
                ("X-A", "1"),
            ),
            [("Origin", PAGE), JSON, ("X-A", "1")],
        ),
        ((("X-A", "1"), ("x-a", "2")), [("Origin", PAGE), ("X-A", "1, 2")]),  # combined, first spelling kept
        ((("X-A", " \t1 "),), [("Origin", PAGE), ("X-A", "1")]),  # trimmed
        ((("X-HTTP-Method-Override", "GET, trace"),), [("Origin", PAGE)]),  # smuggles a forbidden method
        ((("X-HTTP-Method-Override", "PATCH"),), [("Origin", PAGE), ("X-HTTP-Method-Override", "PATCH")]),
        ((), [("Origin", PAGE)]),
    ],
)
def test_actual_request_headers(
    headers: tuple[tuple[str, str], ...], expected: list[tuple[str, str]]
) -> None:
    assert actual_request_headers(req("POST", *headers)) == expected


@pytest.mark.parametrize(
    ("method", "headers"),
    [
        ("TRACE", ()),  # forbidden method: fetch() throws
        ("connect", ()),
        ("GET POST", ()),  # not a token
        ("GET", (("Bad Name", "1"),)),
        ("GET", (("X-A", "a\r\nb"),)),
        ("GET", (("X-A", "€"),)),  # not a ByteString
    ],
)
def test_request_that_fetch_rejects(method: str, headers: tuple[tuple[str, str], ...]) -> None:
    with pytest.raises(ValueError, match=r"^(method|headers): "):
        BrowserRequest(PAGE, method, headers)


# --- the CORS check ------------------------------------------------------------------------------

MISSING = "blocked: no Access-Control-Allow-Origin header"
WILDCARD_CREDS = "blocked: Access-Control-Allow-Origin '*' cannot be used with credentials"
SEVERAL = "blocked: several Access-Control-Allow-Origin values"
BAD_ACAC = "blocked: Access-Control-Allow-Credentials must be 'true' with credentials"


def mismatch(value: str, origin: str = PAGE) -> str:
    return f"blocked: Access-Control-Allow-Origin '{value}' does not match the origin '{origin}'"


@pytest.mark.parametrize(
    ("request_", "headers", "reason"),
    [
        (req(), [("Access-Control-Allow-Origin", "*")], None),
        (req(), [ACAO], None),
        (req(), [("access-control-allow-origin", PAGE)], None),  # header names are case-insensitive
        (req(), [("Access-Control-Allow-Origin", f" {PAGE}\t")], None),  # optional whitespace stripped
        (req(), [], MISSING),
        (req(), [("Vary", "Origin")], MISSING),
        (req(), [("Access-Control-Allow-Origin", "https://a.example")], mismatch("https://a.example")),
        (req(), [("Access-Control-Allow-Origin", PAGE + "/")], mismatch(PAGE + "/")),  # byte-equal only
        (req(), [("Access-Control-Allow-Origin", PAGE.upper())], mismatch(PAGE.upper())),
        (req(), [("Access-Control-Allow-Origin", "")], mismatch("")),
        (req(), [("Access-Control-Allow-Origin", "null")], mismatch("null")),
        (BrowserRequest("null"), [("Access-Control-Allow-Origin", "null")], None),  # opaque origin
        (req(), [ACAO, ACAO], SEVERAL),  # two lines combine to "o, o"
        (req(), [("Access-Control-Allow-Origin", "*"), ("Access-Control-Allow-Origin", "*")], SEVERAL),
        (req(), [("Access-Control-Allow-Origin", f"{PAGE}, https://a.example")], SEVERAL),
        (req(), [("Access-Control-Allow-Origin", f"{PAGE} https://a.example")], SEVERAL),  # Chromium
        (req(**CREDS), [("Access-Control-Allow-Origin", "*"), ACAC], WILDCARD_CREDS),
        (req(**CREDS), [ACAO, ACAC], None),
        (req(**CREDS), [ACAO], BAD_ACAC),
        (req(**CREDS), [ACAO, ("Access-Control-Allow-Credentials", "True")], BAD_ACAC),  # case-sensitive
        (req(**CREDS), [ACAO, ("Access-Control-Allow-Credentials", "1")], BAD_ACAC),
        (req(**CREDS), [ACAO, ACAC, ACAC], BAD_ACAC),  # "true, true"
        (req(), [ACAO, ("Access-Control-Allow-Credentials", "false")], None),  # ignored without credentials
    ],
)
def test_cors_check(request_: BrowserRequest, headers: Headers, reason: str | None) -> None:
    verdict = cors_check(request_, headers)
    assert (verdict.reason if verdict else None) == reason


def test_cors_check_reports_the_stage_it_is_given() -> None:
    verdict = cors_check(req(), [], stage="preflight")
    assert verdict is not None
    assert (verdict.allowed, verdict.stage) == (False, "preflight")


# --- the preflight -------------------------------------------------------------------------------


def acam(value: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Methods", value)


def acah(value: str) -> tuple[str, str]:
    return ("Access-Control-Allow-Headers", value)


ACAPN = ("Access-Control-Allow-Private-Network", "true")
AUTH = ("Authorization", "Bearer x")
CUSTOM = ("X-Custom", "1")
OK = "allowed"


@pytest.mark.parametrize(
    ("request_", "status", "headers", "reason"),
    [
        # status: only 200-299 is ok
        (req("PUT"), 200, [ACAO, acam("PUT")], OK),
        (req("PUT"), 204, [ACAO, acam("PUT")], OK),
        (req("PUT"), 299, [ACAO, acam("PUT")], OK),
        (req("PUT"), 405, [ACAO, acam("PUT")], "blocked: preflight status 405 is not ok (2xx)"),
        (req("PUT"), 404, [ACAO, acam("PUT")], "blocked: preflight status 404 is not ok (2xx)"),
        (req("PUT"), 500, [ACAO, acam("PUT")], "blocked: preflight status 500 is not ok (2xx)"),
        (req("PUT"), 304, [ACAO, acam("PUT")], "blocked: preflight status 304 is not ok (2xx)"),
        (
            req("PUT"),
            302,
            [ACAO, acam("PUT")],
            "blocked: preflight status 302 is not ok (2xx)",
        ),  # no Location
        (
            req("PUT"),
            301,
            [ACAO, acam("PUT"), ("Location", "/elsewhere")],
            "blocked: preflight status 301 is a redirect, which a preflight cannot follow",
        ),
        (req("PUT"), 405, [acam("PUT")], MISSING),  # Chromium: the CORS check is reported first
        # the CORS check, on the preflight too
        (req("PUT"), 204, [acam("PUT")], MISSING),
        (
            req("PUT"),
            204,
            [("Access-Control-Allow-Origin", "https://a.example"), acam("PUT")],
            mismatch("https://a.example"),
        ),
        (req("PUT"), 204, [ACAO, ACAO, acam("PUT")], SEVERAL),
        (req("PUT", **CREDS), 204, [("Access-Control-Allow-Origin", "*"), ACAC, acam("PUT")], WILDCARD_CREDS),
        (req("PUT", **CREDS), 204, [ACAO, acam("PUT")], BAD_ACAC),
        (req("PUT", **CREDS), 204, [ACAO, ACAC, acam("PUT")], OK),
        # methods: byte-exact, "*" only without credentials
        (req("PUT"), 204, [ACAO], "blocked: PUT is not in Access-Control-Allow-Methods"),
        (req("put"), 204, [ACAO, acam("put")], "blocked: PUT is not in Access-Control-Allow-Methods"),
        (req("PATCH"), 204, [ACAO, acam("post")], "blocked: PATCH is not in Access-Control-Allow-Methods"),
        (req("PATCH"), 204, [ACAO, acam("patch")], "blocked: PATCH is not in Access-Control-Allow-Methods"),
        (req("patch"), 204, [ACAO, acam("PATCH")], "blocked: patch is not in Access-Control-Allow-Methods"),
        (req("patch"), 204, [ACAO, acam("patch")], OK),
        (req("PATCH"), 204, [ACAO, acam("GET, POST, PATCH")], OK),
        (req("PATCH"), 204, [ACAO, acam(" GET ,\tPATCH ")], OK),  # items trimmed
        (req("PATCH"), 204, [ACAO, acam("GET"), acam("PATCH")], OK),  # two lines are one list
        (req("PATCH"), 204, [ACAO, acam("GET,,PATCH,")], OK),  # empty items skipped
        (req("PUT"), 204, [ACAO, acam("*")], OK),
        (
            req("PUT", **CREDS),
            204,
            [ACAO, ACAC, acam("*")],
            "blocked: PUT is not in Access-Control-Allow-Methods",
        ),
        (
            req("PUT"),
            204,
            [ACAO, acam("PUT PATCH")],
            "blocked: Access-Control-Allow-Methods 'PUT PATCH' is not a list of methods",
        ),
        (
            req("POST", CUSTOM),
            204,
            [ACAO, acam("GET"), acah("X-Custom")],
            OK,
        ),  # a safelisted method needs no listing
        # headers: case-insensitive, "*" only without credentials and never for Authorization
        (req("POST", JSON), 204, [ACAO], "blocked: Content-Type is not in Access-Control-Allow-Headers"),
        (req("POST", JSON), 204, [ACAO, acah("content-type")], OK),
        (req("POST", ("content-type", "application/json")), 204, [ACAO, acah("CONTENT-TYPE")], OK),
        (
            req("POST", JSON, CUSTOM),
            204,
            [ACAO, acah("Content-Type")],
            "blocked: X-Custom is not in Access-Control-Allow-Headers",
        ),
        (req("POST", JSON, CUSTOM), 204, [ACAO, acah("Content-Type"), acah("X-Custom")], OK),
        (req("POST", JSON, CUSTOM), 204, [ACAO, acah("*")], OK),
        (
            req("POST", JSON, AUTH),
            204,
            [ACAO, acah("*")],
            "blocked: Authorization is not in Access-Control-Allow-Headers ('*' does not cover it)",
        ),
        (req("POST", JSON, AUTH), 204, [ACAO, acah("*, authorization")], OK),
        (
            req("POST", JSON, AUTH),
            204,
            [ACAO, acah("Content-Type")],
            "blocked: Authorization is not in Access-Control-Allow-Headers",
        ),
        (
            req("POST", JSON, **CREDS),
            204,
            [ACAO, ACAC, acah("*")],
            "blocked: Content-Type is not in Access-Control-Allow-Headers",
        ),
        (
            req("POST", JSON),
            204,
            [ACAO, acah("Content-Type; X-Custom")],
            "blocked: Access-Control-Allow-Headers 'Content-Type; X-Custom' is not a list of header names",
        ),
        (
            req("POST", ("Content-Type", "text/plain")),
            204,
            [ACAO, acah("Content-Type; x")],
            "blocked: Access-Control-Allow-Headers 'Content-Type; x' is not a list of header names",
        ),  # parsed even when nothing needs it
        # Private Network Access (Chromium)
        (req("GET", **PNA), 204, [ACAO, ACAPN], OK),
        (
            req("GET", **PNA),
            204,
            [ACAO],
            "blocked: private network access needs Access-Control-Allow-Private-Network: true",
        ),
        (
            req("GET", **PNA),
            204,
            [ACAO, ("Access-Control-Allow-Private-Network", "TRUE")],
            "blocked: private network access needs Access-Control-Allow-Private-Network: true",
        ),
        (req("GET", **PNA), 204, [ACAPN], MISSING),
        (req("PUT", **PNA), 204, [ACAO, ACAPN], "blocked: PUT is not in Access-Control-Allow-Methods"),
        (
            req("PUT"),
            204,
            [ACAO, ("Access-Control-Allow-Private-Network", "bogus"), acam("PUT")],
            OK,
        ),  # not asked
        # Max-Age and Vary play no part
        (req("PUT"), 204, [ACAO, acam("PUT"), ("Access-Control-Max-Age", "-1"), ("Vary", "Origin")], OK),
    ],
)
def test_check_preflight(request_: BrowserRequest, status: int, headers: Headers, reason: str) -> None:
    verdict = check_preflight(request_, status, headers)
    assert (verdict.allowed, verdict.stage, verdict.reason) == (reason == OK, "preflight", reason)


# --- the actual response and the whole decision --------------------------------------------------


@pytest.mark.parametrize(
    ("request_", "status", "headers", "reason"),
    [
        (req(), 200, [ACAO], OK),
        (req(), 400, [ACAO], OK),  # the status plays no part
        (req(), 500, [("Access-Control-Allow-Origin", "*")], OK),
        (req(), 200, [], MISSING),
        (req(), 200, [ACAO, ACAO], SEVERAL),
        (req(**CREDS), 200, [ACAO, ACAC], OK),
        (req(**CREDS), 401, [ACAO], BAD_ACAC),
        (req(**CREDS), 200, [("Access-Control-Allow-Origin", "*"), ACAC], WILDCARD_CREDS),
    ],
)
def test_check_response(request_: BrowserRequest, status: int, headers: Headers, reason: str) -> None:
    verdict = check_response(request_, status, headers)
    assert (verdict.allowed, verdict.stage, verdict.reason) == (reason == OK, "response", reason)


PUT_OK = (204, [ACAO, acam("PUT")])


@pytest.mark.parametrize(
    ("request_", "preflight", "response", "expected"),
    [
        (req(), None, (200, [ACAO]), (True, "response", OK)),
        (req(), (404, []), (200, [ACAO]), (True, "response", OK)),  # a preflight it would not send is ignored
        (req(), None, (200, []), (False, "response", MISSING)),
        (req("PUT"), PUT_OK, (200, [ACAO]), (True, "response", OK)),
        (req("PUT"), PUT_OK, (500, []), (False, "response", MISSING)),
        (
            req("PUT"),
            (204, [ACAO]),
            None,
            (False, "preflight", "blocked: PUT is not in Access-Control-Allow-Methods"),
        ),
        (
            req("PUT"),
            (204, [ACAO]),
            (200, [ACAO]),
            (False, "preflight", "blocked: PUT is not in Access-Control-Allow-Methods"),
        ),
        (req("PUT", **CREDS), (204, [ACAO, ACAC, acam("PUT")]), (200, [ACAO]), (False, "response", BAD_ACAC)),
        (
            req("PUT", **CREDS),
            (204, [ACAO, acam("PUT")]),
            (200, [ACAO, ACAC]),
            (False, "preflight", BAD_ACAC),
        ),
        (req("GET", **PNA), (204, [ACAO, ACAPN]), (200, [ACAO]), (True, "response", OK)),
        (
            req("GET", **PNA),
            (204, [ACAO]),
            (200, [ACAO]),
            (
                False,
                "preflight",
                "blocked: private network access needs Access-Control-Allow-Private-Network: true",
            ),
        ),
    ],
)
def test_decide(
    request_: BrowserRequest,
    preflight: tuple[int, Headers] | None,
    response: tuple[int, Headers] | None,
    expected: tuple[bool, str, str],
) -> None:
    verdict = decide(request_, preflight, response)
    assert (verdict.allowed, verdict.stage, verdict.reason) == expected


def test_decide_needs_the_preflight_when_the_browser_sends_one() -> None:
    with pytest.raises(ValueError, match="preflight"):
        decide(req("PUT"), None, (200, [ACAO]))


def test_decide_needs_the_response_when_the_request_is_sent() -> None:
    with pytest.raises(ValueError, match="response"):
        decide(req("PUT"), PUT_OK, None)

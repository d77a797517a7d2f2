"""The browser model (cors_conformance.browser), one rule per test, as tables.

Expected values come from the Fetch standard (https://fetch.spec.whatwg.org/) and, where a browser
differs or adds to it, from what Chromium 156 and Firefox ESR 153 do
(tests/browsers/test_browser_differential.py checks every row marked "Chromium" or "Firefox" against
the real browser too).
"""

from __future__ import annotations

import pytest

from cors_conformance.browser import (
    BROWSERS,
    Browser,
    BrowserRequest,
    Headers,
    actual_request_headers,
    address_space,
    check_preflight,
    check_response,
    cors_check,
    decide,
    is_safelisted_header,
    is_safelisted_method,
    is_secure_context,
    local_network_check,
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
        # Chromium, Firefox and Fetch's MIME parsing trim only before the type and after the subtype
        ("Content-Type", "text / plain", False),
        ("Content-Type", "text /plain", False),
        ("Content-Type", "text/ plain", False),
        ("Content-Type", "text/plain ;charset=utf-8", True),
        ("Content-Type", "text/plain\t;a=b", True),
        ("Content-Type", " text/plain", True),
        ("Content-Type", "text/plain/x", False),
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
        ("Access-Control-Request-Private-Network", "true", False),  # an ordinary header
    ],
)
def test_is_safelisted_header(name: str, value: str, safelisted: bool) -> None:
    assert is_safelisted_header(name, value) is safelisted


@pytest.mark.parametrize(
    ("name", "value"),
    [("DPR", "2"), ("Width", "100"), ("ECT", "4g"), ("Save-Data", "on"), ("Intervention", "x")],
)
def test_firefox_safelists_no_client_hints(name: str, value: str) -> None:
    assert is_safelisted_header(name, value, browser="chromium")
    assert not is_safelisted_header(name, value, browser="firefox")


def test_an_unknown_browser_is_refused() -> None:
    with pytest.raises(ValueError, match="browser: 'safari' is not one of chromium, firefox"):
        needs_preflight(req(), browser="safari")  # type: ignore[arg-type]


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
    ("headers", "expected"),
    [
        ((("X-A", "1"), ("x-a", "2"), ("X-B", "3")), ["x-a", "x-a", "x-b"]),  # one name per header
        ((("Accept", "a" * 100), ("Accept", "b" * 100)), []),  # judged one by one: 100 bytes each
        ((("Content-Type", "text/plain"), ("Content-Type", "a, b")), ["content-type"]),
        (SAFELISTED_128[:4] * 3, []),  # no 1024-byte budget
        ((("User-Agent", "x"), ("DPR", "2")), ["dpr", "user-agent"]),  # not forbidden, not safelisted
        ((("Cookie", "a=b"), ("Sec-A", "1")), []),  # forbidden as in Chromium
    ],
)
def test_unsafe_header_names_in_firefox(headers: tuple[tuple[str, str], ...], expected: list[str]) -> None:
    assert unsafe_header_names(headers, browser="firefox") == expected


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
        (req("GET", ("Access-Control-Request-Private-Network", "true")), True),  # an ordinary header
        (req("POST", ("Content-Type", "text / plain")), True),
        (req("GET", ("User-Agent", "x")), False),  # Chromium drops it
        (req("GET", ("DPR", "2")), False),  # Chromium
        (BrowserRequest(PAGE, page_space="public", target_space="loopback"), False),  # no PNA preflight
    ],
)
def test_needs_preflight(request_: BrowserRequest, needed: bool) -> None:
    assert needs_preflight(request_) is needed


@pytest.mark.parametrize(
    ("request_", "chromium", "firefox"),
    [
        (req("GET", ("User-Agent", "x")), False, True),
        (req("GET", ("DPR", "2")), False, True),
        (req("GET", ("Accept", "a" * 100), ("Accept", "b" * 100)), True, False),
        (req("GET", ("X-A", "1")), True, True),
        (req("GET"), False, False),
    ],
)
def test_needs_preflight_per_browser(request_: BrowserRequest, chromium: bool, firefox: bool) -> None:
    assert (needs_preflight(request_), needs_preflight(request_, browser="firefox")) == (chromium, firefox)


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
            req("GET", ("Access-Control-Request-Private-Network", "true")),
            [
                ("Origin", PAGE),
                ("Access-Control-Request-Method", "GET"),
                ("Access-Control-Request-Headers", "access-control-request-private-network"),
            ],
        ),
    ],
)
def test_preflight_request_headers(request_: BrowserRequest, expected: list[tuple[str, str]]) -> None:
    assert preflight_request_headers(request_) == expected


def test_firefox_repeats_names_in_the_preflight() -> None:
    request = req("GET", ("X-B", "1"), ("x-a", "1"), ("X-B", "2"))
    assert preflight_request_headers(request, browser="firefox")[-1] == (
        "Access-Control-Request-Headers",
        "x-a,x-b,x-b",
    )


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
                ("Sec-Fetch-Mode", "no-cors"),  # Sec-* prefix
                ("Proxy-Authorization", "x"),  # Proxy-* prefix
                ("X-A", "1"),
            ),
            [("Origin", PAGE), JSON, ("X-A", "1")],
        ),
        (
            (("Access-Control-Request-Private-Network", "true"),),  # not forbidden: sent as written
            [("Origin", PAGE), ("Access-Control-Request-Private-Network", "true")],
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
AUTH_BY_WILDCARD = (
    "allowed; the Fetch standard would block it: '*' in Access-Control-Allow-Headers does not cover "
    "Authorization there"
)


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
        (req("POST", JSON, AUTH), 204, [ACAO, acah("*")], AUTH_BY_WILDCARD),  # Chromium, Firefox
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
        # Access-Control-Allow-Private-Network plays no part any more (Local Network Access)
        (req("PUT"), 204, [ACAO, ACAPN, acam("PUT")], OK),
        (req("PUT"), 204, [ACAO, ("Access-Control-Allow-Private-Network", "bogus"), acam("PUT")], OK),
        # Max-Age and Vary play no part
        (req("PUT"), 204, [ACAO, acam("PUT"), ("Access-Control-Max-Age", "-1"), ("Vary", "Origin")], OK),
    ],
)
def test_check_preflight(request_: BrowserRequest, status: int, headers: Headers, reason: str) -> None:
    verdict = check_preflight(request_, status, headers)
    assert (verdict.allowed, verdict.stage, verdict.reason) == (reason.startswith(OK), "preflight", reason)


@pytest.mark.parametrize("browser", BROWSERS)
def test_authorization_covered_by_the_wildcard_says_where_the_standard_differs(browser: Browser) -> None:
    verdict = decide(req("GET", AUTH), (204, [ACAO, acah("*")]), (200, [ACAO]), browser=browser)
    assert (verdict.allowed, verdict.reason) == (True, AUTH_BY_WILDCARD)


@pytest.mark.parametrize(
    ("request_", "headers", "chromium", "firefox"),
    [
        # Firefox leaves empty lines out when it combines a header's lines
        (req(**CREDS), [ACAO, ("Access-Control-Allow-Credentials", ""), ACAC], BAD_ACAC, None),
        (req(**CREDS), [ACAO, ACAC, ("Access-Control-Allow-Credentials", " ")], BAD_ACAC, None),
        (req(**CREDS), [ACAO, ACAC, ACAC], BAD_ACAC, BAD_ACAC),
        # ... and refuses two Access-Control-Allow-Origin lines only when both are spelled exactly so
        (req(), [ACAO, ("Access-Control-Allow-Origin", "")], SEVERAL, SEVERAL),
        (req(), [("ACCESS-CONTROL-ALLOW-ORIGIN", PAGE), ("access-control-allow-origin", "")], SEVERAL, None),
        (req(), [("Access-Control-Allow-Origin", "*"), ("ACCESS-CONTROL-ALLOW-ORIGIN", "")], SEVERAL, None),
        (req(), [("ACCESS-CONTROL-ALLOW-ORIGIN", PAGE)] * 2, SEVERAL, SEVERAL),  # "o, o" either way
        (req(), [("access-control-allow-origin", "")], mismatch(""), mismatch("")),
    ],
)
def test_cors_check_per_browser(
    request_: BrowserRequest, headers: Headers, chromium: str | None, firefox: str | None
) -> None:
    reasons = [cors_check(request_, headers, browser=browser) for browser in BROWSERS]
    assert [v.reason if v else None for v in reasons] == [chromium, firefox]


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


# --- Local Network Access -------------------------------------------------------------------------


def lna(
    origin: str = PAGE, target: str = "loopback", *, granted: bool = False, method: str = "GET"
) -> BrowserRequest:
    return BrowserRequest(
        origin,
        method,
        page_space="public",
        target_space=target,
        local_network_permission=granted,  # type: ignore[arg-type]
    )


NEEDS_LOOPBACK = (
    "blocked: a public page cannot reach a loopback address without the user's 'loopback-network' "
    "permission (Local Network Access); no response header grants it"
)
NEEDS_LOCAL = NEEDS_LOOPBACK.replace("loopback", "local")


@pytest.mark.parametrize(
    ("page", "target", "local_network"),
    [
        ("public", "public", False),
        ("public", "local", True),
        ("public", "loopback", True),
        ("local", "loopback", True),
        ("local", "local", False),
        ("loopback", "public", False),  # towards a less private space: no restriction
        ("loopback", "loopback", False),
    ],
)
def test_local_network(page: str, target: str, local_network: bool) -> None:
    request = BrowserRequest(PAGE, page_space=page, target_space=target)  # type: ignore[arg-type]
    assert request.local_network is local_network


def test_an_unknown_address_space_is_refused() -> None:
    with pytest.raises(ValueError, match=r"^target_space: expected one of public, local, loopback"):
        BrowserRequest(PAGE, target_space="intranet")  # type: ignore[arg-type]


@pytest.mark.parametrize("browser", BROWSERS)
@pytest.mark.parametrize(
    ("request_", "preflight", "response", "expected"),
    [
        # without the permission nothing is sent, whatever the server would say; the reason says
        # what the answers would decide once it is granted
        (lna(), None, (200, [ACAO]), (False, "permission", f"{NEEDS_LOOPBACK}; once granted: allowed")),
        (lna(), None, (200, []), (False, "permission", f"{NEEDS_LOOPBACK}; once granted: {MISSING}")),
        (lna(target="local"), None, None, (False, "permission", NEEDS_LOCAL)),
        (
            lna(method="PUT"),
            (204, [ACAO, ACAPN]),  # no response header grants it
            (200, [ACAO]),
            (
                False,
                "permission",
                f"{NEEDS_LOOPBACK}; once granted: blocked: PUT is not in Access-Control-Allow-Methods",
            ),
        ),
        # with it, plain CORS: no private-network preflight
        (lna(granted=True), None, (200, [ACAO]), (True, "response", OK)),
        (lna(granted=True), None, (200, []), (False, "response", MISSING)),
        (lna(granted=True, method="PUT"), PUT_OK, (200, [ACAO]), (True, "response", OK)),
    ],
)
def test_decide_with_local_network_access(
    browser: Browser,
    request_: BrowserRequest,
    preflight: tuple[int, Headers] | None,
    response: tuple[int, Headers] | None,
    expected: tuple[bool, str, str],
) -> None:
    verdict = decide(request_, preflight, response, browser=browser)
    assert (verdict.allowed, verdict.stage, verdict.reason) == expected


def test_chromium_needs_a_secure_context_for_local_network_access() -> None:
    request = lna("http://app.example", granted=True)
    verdict = local_network_check(request)
    assert verdict is not None
    assert verdict.reason == (
        "blocked: a public page cannot reach a loopback address unless it is a secure context "
        "(Local Network Access)"
    )
    assert local_network_check(request, browser="firefox") is None  # Firefox asks anyway
    assert local_network_check(lna("https://app.example", granted=True)) is None


@pytest.mark.parametrize(
    ("host", "space"),
    [
        ("localhost", "loopback"),
        ("api.localhost", "loopback"),
        ("127.0.0.1", "loopback"),
        ("127.1.2.3", "loopback"),
        ("[::1]", "loopback"),
        ("10.0.0.1", "local"),
        ("172.16.5.4", "local"),
        ("192.168.1.10", "local"),
        ("169.254.1.1", "local"),
        ("[fd00::1]", "local"),
        ("[::ffff:192.168.1.1]", "local"),
        ("8.8.8.8", "public"),
        ("example.com", "public"),  # a name is not resolved
    ],
)
def test_address_space(host: str, space: str) -> None:
    assert address_space(host) == space


@pytest.mark.parametrize(
    ("origin", "secure"),
    [
        ("https://app.example", True),
        ("http://localhost:3000", True),
        ("http://127.0.0.1:8000", True),
        ("http://app.example", False),
        ("http://192.168.1.10", False),
        ("null", False),
    ],
)
def test_is_secure_context(origin: str, secure: bool) -> None:
    assert is_secure_context(origin) is secure

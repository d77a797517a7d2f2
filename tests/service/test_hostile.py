"""Hostile and slow clients against the service as deployed: the Procfile's `web:` command (uvicorn
with httptools, uvloop and service.server's protocol) on 127.0.0.1, spoken to over raw sockets
where httpx cannot say the request. Each case pins the outcome (the status and the JSON error, or a
closed connection) and is followed by a normal request that must still be answered."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from settings import BaseAppSettings
from testing_support import clean_env, free_port, serving
from tests.service.test_procfile import web_command

LOCAL, EVIL = "http://localhost:3000", "https://evil.example"
TIMEOUT = 1.0  # HEADER_TIMEOUT and BODY_TIMEOUT here (deployed: 10 s and 30 s), to keep tests short
SLACK = 1.5  # how late a deadline may fire on a busy two-core machine
MAX_BODY = BaseAppSettings.model_fields["max_body_bytes"].default  # the deployed limits
MAX_HEAD = BaseAppSettings.model_fields["max_header_bytes"].default
TOO_LARGE = {"error": f"request body exceeds the limit of {MAX_BODY} bytes"}
INVALID = {"error": "Invalid HTTP request received."}  # uvicorn's words for a parser error
HEADERS_TOO_LARGE = {"error": f"request headers exceed the limit of {MAX_HEAD} bytes"}
TARGET_TOO_LONG = {"error": f"request target exceeds the limit of {MAX_HEAD} bytes"}
HEAD_TIMEOUT = {"error": f"request headers not received within {TIMEOUT:g} s"}
BODY_TIMEOUT = {"error": f"request body not received within {TIMEOUT:g} s"}
NOT_FOUND = {"error": "Not Found"}
NOT_ALLOWED = {"error": "Method Not Allowed"}
# The cross-origin protection's refusals (on in production).
SITE_REASON = "Sec-Fetch-Site is cross-site: a browser sent it from another origin"
SAME_SITE_REASON = "Sec-Fetch-Site is same-site: a browser sent it from another origin"
OTHER_SITE_REASON = "Sec-Fetch-Site is not same-origin: a browser sent it from another origin"
ORIGIN_REASON = "Origin does not match Host, and Sec-Fetch-Site is missing"
REFUSED_ORIGIN = {"error": "cross-origin request refused", "reason": ORIGIN_REASON}
REFUSED_SCHEME = {
    "error": "cross-origin request refused",
    "reason": "Origin's scheme is not the request's (http), and Sec-Fetch-Site is missing",
}
HTTPS_REASON = "Origin's scheme is not the request's (https), and Sec-Fetch-Site is missing"
UPGRADE_WITH_BODY = {"error": "Upgrade is not supported on a request with a body; send it without"}
H2C = b"Connection: Upgrade, HTTP2-Settings\r\nUpgrade: h2c\r\nHTTP2-Settings: AAMAAABkAAQAAP__\r\n"


@dataclass
class Server:
    port: int
    log: Path


@contextmanager
def deployed(cwd: Path, **settings: str) -> Iterator[Server]:
    """The Procfile's web command, in `cwd` (no .env files from the checkout), with the deployed
    limits but TIMEOUT for both timeouts, and `settings`."""
    port = free_port()
    env = clean_env(
        HOST="127.0.0.1",  # the platform's 0.0.0.0, kept on loopback
        PORT=str(port),
        WEB_CONCURRENCY="1",
        APP_ENV="production",
        CORS_ORIGINS=LOCAL,
        HEADER_TIMEOUT=str(TIMEOUT),
        BODY_TIMEOUT=str(TIMEOUT),
    )
    env.pop("MAX_HEADER_BYTES", None)
    env.update(settings)
    log = cwd / "server.log"
    with (
        log.open("wb") as output,
        serving(
            ["bash", "-c", web_command()],
            f"http://127.0.0.1:{port}/healthz",
            env=env,
            cwd=cwd,
            output=output.fileno(),
        ),
    ):
        yield Server(port, log)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    with deployed(tmp_path_factory.mktemp("hostile")) as server:
        yield server


@pytest.fixture
def port(server: Server) -> int:
    return server.port


# --- a raw HTTP/1.1 client ------------------------------------------------------------------------


@dataclass
class Response:
    status: int
    headers: dict[str, str]  # lower-case names; repeated lines joined with ", "
    body: bytes

    def json(self) -> Any:
        assert self.headers["content-type"] == "application/json"
        return json.loads(self.body)


class Connection:
    """One TCP connection; every read has a deadline."""

    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=5)
        self.buffer = b""

    def send(self, data: bytes) -> None:
        self.sock.sendall(data)

    def send_until_refused(self, data: bytes) -> None:
        """Send what the server may stop reading half-way (it answers, then closes)."""
        with suppress(BrokenPipeError, ConnectionResetError):
            self.sock.sendall(data)

    def _read(self, timeout: float) -> bytes:
        self.sock.settimeout(timeout)
        try:
            return self.sock.recv(65536)
        except ConnectionResetError:
            return b""

    def response(self, timeout: float = 5) -> Response:
        deadline = time.monotonic() + timeout
        while b"\r\n\r\n" not in self.buffer:
            data = self._read(max(deadline - time.monotonic(), 0.01))
            assert data, f"connection closed before a response (got {self.buffer!r})"
            self.buffer += data
        head, _, self.buffer = self.buffer.partition(b"\r\n\r\n")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        headers: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            name, value = name.strip().lower(), value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        length = int(headers["content-length"])
        while len(self.buffer) < length:
            data = self._read(max(deadline - time.monotonic(), 0.01))
            assert data, "connection closed in the middle of a response body"
            self.buffer += data
        body, self.buffer = self.buffer[:length], self.buffer[length:]
        return Response(int(status_line.split()[1]), headers, body)

    def closed_within(self, seconds: float) -> bool:
        """Whether the server closes the connection within `seconds`, sending nothing more."""
        try:
            data = self._read(seconds)
        except TimeoutError:
            return False
        assert not data, f"unexpected data: {data[:100]!r}"
        return True

    def close(self) -> None:
        self.sock.close()


@contextmanager
def connect(port: int) -> Iterator[Connection]:
    connection = Connection(port)
    try:
        yield connection
    finally:
        connection.close()


def request(
    target: bytes = b"/api/foo",
    body: bytes = b'{"inputVar": 2}',
    headers: bytes = b"",
    method: bytes = b"POST",
    length: int | None = None,
) -> bytes:
    """A JSON request; `length` is a Content-Length other than the body's."""
    declared = len(body) if length is None else length
    return (
        method + b" " + target + b" HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Content-Length: %d\r\n" % declared + headers + b"\r\n" + body
    )


def chunked_head(headers: bytes = b"") -> bytes:
    return (
        b"POST /api/foo HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
        b"Transfer-Encoding: chunked\r\n" + headers + b"\r\n"
    )


def chunk(data: bytes) -> bytes:
    return b"%x\r\n%s\r\n" % (len(data), data)


def assert_serving(port: int) -> float:
    """A normal request is answered, and how long it took."""
    started = time.monotonic()
    response = httpx.post(f"http://127.0.0.1:{port}/api/foo", json={"inputVar": 2}, timeout=5)
    assert (response.status_code, response.json()) == (200, {"result": 4})
    return time.monotonic() - started


# --- one request, one answer ----------------------------------------------------------------------

DIGITS_100K = (
    "malformed JSON: Exceeds the limit (4300 digits) for integer string conversion: value has 100000 "
    "digits; use sys.set_int_max_str_digits() to increase the limit"
)
DOUBLED_4300 = (
    "inputVar * 2 cannot be written as standard JSON: Exceeds the limit (4300 digits) for integer "
    "string conversion; use sys.set_int_max_str_digits() to increase the limit"
)
INVALID_UTF8 = "'utf-8' codec can't decode byte 0xff in position 14: invalid start byte"
NO_CORS: dict[str, str] = {}  # an origin the policy does not list: no Access-Control-*, no Vary


def preflight(request_headers: bytes) -> bytes:
    return (
        b"OPTIONS /api/foo HTTP/1.1\r\nHost: t\r\nOrigin: http://localhost:3000\r\n"
        b"Access-Control-Request-Method: POST\r\nAccess-Control-Request-Headers: "
        + request_headers
        + b"\r\n\r\n"
    )


# (raw request, status, JSON body or None for an empty one, whether the server then closes)
ONE_SHOT = [
    # Bodies
    pytest.param(
        request(body=b"[" * 100_000 + b"]" * 100_000),
        400, {"error": "malformed JSON: nested too deeply"}, False, id="100k nested arrays",
    ),
    pytest.param(
        request(body=b'{"inputVar": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"),
        400, {"error": "malformed JSON: nested too deeply"}, False, id="inputVar nested 100k deep",
    ),
    # Python refuses int("9" * 100_000) (ValueError): 400, where Flask too answers 400.
    pytest.param(
        request(body=b'{"inputVar": ' + b"9" * 100_000 + b"}"),
        400, {"error": DIGITS_100K}, False, id="100k-digit integer",
    ),
    # 4300 digits parse; doubled they are 4301, which Python will not write (Flask: 500).
    pytest.param(
        request(body=b'{"inputVar": ' + b"9" * 4300 + b"}"),
        400, {"error": DOUBLED_4300}, False, id="4300-digit integer doubled",
    ),
    pytest.param(
        request(body=b'{"inputVar": "\xff\xfe"}'),
        400, {"error": f"malformed JSON: {INVALID_UTF8}"}, False, id="invalid UTF-8",
    ),
    pytest.param(
        request(body=b'{"inputVar": "a\x00b"}'),
        400, {"error": "malformed JSON: Invalid control character at: line 1 column 16 (char 15)"},
        False, id="NUL in a string",
    ),
    pytest.param(
        request(body=b'{"inputVar": 2}\x00'),
        400, {"error": "malformed JSON: Extra data: line 1 column 16 (char 15)"}, False, id="NUL after it",
    ),
    pytest.param(
        request(body=b"\x00" * 1000),
        400, {"error": "malformed JSON: Expecting value: line 1 column 1 (char 0)"}, False, id="only NULs",
    ),
    # Heads: at most MAX_HEADER_BYTES (request target, names and values), else 431 or 414 and close.
    pytest.param(
        request(headers=b"X-Big: " + b"a" * 1_000_000 + b"\r\n"),
        431, HEADERS_TOO_LARGE, True, id="1 MB header value",
    ),
    pytest.param(
        request(headers=b"X-Big: " + b"a" * MAX_HEAD + b"\r\n"),
        431, HEADERS_TOO_LARGE, True, id="header value at the limit",
    ),
    pytest.param(
        request(headers=b"X-Big: " + b"a" * (MAX_HEAD - 1000) + b"\r\n"),
        200, {"result": 4}, False, id="header value under the limit",
    ),
    pytest.param(
        request(headers=b"".join(b"X-H%d: v\r\n" % i for i in range(5000))),
        431, HEADERS_TOO_LARGE, True, id="5000 headers",
    ),
    pytest.param(
        request(headers=b"".join(b"X-H%d: v\r\n" % i for i in range(1000))),
        200, {"result": 4}, False, id="1000 headers",
    ),
    pytest.param(
        preflight(b", ".join(b"x-h%d" % i for i in range(5000))),
        431, HEADERS_TOO_LARGE, True, id="preflight asking for 5000 headers",
    ),
    # Bad bytes in a header value: the parser's 400 (as JSON), then close.
    pytest.param(request(headers=b"Origin: http://a.example\x01\r\n"), 400, INVALID, True, id="Origin \\x01"),
    pytest.param(request(headers=b"Origin: http://a.example\x00\r\n"), 400, INVALID, True, id="Origin NUL"),
    pytest.param(request(headers=b"Origin: http://a.example\x7f\r\n"), 400, INVALID, True, id="Origin DEL"),
    pytest.param(request(headers=b"Origin: http://a\rb\r\n"), 400, INVALID, True, id="Origin bare CR"),
    # Methods: httptools knows a fixed list of upper-case methods; others are a parser error.
    pytest.param(request(method=b"FOO"), 400, INVALID, True, id="FOO"),
    pytest.param(request(method=b"post"), 400, INVALID, True, id="lower-case post"),
    pytest.param(request(method=b"PROPFIND"), 405, NOT_ALLOWED, False, id="PROPFIND"),
    pytest.param(request(method=b"TRACE"), 405, NOT_ALLOWED, False, id="TRACE"),
    # Paths: routed on the percent-decoded path, never normalised (no dot segments, no //).
    pytest.param(request(b"//api/foo"), 404, NOT_FOUND, False, id="//api/foo"),
    pytest.param(request(b"/api/../api/foo"), 404, NOT_FOUND, False, id="/api/../api/foo"),
    pytest.param(request(b"/api/./foo"), 404, NOT_FOUND, False, id="/api/./foo"),
    pytest.param(request(b"/%2e%2e/api/foo"), 404, NOT_FOUND, False, id="/%2e%2e/api/foo"),
    pytest.param(request(b"/api/%66oo"), 200, {"result": 4}, False, id="/api/%66oo"),
    pytest.param(request(b"/api%2Ffoo"), 200, {"result": 4}, False, id="/api%2Ffoo"),
    pytest.param(request(b"/api/foo%00"), 404, NOT_FOUND, False, id="/api/foo%00"),
    pytest.param(request(b"/api/%ff"), 404, NOT_FOUND, False, id="/api/%ff"),
    pytest.param(request(b"/api/f\xc3\xb6o"), 400, INVALID, True, id="raw UTF-8 in the path"),
    pytest.param(request(b"*"), 404, NOT_FOUND, False, id="*"),
    pytest.param(request(b"/" + b"a" * 100_000), 414, TARGET_TOO_LONG, True, id="100 kB path"),
    pytest.param(request(b"/api/foo?" + b"a" * MAX_HEAD), 414, TARGET_TOO_LONG, True, id="long query"),
]  # fmt: skip


@pytest.mark.parametrize(("raw", "status", "body", "closes"), ONE_SHOT)
def test_one_request(port: int, raw: bytes, status: int, body: Any, closes: bool) -> None:
    with connect(port) as connection:
        connection.send_until_refused(raw)
        response = connection.response()
        assert (response.status, response.json()) == (status, body)
        assert (response.headers.get("connection") == "close") is closes
        assert connection.closed_within(0.3) is closes
    assert_serving(port)


# --- CORS headers under attack --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("origin_lines", "cors"),
    [
        # Repeated Origin lines are joined with ", " (as Werkzeug does): no single origin matches.
        pytest.param([LOCAL, EVIL], NO_CORS, id="allowed then evil"),
        pytest.param([EVIL, LOCAL], NO_CORS, id="evil then allowed"),
        pytest.param([LOCAL, LOCAL], NO_CORS, id="allowed twice"),
        pytest.param([LOCAL], {"access-control-allow-origin": LOCAL}, id="allowed once"),
        pytest.param([LOCAL + "\tx"], NO_CORS, id="tab inside"),
        pytest.param(["http://l\xc3\xa9.example"], NO_CORS, id="UTF-8 bytes"),
        pytest.param(["http://\xff.example"], NO_CORS, id="byte 0xff"),
    ],
)
def test_odd_origins_get_no_cors_headers(port: int, origin_lines: list[str], cors: dict[str, str]) -> None:
    lines = b"".join(b"Origin: " + origin.encode("latin-1") + b"\r\n" for origin in origin_lines)
    with connect(port) as connection:
        connection.send(request(headers=lines))
        response = connection.response()
    # Only the trusted origin (the CORS origin) passes the cross-origin protection, on in production;
    # every other Origin differs from the Host and is refused before the endpoint runs.
    expected = (200, {"result": 4}) if cors else (403, REFUSED_ORIGIN)
    assert (response.status, response.json()) == expected
    assert {
        k: v for k, v in response.headers.items() if k.startswith("access-control-") or k == "vary"
    } == cors
    assert_serving(port)


def test_preflight_asking_for_a_thousand_headers_allows_only_the_configured_ones(port: int) -> None:
    asked = b", ".join([*(b"x-h%d" % i for i in range(1000)), b"content-type"])
    with connect(port) as connection:
        connection.send(preflight(asked))
        response = connection.response()
    assert (response.status, response.body) == (200, b"")
    assert response.headers["access-control-allow-origin"] == LOCAL
    assert response.headers["access-control-allow-headers"] == "content-type"
    assert_serving(port)


# --- cross-origin protection under attack -----------------------------------------------------------

REFUSED_SITE = {"error": "cross-origin request refused", "reason": SITE_REASON}
REFUSED_OTHER_SITE = {**REFUSED_SITE, "reason": OTHER_SITE_REASON}
PROXIED = b"X-Forwarded-Proto: https\r\n"  # from 127.0.0.1, a proxy the Procfile trusts


def site(value: bytes) -> bytes:
    return b"Sec-Fetch-Site: " + value + b"\r\n"


def origin(value: bytes) -> bytes:
    return b"Origin: " + value + b"\r\n"


# (headers of a POST /api/foo with Host t, status, JSON body)
PROTECTION = [
    pytest.param(site(b"cross-site"), 403, REFUSED_SITE, id="cross-site form post"),
    pytest.param(site(b"same-site"), 403, {**REFUSED_SITE, "reason": SAME_SITE_REASON}, id="same-site"),
    pytest.param(site(b"same-origin"), 200, {"result": 4}, id="same-origin"),
    pytest.param(site(b"SAME-ORIGIN"), 403, REFUSED_OTHER_SITE, id="upper case"),
    pytest.param(site(b"same-origin") + site(b"cross-site"), 403, REFUSED_OTHER_SITE, id="repeated"),
    pytest.param(site(b"cross-site") + origin(LOCAL.encode()), 200, {"result": 4}, id="trusted origin"),
    pytest.param(origin(b"null"), 403, REFUSED_ORIGIN, id="null origin"),
    pytest.param(origin(b"http://t"), 200, {"result": 4}, id="Origin is the Host"),
    pytest.param(origin(b"HTTP://T:80"), 200, {"result": 4}, id="Origin is the Host, upper case, :80"),
    pytest.param(origin(b"http://t:8080"), 403, REFUSED_ORIGIN, id="other port"),
    pytest.param(origin(b"http://t.evil.example"), 403, REFUSED_ORIGIN, id="Host as a prefix"),
    pytest.param(origin(b"https://t"), 403, REFUSED_SCHEME, id="https page to an http request"),
    pytest.param(origin(b"https://t") + PROXIED, 200, {"result": 4}, id="https behind the trusted proxy"),
    pytest.param(origin(b"http://t") + PROXIED, 403, {**REFUSED_SCHEME, "reason": HTTPS_REASON},
                 id="http page to an https request (Go lets it through)"),
    pytest.param(origin(b"http://" + b"a" * 8000), 403, REFUSED_ORIGIN, id="8 kB origin"),
]  # fmt: skip


@pytest.mark.parametrize(("headers", "status", "body"), PROTECTION)
def test_cross_origin_protection(port: int, headers: bytes, status: int, body: Any) -> None:
    with connect(port) as connection:
        connection.send(request(headers=headers))
        response = connection.response()
        assert (response.status, response.json()) == (status, body)
        # The refused request's unread body is dropped; the connection serves the next request.
        connection.send(request())
        assert connection.response().status == 200
    assert_serving(port)


def test_refused_post_never_reaches_the_endpoint(port: int) -> None:
    # A malformed body would get the endpoint's 400: the 403 shows the endpoint never read it.
    with connect(port) as connection:
        connection.send(request(body=b"{not json", headers=site(b"cross-site")))
        assert (connection.response().status, connection.closed_within(0.3)) == (403, False)


# --- bodies over the limit ------------------------------------------------------------------------


def test_declared_length_over_the_limit_is_413_before_the_body(port: int) -> None:
    with connect(port) as connection:
        connection.send(request(body=b"", length=MAX_BODY + 1))
        response = connection.response()
        assert (response.status, response.json()) == (413, TOO_LARGE)
        # The body never comes: the connection is closed by the next request's head deadline.
        started = time.monotonic()
        assert connection.closed_within(TIMEOUT + SLACK)
        assert time.monotonic() - started > TIMEOUT - 0.2
    assert_serving(port)


def test_refused_body_that_is_sent_is_dropped_and_the_connection_reused(port: int) -> None:
    with connect(port) as connection:
        body = b'{"inputVar": "' + b"x" * MAX_BODY + b'"}'
        connection.send(request(body=body) + request())
        refused, served = connection.response(), connection.response()
        assert (refused.status, refused.json()) == (413, TOO_LARGE)
        assert (served.status, served.json()) == (200, {"result": 4})


def test_chunked_body_over_the_limit_is_413(port: int) -> None:
    with connect(port) as connection:
        connection.send(chunked_head() + chunk(b"x" * 65536) * 17 + b"0\r\n\r\n")
        response = connection.response()
        assert (response.status, response.json()) == (413, TOO_LARGE)
    assert_serving(port)


def test_endless_chunked_body_is_413_then_cut_off(port: int) -> None:
    with connect(port) as connection:
        connection.send(chunked_head() + chunk(b"x" * 65536) * 17)
        response = connection.response()
        assert (response.status, response.json()) == (413, TOO_LARGE)
        # The client keeps sending; the server drops it, until the next head's deadline closes it.
        started = time.monotonic()
        connection.sock.settimeout(0.05)
        while time.monotonic() - started < TIMEOUT + SLACK:
            try:
                connection.send(chunk(b"x" * 1024))
                assert connection.sock.recv(1) == b""
                break
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                break
        elapsed = time.monotonic() - started
        assert TIMEOUT - 0.2 < elapsed < TIMEOUT + SLACK
    assert_serving(port)


# --- bodies that lie about their length -----------------------------------------------------------


def test_body_shorter_than_declared_is_408_after_body_timeout(port: int) -> None:
    with connect(port) as connection:
        started = time.monotonic()
        connection.send(request(length=100))
        response = connection.response(timeout=TIMEOUT + SLACK)
        assert TIMEOUT - 0.2 < time.monotonic() - started < TIMEOUT + SLACK
        assert (response.status, response.json()) == (408, BODY_TIMEOUT)
        assert response.headers["connection"] == "close"
        assert connection.closed_within(0.3)
    assert_serving(port)


def test_bytes_past_the_declared_length_are_a_refused_request(port: int) -> None:
    # The declared body is answered; what follows is parsed as the next request: here garbage.
    with connect(port) as connection:
        connection.send(request() + b"GARBAGE\r\n\r\n")
        first, second = connection.response(), connection.response()
        assert (first.status, first.json()) == (200, {"result": 4})
        assert (second.status, second.json(), second.headers["connection"]) == (400, INVALID, "close")
        assert connection.closed_within(0.3)
    assert_serving(port)


def test_bytes_past_the_declared_length_that_form_a_request_are_one(port: int) -> None:
    # HTTP/1.1 pipelining: a second request after the declared body is answered as one.
    with connect(port) as connection:
        connection.send(request() + b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n")
        first, second = connection.response(), connection.response()
        assert (first.status, first.json()) == (200, {"result": 4})
        assert (second.status, second.body) == (200, b"ok")


# --- upgrades uvicorn declines ------------------------------------------------------------------


def test_upgrade_offer_without_a_body_is_ignored(port: int) -> None:
    # curl --http2 on http:// offers h2c; the request is answered as HTTP/1.1.
    with connect(port) as connection:
        connection.send(b"GET /healthz HTTP/1.1\r\nHost: t\r\n" + H2C + b"\r\n")
        response = connection.response()
        assert (response.status, response.body) == (200, b"ok")


@pytest.mark.parametrize("upgrade", [H2C, b"Connection: Upgrade\r\nUpgrade: foo\r\n"], ids=["h2c", "foo"])
def test_upgrade_offer_with_a_body_is_refused_not_split_into_two_requests(port: int, upgrade: bytes) -> None:
    # Before: httptools skipped the body (the app answered "request body is empty") and parsed it,
    # arriving in a later read, as a second request: here a GET /healthz the client never made.
    smuggled = b"GET /healthz HTTP/1.1\r\nHost: t\r\n\r\n"
    with connect(port) as connection:
        connection.send(request(body=b"", headers=upgrade, length=len(smuggled)))
        time.sleep(0.1)
        connection.send_until_refused(smuggled)
        response = connection.response()
        assert (response.status, response.json(), response.headers["connection"]) == (
            400,
            UPGRADE_WITH_BODY,
            "close",
        )
        assert connection.closed_within(0.3)
    assert_serving(port)


# --- slow clients -----------------------------------------------------------------------------------


def test_idle_connection_is_closed_after_header_timeout(port: int) -> None:
    with connect(port) as connection:
        started = time.monotonic()
        assert connection.closed_within(TIMEOUT + SLACK)
        assert time.monotonic() - started > TIMEOUT - 0.2


def test_idle_keep_alive_connection_is_closed_after_header_timeout(port: int) -> None:
    with connect(port) as connection:
        connection.send(request())
        assert connection.response().status == 200
        started = time.monotonic()
        connection.send(b"POST /api/foo HTTP/1.1\r\n")  # the next head, never finished
        response = connection.response(timeout=TIMEOUT + SLACK)
        assert (response.status, response.json()) == (408, HEAD_TIMEOUT)
        assert TIMEOUT - 0.2 < time.monotonic() - started < TIMEOUT + SLACK


def trickle(port: int, head: bytes, tail: bytes, interval: float = 0.05) -> tuple[float, Response | None]:
    """Send `head`, then `tail` one byte per `interval`, until the server answers or closes: how long
    that took after `head`, and the answer."""
    with connect(port) as connection:
        connection.send(head)
        started = time.monotonic()
        connection.sock.settimeout(interval)
        for byte in tail:
            try:
                connection.send(bytes([byte]))
                if not connection.sock.recv(1, socket.MSG_PEEK):
                    return time.monotonic() - started, None  # closed without an answer
                break
            except TimeoutError:
                continue
            except (BrokenPipeError, ConnectionResetError):
                return time.monotonic() - started, None
        elapsed = time.monotonic() - started
        return elapsed, connection.response()


SLOW = [
    # Slowloris: the head byte by byte.
    pytest.param(b"", request(), HEAD_TIMEOUT, id="head byte by byte"),
    # The body byte by byte, with a declared length, and as one-byte chunks that never end.
    pytest.param(request(body=b"", length=1000), b" " * 1000, BODY_TIMEOUT, id="body"),
    pytest.param(chunked_head(), chunk(b" ") * 1000, BODY_TIMEOUT, id="chunked body"),
]  # fmt: skip


@pytest.mark.parametrize(("head", "tail", "error"), SLOW)
def test_slow_client_is_cut_off_while_others_are_served(
    port: int, head: bytes, tail: bytes, error: dict[str, str]
) -> None:
    with ThreadPoolExecutor(4) as pool:
        slow = [pool.submit(trickle, port, head, tail) for _ in range(3)]
        time.sleep(TIMEOUT / 2)
        assert assert_serving(port) < 0.5  # while three slow clients hold connections
        for future in slow:
            elapsed, response = future.result(timeout=TIMEOUT + SLACK + 5)
            assert response is not None
            assert (response.status, response.json()) == (408, error)
            assert TIMEOUT - 0.2 < elapsed < TIMEOUT + SLACK
    assert_serving(port)


def test_client_that_does_not_read_its_response_is_cut_off(tmp_path: Path) -> None:
    # A response larger than the kernel's socket buffers (4 MiB at most here) stays in the server's
    # memory while the client does not read it; a close() would wait for the client for ever. Hence
    # bodies of up to 8 MiB here: a 16 MB response. Before: all of it, read 2.5 s late.
    body = b'{"inputVar": "' + b"x" * 8_000_000 + b'"}'
    with deployed(tmp_path, MAX_BODY_BYTES=str(8 * 1024 * 1024)) as big, socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.settimeout(5)
        sock.connect(("127.0.0.1", big.port))
        sock.sendall(request(body=body))
        time.sleep(TIMEOUT + SLACK)
        received = 0
        with suppress(ConnectionResetError):
            while data := sock.recv(1 << 20):
                received += len(data)
    assert 0 < received < 2 * 8_000_000


def test_no_request_crashed_the_server(server: Server) -> None:
    # Runs last: nothing above made the app raise (uvicorn's 500), in the log of the whole module.
    log = server.log.read_text()
    assert "Uvicorn running" in log
    assert "Traceback" not in log
    assert "Exception in ASGI application" not in log
    assert '" 500' not in log

"""What a browser decides for a cross-origin `fetch()`, given the server's answers: a pure model.

It follows the Fetch standard (https://fetch.spec.whatwg.org/) as Chromium implements it, and
Chromium's Private Network Access preflight. Data in, verdict out: nothing here does I/O.

Where Chromium and the standard differ, Chromium wins, because this model is checked against it:

- Author headers with the same name are combined into one ("a, b") before any CORS rule runs, as
  Blink hands them to the network service, so duplicates are judged on their combined value.
- `User-Agent` and `Access-Control-Request-Private-Network` are forbidden request headers too.
- Some client-hint headers (`DPR`, `Width`, `Save-Data`, ...) and `Intervention` are safelisted.
- A `Content-Type` essence may have whitespace around its "/" ("text / plain").
- A preflight that redirects fails before its headers are looked at; otherwise the CORS check is
  reported before a non-ok status, and both before the preflight's allow-lists.
"""

from __future__ import annotations

import re
import string
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

Headers = Sequence[tuple[str, str]]  # response header lines as received, names in any case
Stage = Literal["preflight", "response"]

# Fetch "normalize" upper-cases only these methods; anything else (PATCH too) is sent as written.
_NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
_SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
_FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})

# Fetch's forbidden request-header names, plus the two Chromium's net::HttpUtil::IsSafeHeader adds.
_FORBIDDEN_HEADER_NAMES = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
        "access-control-request-private-network",  # Chromium
        "connection",
        "content-length",
        "cookie",
        "cookie2",
        "date",
        "dnt",
        "expect",
        "host",
        "keep-alive",
        "origin",
        "referer",
        "set-cookie",
        "te",
        "trailer",
        "transfer-encoding",
        "upgrade",
        "user-agent",  # Chromium still drops it (crbug.com/571722); the standard no longer does
        "via",
    }
)
_FORBIDDEN_HEADER_PREFIXES = ("proxy-", "sec-")
_METHOD_OVERRIDE_HEADERS = frozenset({"x-http-method", "x-http-method-override", "x-method-override"})

_TOKEN = re.compile(r"[!#$%&'*+\-.^_`|~0-9A-Za-z]+")
_HTTP_WHITESPACE = "\t\n\r "  # what Headers strips from an author value
_HTTP_TAB_OR_SPACE = "\t "  # what HTTP strips around a received value and a list item
_UNSAFE_BYTES = frozenset([chr(b) for b in range(0x20) if b != 0x09] + list('"():<>?@[\\]{}\x7f'))
_LANGUAGE_BYTES = frozenset(string.ascii_letters + string.digits + " *,-.;=")
_SAFELISTED_CONTENT_TYPES = frozenset(
    {"application/x-www-form-urlencoded", "multipart/form-data", "text/plain"}
)
_SIMPLE_RANGE = re.compile(r"bytes=([0-9]+)-([0-9]*)")
_INT64_MAX = 2**63 - 1  # Chromium saturates larger range positions to this and rejects them
_DOUBLE = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_INT = re.compile(r"[0-9]+")
_ECT_VALUES = frozenset({"slow-2g", "2g", "3g", "4g"})
_VALUE_MAX = 128  # bytes, per safelisted header
_SAFELIST_BUDGET = 1024  # bytes, over all safelisted headers of one request
_NON_WILDCARD_HEADER = "authorization"  # "*" in Access-Control-Allow-Headers never covers it
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_TO_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_TO_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


def _lower(text: str) -> str:
    """Byte-lowercase: ASCII only, so that e.g. the Kelvin sign never becomes a "k"."""
    return text.translate(_TO_LOWER)


def _upper(text: str) -> str:
    return text.translate(_TO_UPPER)


@dataclass(frozen=True)
class BrowserRequest:
    """A cross-origin `fetch()` as the page makes it. Raises ValueError where fetch() throws."""

    origin: str  # the page's origin, e.g. "http://localhost:3000"
    method: str = "GET"  # as passed to fetch()
    headers: tuple[tuple[str, str], ...] = ()  # author request headers given to fetch()
    credentials: bool = False  # fetch(..., {credentials: "include"})
    private_network: bool = False  # the target is more private than the page (Chromium PNA)

    def __post_init__(self) -> None:
        if not _TOKEN.fullmatch(self.method):
            raise ValueError(f"method: {self.method!r} is not a valid HTTP method")
        if _upper(self.method) in _FORBIDDEN_METHODS:
            raise ValueError(f"method: fetch() refuses the forbidden method {self.method!r}")
        for name, value in self.headers:
            if not _TOKEN.fullmatch(name):
                raise ValueError(f"headers: {name!r} is not a valid header name")
            if any(c in "\0\r\n" or ord(c) > 0xFF for c in value.strip(_HTTP_WHITESPACE)):
                raise ValueError(f"headers: the value of {name} is not a valid header value ({value!r})")


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    stage: Stage  # where the decision was made
    reason: str  # "allowed", or a sentence starting with "blocked: "


def normalize_method(method: str) -> str:
    """Fetch "normalize": the six well-known methods are upper-cased, any other is left as written."""
    upper = _upper(method)
    return upper if upper in _NORMALIZED_METHODS else method


def is_safelisted_method(method: str) -> bool:
    """GET, HEAD or POST once normalised (byte-exact, so 'patch' never qualifies)."""
    return normalize_method(method) in _SAFELISTED_METHODS


def _is_forbidden_header(name: str, value: str) -> bool:
    lower = _lower(name)
    if lower in _FORBIDDEN_HEADER_NAMES or lower.startswith(_FORBIDDEN_HEADER_PREFIXES):
        return True
    # X-HTTP-Method-Override: TRACE would smuggle a forbidden method past a server that honours it.
    if lower in _METHOD_OVERRIDE_HEADERS:
        return any(_upper(m.strip(_HTTP_TAB_OR_SPACE)) in _FORBIDDEN_METHODS for m in value.split(","))
    return False


def _content_type_essence(lower_value: str) -> str | None:
    """Chromium's net::ExtractMimeTypeFromMediaType: type/subtype before any ';', or None."""
    parts = [p.strip(_HTTP_TAB_OR_SPACE) for p in lower_value.split(";", 1)[0].split("/")]
    if len(parts) != 2 or not all(_TOKEN.fullmatch(p) for p in parts):
        return None
    return "/".join(parts)


def _is_simple_range(value: str) -> bool:
    """Fetch "simple range header value": `bytes=start-[end]`, no whitespace, no suffix range."""
    match = _SIMPLE_RANGE.fullmatch(value)
    if match is None:
        return False
    start = int(match[1])
    end = int(match[2]) if match[2] else None
    return start < _INT64_MAX and (end is None or start <= end < _INT64_MAX)


def is_safelisted_header(name: str, value: str) -> bool:
    """Fetch "CORS-safelisted request-header" as Chromium's network::cors::IsCorsSafelistedHeader."""
    if any(ord(c) > 0xFF for c in value) or len(value) > _VALUE_MAX:
        return False
    lower = _lower(name)
    if lower == "accept":
        return not any(c in _UNSAFE_BYTES for c in value)
    if lower in ("accept-language", "content-language"):
        return all(c in _LANGUAGE_BYTES for c in value)
    if lower == "content-type":
        lower_value = _lower(value)
        if any(c in _UNSAFE_BYTES for c in lower_value):
            return False
        return _content_type_essence(lower_value) in _SAFELISTED_CONTENT_TYPES
    if lower == "range":
        return _is_simple_range(value)
    # Chromium-only: client hints a page may also set, and the header Chrome adds for interventions.
    if lower in ("device-memory", "dpr", "downlink"):
        return _DOUBLE.fullmatch(value) is not None
    if lower in ("width", "viewport-width", "rtt"):
        return _INT.fullmatch(value) is not None
    if lower == "ect":
        return value in _ECT_VALUES
    if lower == "save-data":
        return _lower(value) == "on"
    return lower == "intervention"


def _author_headers(headers: Headers) -> list[tuple[str, str]]:
    """The header list Chromium's network service sees: values trimmed as `Headers` does, forbidden
    headers silently dropped, and same-name headers combined with ", " under the first spelling."""
    combined: dict[str, tuple[str, str]] = {}
    for name, raw in headers:
        value = raw.strip(_HTTP_WHITESPACE)
        if _is_forbidden_header(name, value):
            continue
        key = _lower(name)
        if key in combined:
            first, before = combined[key]
            combined[key] = (first, f"{before}, {value}")
        else:
            combined[key] = (name, value)
    return list(combined.values())


def _unsafe_names(author_headers: list[tuple[str, str]]) -> list[str]:
    unsafe: set[str] = set()
    potentially_unsafe: set[str] = set()
    budget = 0
    for name, value in author_headers:
        if is_safelisted_header(name, value):
            potentially_unsafe.add(_lower(name))
            budget += len(value)
        else:
            unsafe.add(_lower(name))
    # Many small safelisted values still make a big request: past the budget, all of them count.
    if budget > _SAFELIST_BUDGET:
        unsafe |= potentially_unsafe
    return sorted(unsafe)


def unsafe_header_names(headers: Headers) -> list[str]:
    """Fetch "CORS-unsafe request-header names": lower-cased, unique, sorted; forbidden ones left out."""
    return _unsafe_names(_author_headers(headers))


def needs_preflight(request: BrowserRequest) -> bool:
    return (
        not is_safelisted_method(request.method)
        or bool(unsafe_header_names(request.headers))
        or request.private_network  # Chromium preflights even a simple request to a more private network
    )


def preflight_request_headers(request: BrowserRequest) -> list[tuple[str, str]]:
    """The CORS headers Chromium puts on the OPTIONS preflight (it also sends Accept: */*, the
    User-Agent and Sec-Fetch-* headers, which no CORS rule looks at)."""
    lines = [("Origin", request.origin), ("Access-Control-Request-Method", normalize_method(request.method))]
    names = unsafe_header_names(request.headers)
    if names:
        lines.append(("Access-Control-Request-Headers", ",".join(names)))
    if request.private_network:
        lines.append(("Access-Control-Request-Private-Network", "true"))
    return lines


def actual_request_headers(request: BrowserRequest) -> list[tuple[str, str]]:
    """Origin plus the author headers as the browser sends them (see `_author_headers`)."""
    return [("Origin", request.origin), *_author_headers(request.headers)]


def _lines(headers: Headers, name: str) -> list[str]:
    lower = _lower(name)
    return [value.strip(_HTTP_TAB_OR_SPACE) for key, value in headers if _lower(key) == lower]


def _get(headers: Headers, name: str) -> str | None:
    """Fetch header-list "get": every line's value, combined with ", "; None when absent."""
    lines = _lines(headers, name)
    return ", ".join(lines) if lines else None


def _blocked(stage: Stage, reason: str) -> Verdict:
    return Verdict(allowed=False, stage=stage, reason=f"blocked: {reason}")


def cors_check(request: BrowserRequest, headers: Headers, *, stage: Stage = "response") -> Verdict | None:
    """Fetch "CORS check" (Access-Control-Allow-Origin, then -Credentials); None when it passes."""
    lines = _lines(headers, "Access-Control-Allow-Origin")
    allow_origin = _get(headers, "Access-Control-Allow-Origin")
    if allow_origin is None:
        return _blocked(stage, "no Access-Control-Allow-Origin header")
    if allow_origin == "*":
        if request.credentials:
            return _blocked(stage, "Access-Control-Allow-Origin '*' cannot be used with credentials")
    elif allow_origin != request.origin:
        # Chromium names this case whenever the value holds a space or comma, not only for two lines.
        if len(lines) > 1 or any(c in allow_origin for c in " ,"):
            return _blocked(stage, "several Access-Control-Allow-Origin values")
        return _blocked(
            stage,
            f"Access-Control-Allow-Origin '{allow_origin}' does not match the origin '{request.origin}'",
        )
    if request.credentials and _get(headers, "Access-Control-Allow-Credentials") != "true":
        return _blocked(stage, "Access-Control-Allow-Credentials must be 'true' with credentials")
    return None


def _allow_list(headers: Headers, name: str) -> frozenset[str] | None:
    """A `#token` header such as Access-Control-Allow-Methods, as a set; None when unparsable.
    Empty items are skipped, as HTTP list syntax allows; a missing header is an empty list."""
    value = _get(headers, name) or ""
    items = [item.strip(_HTTP_TAB_OR_SPACE) for item in value.split(",")]
    items = [item for item in items if item]
    if not all(_TOKEN.fullmatch(item) for item in items):
        return None
    return frozenset(items)


def check_preflight(request: BrowserRequest, status: int, headers: Headers) -> Verdict:
    """The CORS-preflight fetch's checks, in the order Chromium reports them."""
    if status in _REDIRECT_STATUSES and _lines(headers, "Location"):
        return _blocked(
            "preflight", f"preflight status {status} is a redirect, which a preflight cannot follow"
        )
    failed = cors_check(request, headers, stage="preflight")
    if failed is not None:
        return failed
    if not 200 <= status <= 299:
        return _blocked("preflight", f"preflight status {status} is not ok (2xx)")
    if request.private_network and _get(headers, "Access-Control-Allow-Private-Network") != "true":
        return _blocked(
            "preflight", "private network access needs Access-Control-Allow-Private-Network: true"
        )

    methods = _allow_list(headers, "Access-Control-Allow-Methods")
    if methods is None:
        value = _get(headers, "Access-Control-Allow-Methods")
        return _blocked("preflight", f"Access-Control-Allow-Methods '{value}' is not a list of methods")
    allowed_headers = _allow_list(headers, "Access-Control-Allow-Headers")
    if allowed_headers is None:
        value = _get(headers, "Access-Control-Allow-Headers")
        return _blocked("preflight", f"Access-Control-Allow-Headers '{value}' is not a list of header names")

    # "*" is a wildcard only without credentials; with them it is just a (strange) name.
    wildcard = not request.credentials
    method = normalize_method(request.method)
    # Methods compare byte-exact: "put" listed does not allow PUT.
    if not (is_safelisted_method(method) or method in methods or (wildcard and "*" in methods)):
        return _blocked("preflight", f"{method} is not in Access-Control-Allow-Methods")

    author = _author_headers(request.headers)
    spelling = {_lower(name): name for name, _ in author}
    lower_allowed = {_lower(name) for name in allowed_headers}
    for name in _unsafe_names(author):
        if name in lower_allowed:
            continue
        if wildcard and "*" in allowed_headers:
            if name != _NON_WILDCARD_HEADER:
                continue
            return _blocked(
                "preflight",
                f"{spelling[name]} is not in Access-Control-Allow-Headers ('*' does not cover it)",
            )
        return _blocked("preflight", f"{spelling[name]} is not in Access-Control-Allow-Headers")
    return Verdict(allowed=True, stage="preflight", reason="allowed")


def check_response(request: BrowserRequest, status: int, headers: Headers) -> Verdict:
    """The actual response's CORS check. The status plays no part: a 400 or 500 is readable when the
    check passes. (A redirect is checked the same way; where it leads is not modelled.)"""
    return cors_check(request, headers, stage="response") or Verdict(
        allowed=True, stage="response", reason="allowed"
    )


def decide(
    request: BrowserRequest, preflight: tuple[int, Headers] | None, response: tuple[int, Headers] | None
) -> Verdict:
    """The browser's whole decision. A preflight is required exactly when `needs_preflight` (one
    given otherwise is ignored: the browser would not have sent it). When the preflight fails the
    actual request is never sent, so `response` may then be None."""
    if needs_preflight(request):
        if preflight is None:
            raise ValueError("preflight: this request needs a preflight, and none was given")
        verdict = check_preflight(request, *preflight)
        if not verdict.allowed:
            return verdict
    if response is None:
        raise ValueError("response: the actual request is sent, and its response was not given")
    return check_response(request, *response)

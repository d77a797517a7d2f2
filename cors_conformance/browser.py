"""What a browser decides for a cross-origin `fetch()`, given the server's answers: a pure model.

It follows the Fetch standard (https://fetch.spec.whatwg.org/) as each browser implements it, and
Local Network Access (https://wicg.github.io/local-network-access/). Data in, verdict out: nothing
here does I/O. What depends on the browser takes `browser=` ("chromium", the default, or "firefox"),
checked against Chromium 156 and Firefox ESR 153 (tests/browsers/test_browser_differential.py), and where a
browser and the standard differ, the browser wins. Where they differ:

- Chromium combines author headers with the same name into one ("a, b") before any CORS rule runs,
  so duplicates are judged on their combined value; Firefox judges each one by one and repeats the
  name in Access-Control-Request-Headers ("x-a,x-a").
- Chromium forbids `User-Agent` (the standard and Firefox send it, unsafelisted).
- Chromium safelists some client-hint headers (`DPR`, `Width`, `Save-Data`, ...) and `Intervention`.
- Firefox has no 1024-byte budget over all safelisted values. It leaves empty response header lines
  out when it combines them (`Access-Control-Allow-Credentials: ` then `: true` is "true"), and it
  refuses two Access-Control-Allow-Origin lines only when both are spelled exactly so.
- Both let `*` in Access-Control-Allow-Headers cover `Authorization` (the standard does not; Chromium
  has the standard's rule behind the disabled feature CorsNonWildcardRequestHeadersSupport).
- Local Network Access: a page reaching a more private address space (public -> local -> loopback)
  needs the user's permission ("local-network" or "loopback-network") before any request leaves; no
  response header grants it. Chromium also requires the page to be a secure context; Firefox asks
  either way. The Private Network Access preflight (Access-Control-Request-Private-Network) is gone.
- A preflight that redirects fails before its headers are looked at; otherwise the CORS check is
  reported before a non-ok status, and both before the preflight's allow-lists (Chromium's order).
"""

from __future__ import annotations

import ipaddress
import re
import string
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal
from urllib.parse import urlsplit

from flask_cors_asgi.fetch import (
    FORBIDDEN_METHODS,
    FORBIDDEN_REQUEST_HEADERS,
    NORMALIZED_METHODS,
    SAFELISTED_METHODS,
)

Headers = Sequence[tuple[str, str]]  # response header lines as received, names in any case
Stage = Literal["permission", "preflight", "response"]
Browser = Literal["chromium", "firefox"]
BROWSERS: tuple[Browser, ...] = ("chromium", "firefox")
AddressSpace = Literal["public", "local", "loopback"]  # from least to most private

_FORBIDDEN_HEADER_PREFIXES = ("proxy-", "sec-")
_METHOD_OVERRIDE_HEADERS = frozenset({"x-http-method", "x-http-method-override", "x-method-override"})


@dataclass(frozen=True)
class _Profile:
    """Where one browser departs from the standard (see the module docstring)."""

    forbidden_names: frozenset[str]
    safelists_client_hints: bool  # and Intervention
    combines_same_name_headers: bool  # author request headers, before any CORS rule
    has_safelist_budget: bool  # past 1024 bytes of safelisted values, they all count as unsafe
    combines_empty_lines: bool  # an empty response header line adds ", " to the combined value
    refuses_repeated_allow_origin: bool  # two lines spelled exactly Access-Control-Allow-Origin
    local_network_needs_secure_context: bool
    # A Range position may be 2**63 - 1 itself (Firefox); Chromium saturates it there and refuses.
    range_takes_int64_max: bool = False
    # A Content-Type with a byte outside ASCII (text/plain;a=é) is unsafe (Firefox); Chromium takes
    # any byte up to 0xFF that is not in the unsafe set.
    content_type_ascii_only: bool = False


_PROFILES: dict[Browser, _Profile] = {
    "chromium": _Profile(
        # net::HttpUtil::IsSafeHeader still drops User-Agent (crbug.com/571722).
        forbidden_names=FORBIDDEN_REQUEST_HEADERS | {"user-agent"},
        safelists_client_hints=True,
        combines_same_name_headers=True,
        has_safelist_budget=True,
        combines_empty_lines=True,
        refuses_repeated_allow_origin=False,
        local_network_needs_secure_context=True,
    ),
    "firefox": _Profile(
        forbidden_names=FORBIDDEN_REQUEST_HEADERS,
        safelists_client_hints=False,
        combines_same_name_headers=False,
        has_safelist_budget=False,
        combines_empty_lines=False,
        refuses_repeated_allow_origin=True,
        local_network_needs_secure_context=False,
        range_takes_int64_max=True,
        content_type_ascii_only=True,
    ),
}


def _profile(browser: Browser) -> _Profile:
    try:
        return _PROFILES[browser]
    except KeyError:
        raise ValueError(f"browser: {browser!r} is not one of {', '.join(BROWSERS)}") from None


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
# The one name the standard says "*" in Access-Control-Allow-Headers does not cover (browsers do).
_NON_WILDCARD_HEADER = "authorization"
_REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})

_TO_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_TO_UPPER = str.maketrans(string.ascii_lowercase, string.ascii_uppercase)


def _lower(text: str) -> str:
    """Byte-lowercase: ASCII only, so that e.g. the Kelvin sign never becomes a "k"."""
    return text.translate(_TO_LOWER)


def _upper(text: str) -> str:
    return text.translate(_TO_UPPER)


_SPACES: tuple[AddressSpace, ...] = ("public", "local", "loopback")
_PERMISSION = {"local": "local-network", "loopback": "loopback-network"}


@dataclass(frozen=True)
class BrowserRequest:
    """A cross-origin `fetch()` as the page makes it. Raises ValueError where fetch() throws."""

    origin: str  # the page's origin, e.g. "http://localhost:3000"
    method: str = "GET"  # as passed to fetch()
    headers: tuple[tuple[str, str], ...] = ()  # author request headers given to fetch()
    credentials: bool = False  # fetch(..., {credentials: "include"})
    # Local Network Access: the address spaces of the page's server and of the target (the same by
    # default: no restriction), and whether the user has granted the page that access.
    page_space: AddressSpace = "public"
    target_space: AddressSpace = "public"
    local_network_permission: bool = False

    def __post_init__(self) -> None:
        if not _TOKEN.fullmatch(self.method):
            raise ValueError(f"method: {self.method!r} is not a valid HTTP method")
        if _upper(self.method) in FORBIDDEN_METHODS:
            raise ValueError(f"method: fetch() refuses the forbidden method {self.method!r}")
        for name, value in self.headers:
            if not _TOKEN.fullmatch(name):
                raise ValueError(f"headers: {name!r} is not a valid header name")
            if any(c in "\0\r\n" or ord(c) > 0xFF for c in value.strip(_HTTP_WHITESPACE)):
                raise ValueError(f"headers: the value of {name} is not a valid header value ({value!r})")
        for field_name in ("page_space", "target_space"):
            if getattr(self, field_name) not in _SPACES:
                raise ValueError(f"{field_name}: expected one of {', '.join(_SPACES)}")

    @property
    def local_network(self) -> bool:
        """The target is in a more private address space than the page: Local Network Access."""
        return _SPACES.index(self.target_space) > _SPACES.index(self.page_space)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    stage: Stage  # where it was decided ("permission": Local Network Access, before anything is sent)
    # "allowed", or a sentence starting with "blocked: ". Where the browser departs from the Fetch
    # standard to allow it: "allowed; the Fetch standard would block it: ...".
    reason: str


def normalize_method(method: str) -> str:
    """Fetch "normalize": the six well-known methods are upper-cased, any other is left as written."""
    upper = _upper(method)
    return upper if upper in NORMALIZED_METHODS else method


def is_safelisted_method(method: str) -> bool:
    """GET, HEAD or POST once normalised (byte-exact, so 'patch' never qualifies)."""
    return normalize_method(method) in SAFELISTED_METHODS


def _is_forbidden_header(name: str, value: str, profile: _Profile) -> bool:
    lower = _lower(name)
    if lower in profile.forbidden_names or lower.startswith(_FORBIDDEN_HEADER_PREFIXES):
        return True
    # X-HTTP-Method-Override: TRACE would smuggle a forbidden method past a server that honours it.
    if lower in _METHOD_OVERRIDE_HEADERS:
        return any(_upper(m.strip(_HTTP_TAB_OR_SPACE)) in FORBIDDEN_METHODS for m in value.split(","))
    return False


def _content_type_essence(lower_value: str) -> str | None:
    """Fetch "parse a MIME type", up to the essence: HTTP whitespace is trimmed before the type and
    after the subtype only, so "text / plain" fails and "text/plain ;charset=utf-8" passes."""
    kind, slash, rest = lower_value.lstrip(_HTTP_WHITESPACE).partition("/")
    subtype = rest.split(";", 1)[0].rstrip(_HTTP_WHITESPACE)
    if not slash or not _TOKEN.fullmatch(kind) or not _TOKEN.fullmatch(subtype):
        return None
    return f"{kind}/{subtype}"


def _is_simple_range(value: str, browser: Browser = "chromium") -> bool:
    """Fetch "simple range header value": `bytes=start-[end]`, no whitespace, no suffix range; each
    position below 2**63 - 1 (Chromium) or up to it (Firefox)."""
    match = _SIMPLE_RANGE.fullmatch(value)
    if match is None:
        return False
    start = int(match[1])
    end = int(match[2]) if match[2] else None
    limit = _INT64_MAX + 1 if _profile(browser).range_takes_int64_max else _INT64_MAX
    return start < limit and (end is None or start <= end < limit)


def is_safelisted_header(name: str, value: str, *, browser: Browser = "chromium") -> bool:
    """Fetch "CORS-safelisted request-header" (Chromium: network::cors::IsCorsSafelistedHeader)."""
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
        if _profile(browser).content_type_ascii_only and not value.isascii():
            return False
        return _content_type_essence(lower_value) in _SAFELISTED_CONTENT_TYPES
    if lower == "range":
        return _is_simple_range(value, browser)
    if not _profile(browser).safelists_client_hints:
        return False
    # Chromium only: client hints a page may also set, and the header Chrome adds for interventions.
    if lower in ("device-memory", "dpr", "downlink"):
        return _DOUBLE.fullmatch(value) is not None
    if lower in ("width", "viewport-width", "rtt"):
        return _INT.fullmatch(value) is not None
    if lower == "ect":
        return value in _ECT_VALUES
    if lower == "save-data":
        return _lower(value) == "on"
    return lower == "intervention"


def _author_headers(headers: Headers, browser: Browser) -> list[tuple[str, str]]:
    """The header list the browser's CORS rules see: values trimmed as `Headers` does, forbidden
    headers silently dropped; in Chromium, same-name headers combined with ", " under the first
    spelling (as Blink hands them to the network service); Firefox keeps them apart."""
    profile = _profile(browser)
    kept: list[tuple[str, str]] = []
    first: dict[str, int] = {}
    for name, raw in headers:
        value = raw.strip(_HTTP_WHITESPACE)
        if _is_forbidden_header(name, value, profile):
            continue
        key = _lower(name)
        if profile.combines_same_name_headers and key in first:
            spelling, before = kept[first[key]]
            kept[first[key]] = (spelling, f"{before}, {value}")
            continue
        first.setdefault(key, len(kept))
        kept.append((name, value))
    return kept


def _unsafe_names(author_headers: list[tuple[str, str]], browser: Browser) -> list[str]:
    """Lower-cased and sorted, one per unsafe header of the list (so Firefox's repeats stay)."""
    unsafe: list[str] = []
    potentially_unsafe: list[str] = []
    budget = 0
    for name, value in author_headers:
        if is_safelisted_header(name, value, browser=browser):
            potentially_unsafe.append(_lower(name))
            budget += len(value)
        else:
            unsafe.append(_lower(name))
    # Many small safelisted values still make a big request: past the budget, all of them count.
    if budget > _SAFELIST_BUDGET and _profile(browser).has_safelist_budget:
        unsafe += potentially_unsafe
    return sorted(unsafe)


def unsafe_header_names(headers: Headers, *, browser: Browser = "chromium") -> list[str]:
    """Fetch "CORS-unsafe request-header names", forbidden ones left out: lower-cased, sorted, unique
    in Chromium; in Firefox one per unsafe header, repeats included."""
    return _unsafe_names(_author_headers(headers, browser), browser)


def needs_preflight(request: BrowserRequest, *, browser: Browser = "chromium") -> bool:
    return not is_safelisted_method(request.method) or bool(
        unsafe_header_names(request.headers, browser=browser)
    )


def sends_preflight(request: BrowserRequest, *, browser: Browser = "chromium") -> bool:
    """Whether the browser actually sends a preflight: one is needed, and Local Network Access
    lets the request leave (without the user's permission, nothing is sent, not even a preflight)."""
    return needs_preflight(request, browser=browser) and local_network_check(request, browser=browser) is None


def preflight_request_headers(
    request: BrowserRequest, *, browser: Browser = "chromium"
) -> list[tuple[str, str]]:
    """The CORS headers the browser puts on the OPTIONS preflight (it also sends Accept: */*, the
    User-Agent and Sec-Fetch-* headers, which no CORS rule looks at)."""
    lines = [("Origin", request.origin), ("Access-Control-Request-Method", normalize_method(request.method))]
    names = unsafe_header_names(request.headers, browser=browser)
    if names:
        lines.append(("Access-Control-Request-Headers", ",".join(names)))
    return lines


def actual_request_headers(
    request: BrowserRequest, *, browser: Browser = "chromium"
) -> list[tuple[str, str]]:
    """Origin plus the author headers as the browser sends them (see `_author_headers`)."""
    return [("Origin", request.origin), *_author_headers(request.headers, browser)]


def _lines(headers: Headers, name: str) -> list[str]:
    lower = _lower(name)
    return [value.strip(_HTTP_TAB_OR_SPACE) for key, value in headers if _lower(key) == lower]


def _get(headers: Headers, name: str, browser: Browser = "chromium") -> str | None:
    """Fetch header-list "get": every line's value, combined with ", "; None when absent. (Firefox
    leaves empty lines out: "", "true" is "true".)"""
    lines = _lines(headers, name)
    if lines and not _profile(browser).combines_empty_lines:
        lines = [line for line in lines if line] or [""]
    return ", ".join(lines) if lines else None


def _blocked(stage: Stage, reason: str) -> Verdict:
    return Verdict(allowed=False, stage=stage, reason=f"blocked: {reason}")


def cors_check(
    request: BrowserRequest, headers: Headers, *, stage: Stage = "response", browser: Browser = "chromium"
) -> Verdict | None:
    """Fetch "CORS check" (Access-Control-Allow-Origin, then -Credentials); None when it passes."""
    allow_origin = _get(headers, "Access-Control-Allow-Origin", browser)
    if allow_origin is None:
        return _blocked(stage, "no Access-Control-Allow-Origin header")
    # Firefox refuses two lines outright, but counts only those spelled exactly so (its
    # nsCORSListenerProxy compares the name case-sensitively); other lines are merged as any header.
    exact = sum(name == "Access-Control-Allow-Origin" for name, _ in headers)
    several = exact > 1 and _profile(browser).refuses_repeated_allow_origin
    if allow_origin == "*" and not several:
        if request.credentials:
            return _blocked(stage, "Access-Control-Allow-Origin '*' cannot be used with credentials")
    elif allow_origin != request.origin or several:
        # Chromium names this case whenever the value holds a space or comma, not only for two lines.
        if several or any(c in allow_origin for c in " ,"):
            return _blocked(stage, "several Access-Control-Allow-Origin values")
        return _blocked(
            stage,
            f"Access-Control-Allow-Origin '{allow_origin}' does not match the origin '{request.origin}'",
        )
    if request.credentials and _get(headers, "Access-Control-Allow-Credentials", browser) != "true":
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


def check_preflight(
    request: BrowserRequest, status: int, headers: Headers, *, browser: Browser = "chromium"
) -> Verdict:
    """The CORS-preflight fetch's checks, in the order Chromium reports them."""
    if status in _REDIRECT_STATUSES and _lines(headers, "Location"):
        return _blocked(
            "preflight", f"preflight status {status} is a redirect, which a preflight cannot follow"
        )
    failed = cors_check(request, headers, stage="preflight", browser=browser)
    if failed is not None:
        return failed
    if not 200 <= status <= 299:
        return _blocked("preflight", f"preflight status {status} is not ok (2xx)")

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

    author = _author_headers(request.headers, browser)
    spelling = {_lower(name): name for name, _ in reversed(author)}
    lower_allowed = {_lower(name) for name in allowed_headers}
    reason = "allowed"
    for name in dict.fromkeys(_unsafe_names(author, browser)):
        if name in lower_allowed:
            continue
        if not (wildcard and "*" in allowed_headers):
            return _blocked("preflight", f"{spelling[name]} is not in Access-Control-Allow-Headers")
        if name == _NON_WILDCARD_HEADER:
            reason = (
                "allowed; the Fetch standard would block it: '*' in Access-Control-Allow-Headers "
                f"does not cover {spelling[name]} there"
            )
    return Verdict(allowed=True, stage="preflight", reason=reason)


def check_response(
    request: BrowserRequest, status: int, headers: Headers, *, browser: Browser = "chromium"
) -> Verdict:
    """The actual response's CORS check. The status plays no part: a 400 or 500 is readable when the
    check passes. (A redirect is checked the same way; where it leads is not modelled.)"""
    return cors_check(request, headers, stage="response", browser=browser) or Verdict(
        allowed=True, stage="response", reason="allowed"
    )


def address_space(host: str) -> AddressSpace:
    """A host's address space as Local Network Access sees it: loopback (localhost, 127/8, ::1),
    local (private, link-local and unique-local ranges) or public. Any other name counts as public:
    what it resolves to is not known here."""
    host = host.strip("[]").rstrip(".").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return "loopback"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "public"
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_loopback:
        return "loopback"
    if address.is_private or address.is_link_local:
        return "local"
    return "public"


def is_secure_context(origin: str) -> bool:
    """Whether a page on `origin` is a secure context: https, or http on a loopback host."""
    parts = urlsplit(origin)
    return parts.scheme == "https" or (
        parts.scheme == "http" and address_space(parts.hostname or "") == "loopback"
    )


def _can_ask(request: BrowserRequest, browser: Browser) -> bool:
    """Whether the user can be asked for Local Network Access (Chromium: only from a secure context)."""
    return not _profile(browser).local_network_needs_secure_context or is_secure_context(request.origin)


def local_network_check(request: BrowserRequest, *, browser: Browser = "chromium") -> Verdict | None:
    """Local Network Access, decided before anything is sent; None when it lets the request go."""
    if not request.local_network:
        return None
    spaces = f"a {request.page_space} page cannot reach a {request.target_space} address"
    if not _can_ask(request, browser):
        return _blocked("permission", f"{spaces} unless it is a secure context (Local Network Access)")
    if request.local_network_permission:
        return None
    permission = _PERMISSION[request.target_space]
    return _blocked(
        "permission",
        f"{spaces} without the user's '{permission}' permission (Local Network Access); "
        "no response header grants it",
    )


def decide(
    request: BrowserRequest,
    preflight: tuple[int, Headers] | None,
    response: tuple[int, Headers] | None,
    *,
    browser: Browser = "chromium",
) -> Verdict:
    """The browser's whole decision. A preflight is required exactly when `needs_preflight` (one
    given otherwise is ignored: the browser would not have sent it). When the preflight fails the
    actual request is never sent, so `response` may then be None. When Local Network Access stops
    the request, nothing is sent; the reason then also says what the answers given would decide
    once the user grants the permission."""
    stopped = local_network_check(request, browser=browser)
    if stopped is not None:
        if not _can_ask(request, browser):
            return stopped
        try:
            granted = decide(
                replace(request, local_network_permission=True), preflight, response, browser=browser
            )
        except ValueError:  # an answer that would be needed then is missing
            return stopped
        return replace(stopped, reason=f"{stopped.reason}; once granted: {granted.reason}")
    verdict = None
    if needs_preflight(request, browser=browser):
        if preflight is None:
            raise ValueError("preflight: this request needs a preflight, and none was given")
        verdict = check_preflight(request, *preflight, browser=browser)
        if not verdict.allowed:
            return verdict
    if response is None:
        raise ValueError("response: the actual request is sent, and its response was not given")
    final = check_response(request, *response, browser=browser)
    # An allowed preflight's note on where the browser departs from the standard stays.
    return final if verdict is None or not final.allowed else replace(final, reason=verdict.reason)

"""The fetch profile's decision: a pure function of the compiled policy, the debug flag and a
request's CORS inputs, answering as jub0bs/cors v1.0.2 answers. Nothing here knows ASGI.

- A preflight (OPTIONS with Origin and Access-Control-Request-Method) is answered here, never by
  the app: 204 with the headers the browser needs, or 403 with none. Checks run in the order the
  Fetch standard's CORS-preflight fetch runs them: origin, method, headers.
- In debug mode a preflight whose origin passed but whose method or headers failed gets 204 and
  the headers so far, so the browser's console names the precise failure; an origin that failed
  still gets a bare 403.
- Any other request goes on to the app, and its answer gets the headers decided here.
- With a callable among the origins, `verdict` is its answer for this request's origin (None: not
  asked, which counts as refused). It is read only where no pattern allows a well-formed origin;
  an actual response so decided varies on Origin and on the headers the callable declares.
"""

from __future__ import annotations

from typing import NamedTuple

from flask_cors_asgi.fetch.config import SAFELISTED_METHODS, FetchConfig
from flask_cors_asgi.fetch.origins import parse_origin

ACAO = "Access-Control-Allow-Origin"
ACAC = "Access-Control-Allow-Credentials"
ACAM = "Access-Control-Allow-Methods"
ACAH = "Access-Control-Allow-Headers"
ACMA = "Access-Control-Max-Age"
ACEH = "Access-Control-Expose-Headers"
VARY = "Vary"

PREFLIGHT_OK = 204
PREFLIGHT_FAIL = 403
# jub0bs's limits on Access-Control-Request-Headers, which browsers send without whitespace or empty
# elements: an intermediary may add a little (RFC 9110 says tolerate any), a hostile client a lot.
MAX_OWS_BYTES = 2  # whitespace around each element, before and after together
MAX_EMPTY_ELEMENTS = 16  # empty elements (and empty header lines) over the whole header

Headers = tuple[tuple[str, str], ...]


class Decision(NamedTuple):
    """What the middleware does with a request. For a preflight, `status` and `headers` are the
    whole answer; otherwise `status` is None, `headers` go on the app's answer (each unless the app
    set that header itself) and `vary` is appended to its Vary. (A NamedTuple: made per request.)"""

    status: int | None
    headers: Headers
    vary: bool = False
    # For a failed preflight, the step that failed ("origin", "method", "headers" or "no
    # preflight"); for the debug mode's 204, the step too. None otherwise.
    failure: str | None = None
    # The Vary value appended when `vary`: "Origin", plus the declared headers of an origin
    # callable whose answer decided the headers.
    vary_value: str = "Origin"

    @property
    def preflight(self) -> bool:
        return self.status is not None


_PASS_NOTHING = Decision(None, ())
_PASS_VARY = Decision(None, (), vary=True)


def request_headers_allowed(config: FetchConfig, lines: tuple[str, ...]) -> bool:
    """Whether the Access-Control-Request-Headers lines list only allowed names, each once, in
    the sorted order browsers send them, with at most a little whitespace around each name and at
    most 16 empty elements in all. One pass, no splitting: a long hostile header costs its length."""
    if len(lines) == 1:
        line = lines[0]
        if " " not in line and "\t" not in line:
            return _plain_lines_allowed(config, lines)
    elif not any(" " in line or "\t" in line for line in lines):
        return _plain_lines_allowed(config, lines)
    allowed = config.request_headers
    max_len = config.request_headers_max_len
    start = 0
    empty = 0
    for line in lines:
        if not line:
            if empty >= MAX_EMPTY_ELEMENTS:
                return False
            empty += 1
            continue
        pos = 0
        end = len(line)
        while True:
            budget = MAX_OWS_BYTES
            while pos < end and budget and line[pos] in " \t":
                pos += 1
                budget -= 1
            name_start = pos
            # A name longer than the longest allowed one is cut there, and then fails below.
            while pos < end and pos - name_start < max_len and line[pos] not in " \t,":
                pos += 1
            name = line[name_start:pos]
            while pos < end and budget and line[pos] in " \t":
                pos += 1
                budget -= 1
            last = pos == end
            if not last:
                if line[pos] != ",":
                    return False
                pos += 1
            if not name:
                if empty >= MAX_EMPTY_ELEMENTS:
                    return False
                empty += 1
            else:
                index = _index(allowed, start, name)
                if index < 0:
                    return False
                start = index + 1
            if last:
                break
    return True


def _plain_lines_allowed(config: FetchConfig, lines: tuple[str, ...]) -> bool:
    """`request_headers_allowed` for lines without whitespace, as browsers send them: the same
    verdict, with C-speed splitting instead of the byte-by-byte scan."""
    names = [name for line in lines for name in line.split(",")]
    empty = names.count("")  # an empty line is one empty element, as each ",," makes one
    if empty > MAX_EMPTY_ELEMENTS:
        return False
    allowed = config.request_header_set
    previous = ""
    for name in names:
        if not name:
            continue
        # Sorted and unique, as browsers list them: each name after the previous one.
        if name <= previous or name not in allowed:
            return False
        previous = name
    return True


def _index(allowed: tuple[str, ...], start: int, name: str) -> int:
    """The index of `name` in the sorted `allowed`, searching from `start`; -1 when absent."""
    low, high = start, len(allowed)
    while low < high:
        middle = (low + high) // 2
        if allowed[middle] < name:
            low = middle + 1
        else:
            high = middle
    return low if low < len(allowed) and allowed[low] == name else -1


def _origin_headers(config: FetchConfig, origin: str, verdict: bool | None = None) -> Headers | None:
    """The headers that allow `origin`, or None when it is not allowed."""
    if config.origins is None:
        return ((ACAO, "*"),)
    if origin not in config.origins.exact_texts:
        parsed = parse_origin(origin)
        # The callable decides only what could be an origin: never "null" or garbage, which the
        # profile refuses to list as patterns too.
        if (parsed is None or parsed not in config.origins) and (
            parsed is None or config.origin_check is None or not verdict
        ):
            return None
    if config.credentialed:
        # Preflights carry no credentials, and an actual request's credentials mode cannot be seen:
        # an allowed origin always gets "true" when credentials are allowed.
        return ((ACAO, origin), (ACAC, "true"))
    return ((ACAO, origin),)


def asks_callable(config: FetchConfig, origin: str | None) -> bool:
    """Whether the answer for `origin` may depend on the origin callable's verdict: the policy has
    one, and no pattern allows this well-formed origin."""
    if config.origin_check is None or origin is None or config.origins is None:
        return False
    if origin in config.origins.exact_texts:
        return False
    parsed = parse_origin(origin)
    return parsed is not None and parsed not in config.origins


def decide(
    config: FetchConfig,
    method: str,
    origin: str | None,
    acrm: str | None,
    acrh: tuple[str, ...] | None,
    debug: bool = False,
    verdict: bool | None = None,
) -> Decision:
    """The fetch profile's answer to a request: its method, its first Origin and first
    Access-Control-Request-Method values (None when absent) and its Access-Control-Request-Headers
    lines (None when absent); `verdict`, the origin callable's answer, if the policy has one."""
    if origin is not None and method == "OPTIONS" and acrm is not None:
        return _preflight(config, origin, acrm, acrh, debug, verdict)
    return _actual(config, origin, method == "OPTIONS", verdict)


def _actual(config: FetchConfig, origin: str | None, options: bool, verdict: bool | None = None) -> Decision:
    if config.origins is None:
        # Every origin: the same answer for everyone, so nothing varies, non-CORS requests included
        # (a cache may serve this answer to a CORS request later).
        if config.aceh:
            return Decision(None, ((ACAO, "*"), (ACEH, config.aceh)))
        return Decision(None, ((ACAO, "*"),))
    # Not for OPTIONS: caching OPTIONS answers contravenes RFC 9110, and jub0bs does not cater for it.
    vary = not options
    if origin is None:
        return _PASS_VARY if vary else _PASS_NOTHING
    headers = _origin_headers(config, origin, verdict)
    # Allowed or not, an answer the callable decided depends on the headers it reads too.
    vary_value = config.origin_vary if vary and asks_callable(config, origin) else "Origin"
    if headers is None:
        if vary_value != "Origin":
            return Decision(None, (), vary=True, vary_value=vary_value)
        return _PASS_VARY if vary else _PASS_NOTHING
    if config.aceh:
        headers = (*headers, (ACEH, config.aceh))
    return Decision(None, headers, vary=vary, vary_value=vary_value)


def _preflight(
    config: FetchConfig,
    origin: str,
    acrm: str,
    acrh: tuple[str, ...] | None,
    debug: bool,
    verdict: bool | None,
) -> Decision:
    if not config.preflight and not debug:
        return Decision(PREFLIGHT_FAIL, (), failure="no preflight")
    headers = _origin_headers(config, origin, verdict)
    if headers is None:
        return Decision(PREFLIGHT_FAIL, (), failure="origin")
    status_if_failed = PREFLIGHT_OK if debug else PREFLIGHT_FAIL

    # Methods: the safelisted ones need nothing; any other is named alone, never the whole list.
    if acrm not in SAFELISTED_METHODS:
        if config.any_method and not config.credentialed:
            headers = (*headers, (ACAM, "*"))
        elif config.any_method or acrm in config.methods:
            headers = (*headers, (ACAM, acrm))
        else:
            return Decision(status_if_failed, headers if debug else (), failure="method")

    if acrh is not None:
        if config.wildcard_request_headers and config.credentialed:
            # "*" would be a literal name with credentials: echo the request's lines instead.
            headers = (*headers, *((ACAH, line) for line in acrh))
        elif config.wildcard_request_headers:
            headers = (*headers, (ACAH, config.acah))
        elif debug:
            # The whole allowed list, so the browser names the header that is missing from it.
            if not config.acah:
                return Decision(PREFLIGHT_OK, headers, failure="headers")
            headers = (*headers, (ACAH, config.acah))
        elif request_headers_allowed(config, acrh):
            headers = (*headers, *((ACAH, line) for line in acrh))
        else:
            return Decision(PREFLIGHT_FAIL, (), failure="headers")

    if config.acma:
        headers = (*headers, (ACMA, config.acma))
    return Decision(PREFLIGHT_OK, headers)

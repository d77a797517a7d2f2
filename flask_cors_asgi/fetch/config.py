"""The fetch profile's options, validated as strictly as jub0bs/cors v1.0.2 validates its Config,
and compiled once into a frozen `FetchConfig`.

Every problem is collected before anything is raised, each with a stable id, the option it came
from and the value at fault (jub0bs's cfgerrors, django-cors-headers' ids): `FetchConfigError`
carries them all. An omitted option means what jub0bs's zero value means: no methods or headers
beyond the safelisted ones, nothing exposed, no max age header, no credentials; `origins` is
required.

| id | problem |
|---|---|
| fetch.E001 | `origins` missing or empty |
| fetch.E002 | an origin pattern that is not one (a path, no scheme, a bad port, upper case) |
| fetch.E003 | a prohibited origin: `null`, `file:`, a default port, Unicode, a non-canonical IP |
| fetch.E004 | `*` origin with credentials |
| fetch.E005 | an insecure origin (not https, not loopback) with credentials |
| fetch.E006 | `*.` over a public suffix with credentials |
| fetch.E007 | a method that is not a valid token |
| fetch.E008 | a forbidden method (CONNECT, TRACE, TRACK) |
| fetch.E009 | a request header name that is not a valid token |
| fetch.E010 | a forbidden request header name (browsers set it themselves) |
| fetch.E011 | a CORS response header name listed as a request header |
| fetch.E012 | `max_age` out of bounds (-1 to 86400) |
| fetch.E013 | a response header name that is not a valid token |
| fetch.E014 | a forbidden response header name (Set-Cookie) |
| fetch.E015 | a CORS request header name (or Origin) listed as exposed |
| fetch.E016 | `expose_headers=["*"]` with credentials |
| fetch.E017 | an option of the wrong type |
| fetch.E018 | an option the fetch profile does not have |
| fetch.E019 | a callable in `origins` beside `*` |
| fetch.E020 | more than one callable in `origins` |

`origins` may hold one callable (`check(origin, scope) -> bool`, sync or async, or a
`dynamic_origins(...)` object) beside the patterns: it is not a pattern, so the pattern checks skip
it, and it is compiled once into an `OriginCheck` (flask_cors_asgi.dynamic) that the middleware asks
at request time, after the patterns.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from flask_cors_asgi.dynamic import OriginCheck, as_origin_check, is_origin_check
from flask_cors_asgi.fetch.origins import OriginSet, Pattern, PatternError, parse_pattern

# The fetch profile's options: Flask-CORS's names for what jub0bs configures, plus its own.
OPTION_NAMES = (
    "origins",
    "supports_credentials",
    "methods",
    "allow_headers",
    "expose_headers",
    "max_age",
    "debug",
    "dangerously_tolerate_insecure_origins",
    "dangerously_tolerate_subdomains_of_public_suffixes",
)
# Flask-CORS options that have no meaning here, each with what to do instead.
_COMPAT_ONLY = {
    "resources": "apply the middleware to the paths that need it, or use cross_origin per route",
    "send_wildcard": 'origins=["*"] answers "*"',
    "always_send": "headers are sent for CORS requests only",
    "vary_header": "Vary: Origin is added whenever the answer depends on the origin",
    "automatic_options": "preflights are always answered by the middleware (204 or 403)",
    "allow_private_network": "not part of the fetch profile",
    "intercept_exceptions": "not part of the fetch profile",
}

CHECKS: Mapping[str, str] = {
    "fetch.E001": "origins missing",
    "fetch.E002": "invalid origin pattern",
    "fetch.E003": "prohibited origin pattern",
    "fetch.E004": "wildcard origin with credentials",
    "fetch.E005": "insecure origin with credentials",
    "fetch.E006": "subdomains of a public suffix with credentials",
    "fetch.E007": "invalid method",
    "fetch.E008": "forbidden method",
    "fetch.E009": "invalid request header name",
    "fetch.E010": "forbidden request header name",
    "fetch.E011": "prohibited request header name",
    "fetch.E012": "max_age out of bounds",
    "fetch.E013": "invalid response header name",
    "fetch.E014": "forbidden response header name",
    "fetch.E015": "prohibited response header name",
    "fetch.E016": "wildcard exposed headers with credentials",
    "fetch.E017": "option of the wrong type",
    "fetch.E018": "not an option of the fetch profile",
    "fetch.E019": "origin callable with a wildcard origin",
    "fetch.E020": "more than one origin callable",
}

SAFELISTED_METHODS = frozenset({"GET", "HEAD", "POST"})
# Method names browsers upper-case (Fetch's "normalize a method"); any other is case-sensitive.
NORMALIZED_METHODS = frozenset({"DELETE", "GET", "HEAD", "OPTIONS", "POST", "PUT"})
FORBIDDEN_METHODS = frozenset({"CONNECT", "TRACE", "TRACK"})
_TOKEN_CHARS = frozenset("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ")
# Fetch's forbidden request-header names: browsers set these themselves (the toolkit's browser
# model reads this one list too).
FORBIDDEN_REQUEST_HEADERS = frozenset(
    {
        "accept-charset",
        "accept-encoding",
        "access-control-request-headers",
        "access-control-request-method",
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
        "via",
    }
)
# Response headers of the CORS protocol, which have no place in a request.
_PROHIBITED_REQUEST_HEADERS = frozenset(
    {
        "access-control-allow-origin",
        "access-control-allow-credentials",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-max-age",
        "access-control-expose-headers",
    }
)
_FORBIDDEN_RESPONSE_HEADERS = frozenset({"set-cookie", "set-cookie2"})
_PROHIBITED_RESPONSE_HEADERS = frozenset(
    {
        "origin",
        "access-control-request-method",
        "access-control-request-headers",
        "access-control-allow-methods",
        "access-control-allow-headers",
        "access-control-max-age",
    }
)
# Fetch's CORS-safelisted response-header names: exposed anyway, so listing them changes nothing.
_SAFELISTED_RESPONSE_HEADERS = frozenset(
    {
        "cache-control",
        "content-language",
        "content-length",
        "content-type",
        "expires",
        "last-modified",
        "pragma",
    }
)
MAX_AGE_DEFAULT = 5  # what browsers cache a preflight for without the header
MAX_AGE_UPPER_BOUND = 86400  # Firefox's cap, the highest of the browsers'
MAX_AGE_DISABLE = -1  # jub0bs's sentinel: send "0", no caching at all
AUTHORIZATION = "authorization"


@dataclass(frozen=True, slots=True)
class FetchProblem:
    """One problem of a fetch-profile option set: its id, the option it came from, the value at
    fault (None when the option is missing) and why."""

    id: str
    option: str
    value: Any
    message: str

    def __str__(self) -> str:
        return f"{self.option}: {self.message} [{self.id}]"


class FetchConfigError(TypeError, ValueError):
    """Every problem of a fetch-profile option set, raised at once. Both a TypeError and a
    ValueError, as the compat profile raises one or the other for a refused option."""

    def __init__(self, problems: list[FetchProblem]) -> None:
        self.problems = tuple(problems)
        listed = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"the fetch profile refuses {len(problems)} option value(s):\n{listed}")


@dataclass(frozen=True, slots=True, eq=False)
class FetchConfig:
    """A compiled, frozen fetch-profile policy: everything the decision reads, precomputed. Equal
    only to itself, so hashing it (the memo's key) costs nothing."""

    origins: OriginSet | None  # None: every origin ("*")
    credentialed: bool
    any_method: bool
    methods: frozenset[str]  # the allowed non-safelisted methods, as compared with the request's
    wildcard_request_headers: bool
    request_headers: tuple[str, ...]  # sorted, lower-case, unique: the order ACRH must come in
    request_header_set: frozenset[str]
    request_headers_max_len: int
    acah: str  # what a wildcard or debug answer puts in Access-Control-Allow-Headers; "" for none
    aceh: str  # Access-Control-Expose-Headers; "" for none
    acma: str  # Access-Control-Max-Age; "" for none
    preflight: bool  # whether any preflight can succeed at all
    tolerate_insecure_origins: bool
    tolerate_subdomains_of_public_suffixes: bool
    # The callable among the origins, asked (by the middleware) when no pattern allows an origin.
    origin_check: OriginCheck | None = None
    # What Vary says of an answer the callable decided: Origin, then the headers it declares.
    origin_vary: str = "Origin"

    @property
    def allows_any_origin(self) -> bool:
        return self.origins is None


def is_token(name: str) -> bool:
    """An HTTP token (RFC 9110): what a method or a header name must be."""
    return bool(name) and set(name) <= _TOKEN_CHARS


def _items(option: str, value: Any, problems: list[FetchProblem]) -> list[str]:
    """A list option's strings; a single string is one item (as Flask-CORS users write it)."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    if isinstance(value, Iterable) and not isinstance(value, (bytes, Mapping)):
        items = list(value)
        wrong = [item for item in items if not isinstance(item, str)]
        if not wrong:
            return items
        problems.append(
            FetchProblem("fetch.E017", option, wrong[0], f"items must be strings, got {wrong[0]!r}")
        )
        return [item for item in items if isinstance(item, str)]
    problems.append(
        FetchProblem("fetch.E017", option, value, f"must be a string or a list of strings, got {value!r}")
    )
    return []


def _flag(option: str, options: Mapping[str, Any], problems: list[FetchProblem]) -> bool:
    value = options.get(option, False)
    if value is None:
        return False  # None is an omitted option, as everywhere in Python
    if not isinstance(value, bool):
        problems.append(FetchProblem("fetch.E017", option, value, f"must be True or False, got {value!r}"))
        return False
    return value


def _origin_check(value: Any, problems: list[FetchProblem]) -> tuple[Any, OriginCheck | None]:
    """The origins without their callable, and the callable compiled (None without one)."""
    if is_origin_check(value):
        return [], as_origin_check(value)
    if isinstance(value, (str, bytes, Mapping)) or not isinstance(value, Iterable):
        return value, None  # _items reports what is wrong with it
    items = list(value)
    checks = [item for item in items if is_origin_check(item)]
    if not checks:
        return items, None
    if len(checks) > 1:
        problems.append(
            FetchProblem(
                "fetch.E020",
                "origins",
                checks[1],
                f"{len(checks)} callables: at most one, which decides every origin the patterns do not",
            )
        )
    return [item for item in items if not is_origin_check(item)], as_origin_check(checks[0])


def _origins(
    values: list[str],
    credentialed: bool,
    tolerate_insecure: bool,
    tolerate_psl: bool,
    problems: list[FetchProblem],
    check: OriginCheck | None = None,
) -> OriginSet | None:
    if not values and check is not None:
        return OriginSet(())  # the callable decides every origin
    if not values:
        problems.append(
            FetchProblem("fetch.E001", "origins", None, "at least one origin pattern is required")
        )
        return OriginSet(())
    any_origin = False
    patterns: list[Pattern] = []
    for raw in values:
        if raw == "*" and check is not None:
            # "*" answers every origin the same, so the callable could never change an answer.
            problems.append(
                FetchProblem(
                    "fetch.E019",
                    "origins",
                    raw,
                    f'"*" beside the callable {check!r}: "*" allows every origin, drop one of them',
                )
            )
            continue
        if raw == "*":
            if credentialed:
                # Browsers refuse "*" with credentials, and reflecting any origin instead would
                # let every site read credentialed answers.
                problems.append(
                    FetchProblem(
                        "fetch.E004", "origins", raw, '"*" with supports_credentials: list the origins'
                    )
                )
            else:
                any_origin = True
            continue
        try:
            pattern = parse_pattern(raw)
        except PatternError as exc:
            id_ = "fetch.E002" if exc.reason == "invalid" else "fetch.E003"
            problems.append(FetchProblem(id_, "origins", raw, f"{exc.reason} origin pattern: {exc}"))
            continue
        # Without credentials an insecure origin or a public suffix's subdomains are no worse than
        # "*", which needs no dangerous option either.
        if credentialed and not tolerate_insecure and pattern.insecure:
            problems.append(
                FetchProblem(
                    "fetch.E005",
                    "origins",
                    raw,
                    f"insecure origin {raw!r} with credentials: a network attacker can speak for it "
                    "(set dangerously_tolerate_insecure_origins=True to allow it anyway)",
                )
            )
            continue
        if credentialed and not tolerate_psl and pattern.public_suffix_subdomains:
            problems.append(
                FetchProblem(
                    "fetch.E006",
                    "origins",
                    raw,
                    f"{raw!r} allows subdomains of a public suffix, which anyone can register "
                    "(set dangerously_tolerate_subdomains_of_public_suffixes=True to allow it anyway)",
                )
            )
            continue
        patterns.append(pattern)
    if any_origin:
        return None
    unique = {str(p): p for p in patterns}
    return OriginSet(tuple(unique[key] for key in sorted(unique)))


def normalize_method(name: str) -> str:
    upper = name.upper()
    return upper if upper in NORMALIZED_METHODS else name


def _methods(values: list[str], problems: list[FetchProblem]) -> tuple[bool, frozenset[str]]:
    any_method = False
    allowed: set[str] = set()
    for name in values:
        if name == "*":
            any_method = True
            continue
        if not is_token(name):
            problems.append(
                FetchProblem("fetch.E007", "methods", name, f"{name!r} is not a valid method name")
            )
            continue
        name = normalize_method(name)
        if name in SAFELISTED_METHODS:
            continue  # allowed by the CORS protocol anyway
        if name.upper() in FORBIDDEN_METHODS:
            problems.append(
                FetchProblem("fetch.E008", "methods", name, f"{name!r} is a method browsers refuse to send")
            )
            continue
        allowed.add(name)
    return any_method, frozenset() if any_method else frozenset(allowed)


def _request_headers(
    values: list[str], credentialed: bool, problems: list[FetchProblem]
) -> tuple[bool, tuple[str, ...], str]:
    wildcard = False
    authorization = False
    allowed: set[str] = set()
    before = len(problems)
    for name in values:
        if name == "*":
            wildcard = True
            continue
        if not is_token(name):
            problems.append(
                FetchProblem("fetch.E009", "allow_headers", name, f"{name!r} is not a valid header name")
            )
            continue
        # Browsers lower-case the names they list in Access-Control-Request-Headers.
        lower = name.lower()
        if lower == AUTHORIZATION:
            # "*" never covers Authorization (Fetch), so it is kept even beside "*".
            authorization = True
            allowed.add(lower)
            continue
        if lower in FORBIDDEN_REQUEST_HEADERS or lower.startswith(("proxy-", "sec-")):
            problems.append(
                FetchProblem(
                    "fetch.E010", "allow_headers", name, f"{name!r} is a header browsers set themselves"
                )
            )
            continue
        if lower in _PROHIBITED_REQUEST_HEADERS:
            problems.append(
                FetchProblem("fetch.E011", "allow_headers", name, f"{name!r} is a response header of CORS")
            )
            continue
        allowed.add(lower)
    if len(problems) > before:
        return False, (), ""
    if wildcard:
        allowed = {AUTHORIZATION} if authorization else set()
        if not credentialed:
            return True, tuple(sorted(allowed)), "*,authorization" if authorization else "*"
        return True, tuple(sorted(allowed)), ",".join(sorted(allowed))
    ordered = tuple(sorted(allowed))
    return False, ordered, ",".join(ordered)


def _max_age(value: Any, problems: list[FetchProblem]) -> str:
    if isinstance(value, bool) or not isinstance(value, int):
        problems.append(
            FetchProblem("fetch.E017", "max_age", value, f"must be a whole number of seconds, got {value!r}")
        )
        return ""
    if not MAX_AGE_DISABLE <= value <= MAX_AGE_UPPER_BOUND:
        problems.append(
            FetchProblem(
                "fetch.E012",
                "max_age",
                value,
                f"{value} is out of bounds: 0 (or omitted) for browsers' default of {MAX_AGE_DEFAULT} s, "
                f"-1 to disable caching, at most {MAX_AGE_UPPER_BOUND}",
            )
        )
        return ""
    if value == 0:
        return ""
    return "0" if value == MAX_AGE_DISABLE else str(value)


def _expose_headers(values: list[str], credentialed: bool, problems: list[FetchProblem]) -> str:
    expose_all = False
    exposed: set[str] = set()
    before = len(problems)
    for name in values:
        if name == "*":
            if credentialed:
                # With credentials "*" is a literal name to browsers: every name must be listed.
                problems.append(
                    FetchProblem(
                        "fetch.E016",
                        "expose_headers",
                        name,
                        '"*" with supports_credentials: browsers then read it as a header named "*"; '
                        "list the headers",
                    )
                )
                continue
            expose_all = True
            continue
        if not is_token(name):
            problems.append(
                FetchProblem("fetch.E013", "expose_headers", name, f"{name!r} is not a valid header name")
            )
            continue
        lower = name.lower()
        if lower in _FORBIDDEN_RESPONSE_HEADERS:
            problems.append(
                FetchProblem(
                    "fetch.E014", "expose_headers", name, f"{name!r} can never be exposed to scripts"
                )
            )
            continue
        if lower in _PROHIBITED_RESPONSE_HEADERS:
            problems.append(
                FetchProblem("fetch.E015", "expose_headers", name, f"{name!r} has no place in a response")
            )
            continue
        if lower in _SAFELISTED_RESPONSE_HEADERS:
            continue  # exposed anyway
        exposed.add(lower)
    if len(problems) > before:
        return ""
    if expose_all:
        return "*"
    return ",".join(sorted(exposed))


def fetch_problems(options: Mapping[str, Any]) -> list[FetchProblem]:
    """Every problem of a fetch-profile option set, in jub0bs's order (`profile` itself, when
    present, must be "fetch")."""
    rest = dict(options)
    profile = rest.pop("profile", "fetch")
    problems = _compile(rest)[1]
    if profile != "fetch":
        problems.insert(0, FetchProblem("fetch.E018", "profile", profile, "must be 'flask_cors' or 'fetch'"))
    return problems


def compile_fetch(options: Mapping[str, Any]) -> FetchConfig:
    """The frozen policy of an option set, or FetchConfigError listing every problem."""
    config, problems = _compile(options)
    if problems:
        raise FetchConfigError(problems)
    return config


def _compile(options: Mapping[str, Any]) -> tuple[FetchConfig, list[FetchProblem]]:
    problems: list[FetchProblem] = []
    for name in options:
        if name in OPTION_NAMES:
            continue
        hint = _COMPAT_ONLY.get(name)
        message = f"{name!r} is not an option of the fetch profile" + (f": {hint}" if hint else "")
        problems.append(FetchProblem("fetch.E018", name, options[name], message))
    credentialed = _flag("supports_credentials", options, problems)
    tolerate_insecure = _flag("dangerously_tolerate_insecure_origins", options, problems)
    tolerate_psl = _flag("dangerously_tolerate_subdomains_of_public_suffixes", options, problems)
    _flag("debug", options, problems)
    origin_values, check = _origin_check(options.get("origins"), problems)
    origins = _origins(
        _items("origins", origin_values, problems),
        credentialed,
        tolerate_insecure,
        tolerate_psl,
        problems,
        check,
    )
    any_method, methods = _methods(_items("methods", options.get("methods"), problems), problems)
    wildcard_headers, request_headers, acah = _request_headers(
        _items("allow_headers", options.get("allow_headers"), problems), credentialed, problems
    )
    max_age = options.get("max_age")
    acma = _max_age(0 if max_age is None else max_age, problems)
    aceh = _expose_headers(
        _items("expose_headers", options.get("expose_headers"), problems), credentialed, problems
    )
    config = FetchConfig(
        origins=origins,
        credentialed=credentialed,
        any_method=any_method,
        methods=methods,
        wildcard_request_headers=wildcard_headers,
        request_headers=request_headers,
        request_header_set=frozenset(request_headers),
        request_headers_max_len=max((len(name) for name in request_headers), default=0),
        acah=acah,
        aceh=aceh,
        acma=acma,
        preflight=any_method or bool(methods) or wildcard_headers or bool(request_headers),
        tolerate_insecure_origins=tolerate_insecure,
        tolerate_subdomains_of_public_suffixes=tolerate_psl,
        origin_check=check,
        origin_vary="Origin" if check is None else check.vary_value(),
    )
    return config, problems

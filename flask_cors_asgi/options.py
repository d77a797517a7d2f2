"""Flask-CORS 6.0.5 options: names, defaults, and their compilation into frozen policies.

Everything here runs once, when the middleware or the decorator is built. The request path only
reads the `Policy` and `Resource` objects this module produces.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import timedelta
from types import MappingProxyType
from typing import Any, TypedDict

from flask_cors_asgi.dynamic import CheckFunction, OriginCheck, as_origin_check, is_origin_check

Pattern = re.Pattern[str]
PatternInput = str | Pattern

# Flask-CORS's ALL_METHODS, in its order (the order only matters before sorting, as in Flask-CORS).
ALL_METHODS = ("GET", "HEAD", "POST", "OPTIONS", "PUT", "PATCH", "DELETE")

# Flask-CORS's DEFAULT_OPTIONS, key for key.
DEFAULTS: Mapping[str, Any] = MappingProxyType(
    {
        "origins": "*",
        "methods": ALL_METHODS,
        "allow_headers": "*",
        "expose_headers": None,
        "supports_credentials": False,
        "max_age": None,
        "send_wildcard": False,
        "automatic_options": True,
        "vary_header": True,
        "resources": r"/*",
        "intercept_exceptions": True,
        "always_send": True,
        "allow_private_network": False,
    }
)
# What `cross_origin` takes: Flask-CORS's CrossOriginOptionsInput (no resources, no intercept_exceptions).
ROUTE_OPTION_NAMES = frozenset(DEFAULTS) - {"resources", "intercept_exceptions"}


def config_key(name: str) -> str:
    """The app config key that sets option `name`, as Flask-CORS spells it (its
    get_app_kwarg_dict: "max_age" is set by "CORS_MAX_AGE")."""
    return f"CORS_{name.upper()}"


# Flask-CORS's CONFIG_OPTIONS, each app config key with the option it sets: the one map of CORS_* keys.
CONFIG_KEYS: Mapping[str, str] = MappingProxyType({config_key(name): name for name in DEFAULTS})

# Flask-CORS treats a string as a regex iff it holds one of these (`probably_regex`). `.`, `+`, `{`,
# `}` and `|` are deliberately absent: "https://a.com" and "/a|/b" are literals there, and here.
_REGEX_HINT_CHARS = frozenset("*\\]?$^[()")
# Characters no header value may carry; Werkzeug raises at request time, we refuse at start-up.
_FORBIDDEN_IN_HEADER = re.compile(r"[\r\n\x00]")

_BOOL_OPTIONS = (
    "supports_credentials",
    "send_wildcard",
    "always_send",
    "vary_header",
    "automatic_options",
    "allow_private_network",
    "intercept_exceptions",
)


class RouteOptions(TypedDict, total=False):
    """Keyword options of `cross_origin` (Flask-CORS's names and accepted types)."""

    origins: PatternInput | CheckFunction | OriginCheck | Iterable[PatternInput | CheckFunction | OriginCheck]
    methods: str | Iterable[str] | None
    allow_headers: PatternInput | Iterable[PatternInput]
    expose_headers: str | Iterable[str] | None
    supports_credentials: bool
    max_age: timedelta | int | float | str | None
    send_wildcard: bool
    always_send: bool
    vary_header: bool
    automatic_options: bool
    allow_private_network: bool


ResourcesInput = PatternInput | Iterable[PatternInput] | Mapping[PatternInput, Mapping[str, Any]]


class CORSOptions(RouteOptions, total=False):
    """Keyword options of `CORSMiddleware`: the route options plus the app-level ones."""

    resources: ResourcesInput
    intercept_exceptions: bool


@dataclass(frozen=True, slots=True, eq=False)
class Policy:
    """One resource's options, compiled: everything the per-request decision reads.

    Compared and hashed by identity, so a policy is a cheap cache key."""

    # Origins: literals compare case-insensitively (casefolded here once), regexes with re.match.
    origin_literals: frozenset[str]
    origin_regexes: tuple[Pattern, ...]
    # The same regexes as few patterns as can be (one alternation where that means the same): one
    # C-level match per request rather than one Python call per regex.
    origin_matchers: tuple[Pattern, ...]
    # Flask-CORS's `len(options.origins)`: duplicates count, and it drives the Vary rule.
    origin_count: int
    allow_all_origins: bool
    # What `always_send` emits when a request has no Origin: sorted literal origins, first one only.
    no_origin_value: str | None
    no_origin_count: int
    header_literals: frozenset[str]
    header_matchers: tuple[Pattern, ...]
    # A header regex that is ".*" (Flask-CORS's default "*"): every requested item matches.
    header_match_all: bool
    methods: str | None
    expose_headers: str | None
    max_age: str | None
    supports_credentials: bool
    send_wildcard: bool
    always_send: bool
    vary_header: bool
    automatic_options: bool
    allow_private_network: bool
    # A callable asked, at request time, about origins the literals and regexes do not admit
    # (flask_cors_asgi.dynamic); the Vary value of the answers it decides.
    origin_check: OriginCheck | None = None
    origin_vary: str = "Origin"


@dataclass(frozen=True, slots=True)
class Resource:
    """A path pattern (literal string or compiled regex) and the policy for paths it matches."""

    pattern: PatternInput
    policy: Policy

    def matches(self, path: str) -> bool:
        if isinstance(self.pattern, str):
            return path == self.pattern  # Flask-CORS: literal paths compare case-sensitively.
        return self.pattern.match(path) is not None  # re.match: anchored at the start only.


def unknown_names(
    names: Iterable[str], valid: Iterable[str], *, cutoff: float = 0.5
) -> dict[str, str | None]:
    """The one "unknown option" check: each of `names` not in `valid` (option names, or `CORS_*`
    keys), in sorted order, with the valid name closest to it (None when none is as close as
    `cutoff`, difflib's similarity ratio), for a "did you mean" hint. Names sharing a prefix (`CORS_`)
    are similar through it alone: a higher cutoff keeps unrelated ones from being suggested."""
    valid = sorted(valid)
    known = frozenset(valid)
    return {
        name: next(iter(difflib.get_close_matches(name, valid, n=1, cutoff=cutoff)), None)
        for name in sorted(names)
        if name not in known
    }


def unknown_option_error(names: Iterable[str], valid: Iterable[str], where: str) -> TypeError:
    """The error for option names Flask-CORS would log and ignore (our deliberate improvement)."""
    valid = sorted(valid)
    problems = []
    for name, close in unknown_names(names, valid).items():
        hint = f"; did you mean {close!r}?" if close else f"; valid options: {', '.join(valid)}"
        problems.append(f"unknown CORS option {name!r}{hint}")
    return TypeError(f"{where}: " + "; ".join(problems))


def check_names(options: Mapping[str, Any], valid: Iterable[str], where: str) -> None:
    valid = frozenset(valid)
    unknown = [name for name in options if name not in valid]
    if unknown:
        raise unknown_option_error(unknown, valid, where)


def config_options(config: Mapping[str, Any] | None, where: str = "config") -> dict[str, Any]:
    """Flask-CORS's `get_app_kwarg_dict`: the options an app config sets, by option name. Keys
    without the CORS_ prefix belong to the rest of the app and are ignored, as are None values (as
    in Flask-CORS); an unknown CORS_ key (CORS_HEADERS) raises TypeError, where Flask-CORS ignores
    it (the same deliberate improvement as for unknown option names)."""
    if not config:
        return {}
    check_names({key: None for key in config if key.startswith("CORS_")}, CONFIG_KEYS, where)
    return {
        CONFIG_KEYS[key]: value for key, value in config.items() if key in CONFIG_KEYS and value is not None
    }


def resolve_options(
    options: Mapping[str, Any] | None = None,
    *,
    config: Mapping[str, Any] | None = None,
    resource: Mapping[str, Any] | None = None,
    valid: Iterable[str] = DEFAULTS,
    where: str = "CORS options",
    defaults: bool = True,
) -> dict[str, Any]:
    """Flask-CORS's layering of options, the one place it is written: its defaults, under the app
    config's `CORS_*` keys (`config`, e.g. a Flask app's `app.config`), under the arguments
    (`options`, as given to `CORS(app, ...)` or `cross_origin(...)`), under a resource's own options
    (`resource`, a value of the `resources` dict). The last layer that sets an option wins.

    Each layer's names are checked: `options` against `valid` (`ROUTE_OPTION_NAMES` for the
    decorator), `resource` against every option, `config`'s CORS_ keys against `CONFIG_KEYS`; an
    unknown one raises TypeError naming it and `where`. Values are not checked here (that is
    `compile_policy`'s job). `defaults=False` leaves Flask-CORS's defaults out: only what was
    written, for tools that tell the two apart.

        >>> resolve_options({"max_age": 600}, config={"CORS_ORIGINS": ["https://a.example"]})["origins"]
        ['https://a.example']
    """
    options = options or {}
    check_names(options, valid, where)
    layers = [config_options(config, f"{where} config"), options]
    if resource is not None:
        check_names(resource, DEFAULTS, where)
        layers.append(resource)
    merged: dict[str, Any] = dict(DEFAULTS) if defaults else {}
    for layer in layers:
        merged.update(layer)
    return merged


@dataclass(frozen=True, slots=True, eq=False)
class AppConfig:
    """An app's `CORS_*` configuration, checked once (`config_options`); compared and hashed by
    identity, so a route's policy under it is compiled once (`RoutePolicies`)."""

    keys: Mapping[str, Any]

    @classmethod
    def of(cls, config: Mapping[str, Any] | None, where: str) -> AppConfig | None:
        """None for no configuration (or one without CORS_ keys): Flask-CORS's defaults apply."""
        if config_options(config, f"{where} config") == {}:
            return None
        assert config is not None
        return cls(MappingProxyType({k: v for k, v in config.items() if k.startswith("CORS_")}))


class RoutePolicies:
    """A `cross_origin` route's options, compiled over each app configuration it meets: Flask-CORS's
    decorator layers its arguments over the `CORS_*` config of the app serving the request."""

    def __init__(self, options: Mapping[str, Any], where: str = "cross_origin()") -> None:
        self.options = MappingProxyType(dict(options))
        self.where = where
        self.default = compile_policy(resolve_options(options, valid=ROUTE_OPTION_NAMES, where=where))
        # Flask-CORS's decorator takes over the route's OPTIONS when decorating, from its arguments
        # alone; the app config's CORS_AUTOMATIC_OPTIONS only decides, per request, whether it then
        # answers with Flask's default OPTIONS response or calls the view (its headers either way).
        self.takes_options: bool = self.default.automatic_options
        self._under: dict[AppConfig, Policy] = {}

    def policy(self, config: AppConfig | None) -> Policy:
        if config is None:
            return self.default
        policy = self._under.get(config)
        if policy is None:
            merged = resolve_options(
                self.options, config=config.keys, valid=ROUTE_OPTION_NAMES, where=self.where
            )
            policy = self._under[config] = compile_policy(merged)
        return policy


def is_regex(value: PatternInput) -> bool:
    """Flask-CORS's `probably_regex` heuristic."""
    return isinstance(value, re.Pattern) or not _REGEX_HINT_CHARS.isdisjoint(value)


def as_items(value: Any) -> list[Any]:
    """Flask-CORS's `ensure_iterable`: a string, a pattern or any other scalar is a one-item list."""
    if isinstance(value, (str, re.Pattern)) or not isinstance(value, Iterable):
        return [value]
    return list(value)


def _as_list(name: str, value: Any, item_types: tuple[type, ...]) -> list[Any]:
    """`as_items`, with each item's type checked."""
    items = as_items(value)
    for item in items:
        if not isinstance(item, item_types):
            kinds = " or ".join(t.__name__ for t in item_types)
            raise TypeError(f"CORS option {name!r}: expected {kinds} items, got {item!r}")
    return items


def _compile(name: str, pattern: PatternInput, flags: int) -> PatternInput:
    """Compile a regex-looking string; leave literals and user-compiled patterns (own flags) alone."""
    if isinstance(pattern, str) and is_regex(pattern):
        try:
            return re.compile(pattern, flags)
        except re.error as exc:
            # Flask-CORS 6.0.4+: the same ValueError, raised when CORS() is configured.
            raise ValueError(
                f"Invalid regular expression in Flask-CORS configuration: {pattern!r} (option {name!r})"
            ) from exc
    return pattern


# What keeps a pattern from joining an alternation: a backreference (its group number would move),
# a conditional on a group, or a group name another pattern may use too.
_NOT_JOINABLE = re.compile(r"\\[1-9]|\(\?P[=<]|\(\?\(|\(\?<[A-Za-z_]")


def combined(regexes: tuple[Pattern, ...]) -> tuple[Pattern, ...]:
    """The regexes as one alternation, `(?:a)|(?:b)|...`, which matches at the start of a string
    exactly when one of them does (re.match tries each alternative in turn); unchanged where that
    is not sure: user-compiled patterns (their own flags), backreferences, group names, patterns
    that do not compile together (an inline global flag)."""
    flags = re.compile("", re.IGNORECASE).flags  # what _compile gives a regex string
    if len(regexes) < 2 or any(r.flags != flags or _NOT_JOINABLE.search(r.pattern) for r in regexes):
        return regexes
    try:
        return (re.compile("|".join(f"(?:{r.pattern})" for r in regexes), re.IGNORECASE),)
    except re.error:
        return regexes


def _star(pattern: PatternInput) -> PatternInput:
    """Flask-CORS's `re_fix`: the bare string "*" means the regex ".*"."""
    return ".*" if pattern == "*" else pattern


def _patterns(name: str, value: Any) -> list[PatternInput]:
    return [_star(p) for p in _as_list(name, value, (str, re.Pattern))]


def _split(compiled: Iterable[PatternInput]) -> tuple[frozenset[str], tuple[Pattern, ...]]:
    literals = frozenset(p.casefold() for p in compiled if isinstance(p, str))
    return literals, tuple(p for p in compiled if isinstance(p, re.Pattern))


def _joined(name: str, value: Any) -> str | None:
    """Flask-CORS's `flexible_str`: a non-string iterable is sorted, then joined with ", "."""
    if value is None:
        return None
    text = value if isinstance(value, str) else ", ".join(sorted(_as_list(name, value, (str,))))
    return _header_safe(name, text)


def _header_safe(name: str, text: str) -> str:
    if _FORBIDDEN_IN_HEADER.search(text):
        raise ValueError(f"CORS option {name!r}: header values cannot contain CR, LF or NUL: {text!r}")
    try:
        text.encode("latin-1")
    except UnicodeEncodeError:
        raise ValueError(f"CORS option {name!r}: header values must be latin-1 text: {text!r}") from None
    return text


def _max_age(value: Any) -> str | None:
    if isinstance(value, bool) or not isinstance(value, (timedelta, int, float, str, type(None))):
        raise TypeError(f"CORS option 'max_age': expected timedelta, int, float, str or None, got {value!r}")
    if isinstance(value, timedelta):
        # Flask-CORS: whole seconds, truncated; timedelta(0) is "0", which is sent.
        return str(int(value.total_seconds()))
    # Flask-CORS drops falsy values, so max_age=0 sends nothing while "0" sends "0".
    return _header_safe("max_age", str(value)) if value else None


def compile_policy(options: Mapping[str, Any]) -> Policy:
    """Compile one complete set of options (defaults already merged in) into a `Policy`."""
    for name in _BOOL_OPTIONS:
        if not isinstance(options[name], bool):
            raise TypeError(f"CORS option {name!r}: expected True or False, got {options[name]!r}")

    origin_items = as_items(options["origins"])
    checks = [as_origin_check(item) for item in origin_items if is_origin_check(item)]
    if len(checks) > 1:
        raise ValueError("CORS option 'origins': at most one callable; decide every case in one function")
    origins = _patterns("origins", [item for item in origin_items if not is_origin_check(item)])
    # Flask-CORS: "all origins" means the string "*" (or ".*") is in the list; re.compile(".*") is not.
    allow_all = ".*" in origins
    if allow_all and options["supports_credentials"] and options["send_wildcard"]:
        # Flask-CORS refuses this combination when CORS() is called (its message lacks a space).
        raise ValueError(
            "Cannot use supports_credentials in conjunction withan origin string of '*'. "
            "See: http://www.w3.org/TR/cors/#resource-requests"
        )
    compiled_origins = [_compile("origins", o, re.IGNORECASE) for o in origins]
    origin_literals, origin_regexes = _split(compiled_origins)
    # always_send without an Origin: Flask-CORS sends the sorted literals, which a Werkzeug MultiDict
    # collapses to the first one.
    literal_origins = sorted(o for o in compiled_origins if isinstance(o, str))
    for literal in literal_origins:
        _header_safe("origins", literal)
    if "" in literal_origins:
        # Deliberate difference: Flask-CORS accepts "" (it never matches, since an empty Origin
        # counts as absent) and then sends CORS headers without an ACAO, twice on error responses.
        raise ValueError("CORS option 'origins': the empty string is not an origin")

    headers = [
        _compile("allow_headers", h, re.IGNORECASE)
        for h in _patterns("allow_headers", options["allow_headers"])
    ]
    header_literals, header_regexes = _split(headers)

    methods = _joined("methods", options["methods"])
    return Policy(
        origin_literals=origin_literals,
        origin_regexes=origin_regexes,
        origin_matchers=combined(origin_regexes),
        # A callable counts as one more origin: answers may differ by origin, so Vary applies.
        origin_count=len(compiled_origins) + len(checks),
        allow_all_origins=allow_all,
        no_origin_value=literal_origins[0] if literal_origins else None,
        no_origin_count=len(literal_origins),
        header_literals=header_literals,
        header_matchers=combined(header_regexes),
        header_match_all=any(regex.pattern == ".*" for regex in header_regexes),
        # Flask-CORS upper-cases the joined string, so ["get", "POST"] sorts first: "POST, GET".
        methods=methods.upper() if methods is not None else None,
        expose_headers=_joined("expose_headers", options["expose_headers"]),
        max_age=_max_age(options["max_age"]),
        supports_credentials=options["supports_credentials"],
        send_wildcard=options["send_wildcard"],
        always_send=options["always_send"],
        vary_header=options["vary_header"],
        automatic_options=options["automatic_options"],
        allow_private_network=options["allow_private_network"],
        origin_check=checks[0] if checks else None,
        origin_vary=checks[0].vary_value() if checks else "Origin",
    )


def resource_sort_key(pattern: PatternInput) -> tuple[int, int, int]:
    """Flask-CORS 6.0.1+ order for a resources dict: literals, then compiled patterns, then regex
    strings; within a group more "/" first, then longer first; ties keep insertion order."""
    if isinstance(pattern, re.Pattern):
        return (1, -pattern.pattern.count("/"), -len(pattern.pattern))
    if is_regex(pattern):
        return (2, -pattern.count("/"), -len(pattern))
    return (0, -pattern.count("/"), -len(pattern))


def compile_options(
    options: Mapping[str, Any], where: str, config: Mapping[str, Any] | None = None
) -> tuple[Resource, ...]:
    """Everything `CORS(app, **options)` validates, compiled: the option names, the app-level
    policy (validated even where every resource overrides it, as Flask-CORS does) and each
    resource's policy, over the app config's `CORS_*` keys (`config`). Raises TypeError or
    ValueError for options it refuses."""
    merged = resolve_options(options, config=config, where=where)
    compile_policy(merged)
    return compile_resources(merged, where)


def compile_resources(options: Mapping[str, Any], where: str) -> tuple[Resource, ...]:
    """Compile `resources` with the app-level options as each resource's base, as Flask-CORS does."""
    spec = options["resources"]
    entries: list[tuple[PatternInput, Mapping[str, Any]]]
    if isinstance(spec, Mapping):
        entries = []
        for pattern, resource_options in spec.items():
            if not isinstance(pattern, (str, re.Pattern)):
                raise ValueError(
                    f"Unexpected value for resources argument: key {pattern!r} is not a pattern."
                )
            if not isinstance(resource_options, Mapping):
                raise ValueError(
                    f"Unexpected value for resources argument: options for {pattern!r} must be a dict."
                )
            entries.append((_star(pattern), resource_options))
        entries.sort(key=lambda entry: resource_sort_key(entry[0]))  # stable: ties keep dict order
    elif isinstance(spec, (str, re.Pattern)):
        entries = [(_star(spec), {})]
    elif isinstance(spec, Iterable):
        entries = []
        for pattern in spec:  # a list keeps its own order: Flask-CORS does not sort it
            if not isinstance(pattern, (str, re.Pattern)):
                raise ValueError(f"Unexpected value for resources argument: {pattern!r} is not a pattern.")
            entries.append((_star(pattern), {}))
    else:
        # Flask-CORS raises this very ValueError for any other type.
        raise ValueError("Unexpected value for resources argument.")

    resources = []
    for pattern, resource_options in entries:
        # `intercept_exceptions` is global only in Flask-CORS: a per-resource value is ignored.
        merged = resolve_options(options, resource=resource_options, where=f"{where} resource {pattern!r}")
        merged["intercept_exceptions"] = options["intercept_exceptions"]
        # Paths are matched case-sensitively: regex strings compile without flags.
        resources.append(Resource(_compile("resources", pattern, 0), compile_policy(merged)))
    return tuple(resources)

"""The audit of an option set: what in a Flask-CORS configuration is broken or unsafe.

`audit(**options)` takes what `CORSMiddleware` (or `cross_origin`) takes and returns every problem
at once, each with a stable id, the option it is about and a hint (django-cors-headers' checks
style). It is pure: it reads the options, compiles nothing into a middleware and never raises for
a bad option set (the engine's refusal is itself a problem, E011). The service's settings checks,
the conformance toolkit's `from-flask` and a library user's own tests all call it.

    >>> [p.id for p in audit(origins="*", supports_credentials=True)]
    ['E005', 'E008']

| id | problem |
|---|---|
| E002 | malformed origin: no scheme, a path or trailing slash, a shell glob (`https://*.a.example`) |
| E003 | invalid regular expression |
| E004 | regex origin not anchored at its end: Flask-CORS matches a prefix, so `.evil.net` suffixes pass |
| E005 | wildcard origin: every site may call the API |
| E006 | `null` origin: sandboxed frames and local files of any site send it |
| E007 | plain-http origin that is not localhost |
| E008 | credentials with every origin allowed: any site reads credentialed answers |
| E009 | `max_age` that is not a whole number of seconds |
| E011 | an option set the engine refuses (the engine's own TypeError or ValueError) |
| E012 | regex origin with an unescaped `.`, which matches any character |
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from flask_cors_asgi.fetch import fetch_problems, translate_regex
from flask_cors_asgi.options import (
    DEFAULTS,
    PatternInput,
    as_items,
    compile_options,
    is_regex,
    resolve_options,
)

__all__ = ["CHECKS", "Problem", "audit", "printable"]

# Each id's short title: the table above, for reports that list what was checked.
CHECKS: Mapping[str, str] = {
    "E002": "malformed origin",
    "E003": "invalid regular expression",
    "E004": "regex origin not anchored at its end",
    "E005": "wildcard origin",
    "E006": "null origin",
    "E007": "plain-http origin",
    "E008": "credentials with every origin allowed",
    "E009": "max_age not a whole number of seconds",
    "E011": "option set refused by the engine",
    "E012": "unescaped dot in a regex origin",
}

_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
# A shell glob such as https://*.example.com: Flask-CORS takes it as a regex that misses subdomains.
_GLOB = re.compile(r"(^|//)\*\.")
# A "." that is neither escaped nor quantified (".*", ".+" are deliberate), outside character classes.
_BARE_DOT = re.compile(r"(?<!\\)(?:\\\\)*\.(?![*+?{])")
_CHARACTER_CLASS = re.compile(r"\[(?:\\.|[^\]\\])*\]")


def printable(text: str) -> str:
    """`text` on one line: every non-printable character written as `repr` writes it (`\\n`,
    `\\x1b`), everything else, backslashes included, as it is."""
    if text.isprintable():
        return text
    return "".join(char if char.isprintable() else repr(char)[1:-1] for char in text)


def _shown(value: PatternInput) -> str:
    """A configured value as the user wrote it: a regex's own text, quoted, not Python's repr."""
    return f"'{printable(value.pattern if isinstance(value, re.Pattern) else value)}'"


@dataclass(frozen=True, slots=True)
class Problem:
    """One problem of an option set. `option` is the option's name; `resource` the `resources` key
    whose own options hold it, or None when the value is the app-level (or decorator) option."""

    id: str
    option: str
    message: str
    hint: str | None = None
    resource: PatternInput | None = None

    @property
    def where(self) -> str:
        """Where the value was written: `origins`, or `resources['/api/*'].origins`."""
        if self.resource is None:
            return self.option
        return f"resources[{_shown(self.resource)}].{self.option}"

    def __str__(self) -> str:
        hint = f" Hint: {self.hint}" if self.hint else ""
        return printable(f"{self.where}: {self.message} [{self.id}]{hint}")


def _regex_problems(origin: PatternInput) -> list[tuple[str, str, str | None]]:
    text = origin.pattern if isinstance(origin, re.Pattern) else origin
    if isinstance(origin, str):
        try:
            re.compile(origin)
        except re.error as exc:
            return [("E003", f"invalid regular expression {_shown(origin)}: {exc}", None)]
    problems: list[tuple[str, str, str | None]] = []
    if not text.endswith(("$", r"\Z")):
        problems.append(
            (
                "E004",
                f"regex {_shown(origin)} is not anchored at its end, so it also admits origins that "
                "merely start with a match (e.g. '.evil.net' suffixes)",
                "end it with $" + _strict_hint(text),
            )
        )
    if _BARE_DOT.search(_CHARACTER_CLASS.sub("", text)):
        problems.append(
            (
                "E012",
                f"regex {_shown(origin)} has an unescaped '.', which matches any character "
                "(https://www.a.example would also admit https://wwwxa.example)",
                r"escape it: \." + _strict_hint(text),
            )
        )
    return problems


def _strict_hint(regex: str) -> str:
    """The fetch profile's origin patterns for a regex, when some express it: no regex to get wrong."""
    translated = translate_regex(regex)
    if translated is None:
        return ""
    return f"; or, without regexes, profile='fetch' with origins {translated[0]!r}"


def _origin_problems(origin: Any) -> list[tuple[str, str, str | None]]:
    """(id, message, hint) for one configured origin."""
    if not isinstance(origin, (str, re.Pattern)):
        return []  # the engine refuses it (E011)
    if origin in ("*", ".*"):
        return [("E005", "allows every origin", "list the sites that may call the API")]
    if origin == "null":
        return [
            (
                "E006",
                "'null' is the origin of sandboxed frames and local files: any site can send it",
                "remove it",
            )
        ]
    if isinstance(origin, str) and _GLOB.search(origin):
        return [
            (
                "E002",
                f"{_shown(origin)} is a glob; Flask-CORS reads it as a regex that misses subdomains",
                r"use an anchored regex such as ^https://[a-z0-9-]+\.example\.com$",
            )
        ]
    if is_regex(origin):
        return _regex_problems(origin)
    assert isinstance(origin, str)
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return [("E002", f"{_shown(origin)} has no scheme", f"write it as https://{origin}")]
    if parts.path or parts.query or parts.fragment:
        return [
            (
                "E002",
                f"{_shown(origin)} has a path; an origin is scheme://host[:port]",
                f"write it as {parts.scheme}://{parts.netloc}",
            )
        ]
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        return [("E007", f"plain-http origin {_shown(origin)} (not localhost)", "use https")]
    return []


def _max_age_problem(value: Any, resource: PatternInput | None) -> Problem | None:
    """E009: Flask-CORS sends str(max_age), so "10.5", -5 or "abc" reach browsers, which ignore them."""
    if isinstance(value, str):
        whole = re.fullmatch(r"\s*\d+\s*", value) is not None
    elif isinstance(value, (int, float)) and not isinstance(value, bool):
        whole = isinstance(value, int) and value >= 0
    else:
        return None  # None, a timedelta (whole seconds are sent), or a type the engine refuses
    if whole:
        return None
    return Problem(
        "E009",
        "max_age",
        f"must be a whole number of seconds (got {_shown(str(value))})",
        "browsers ignore any other Access-Control-Max-Age",
        resource,
    )


def _allows_every_origin(origins: Any) -> bool:
    """Flask-CORS's own test: the string "*" (or ".*") among the origins."""
    return any(item in ("*", ".*") for item in as_items(origins))


def audit(config: Mapping[str, Any] | None = None, **options: Any) -> list[Problem]:
    """Every problem of `CORSMiddleware(app, config=config, **options)` (or `cross_origin(**options)`),
    in the order of the options; an empty list for a sound configuration. Never raises. `config` is
    the app's configuration (its `CORS_*` keys), layered under the options as Flask-CORS does."""
    if options.get("profile", "flask_cors") != "flask_cors":
        # The strict profile's problems are its own refusals, with their fetch.E ids.
        return [Problem(p.id, p.option, p.message) for p in fetch_problems(options)]
    options.pop("profile", None)
    refusal: Problem | None = None
    try:
        compile_options(options, "CORS options", config)
    except (TypeError, ValueError) as exc:
        refusal = Problem("E011", _refused_option(str(exc)), printable(str(exc)))
    # What was written, the app config's keys under the arguments, without Flask-CORS's defaults;
    # with an unknown name or key (the refusal above), the arguments alone.
    with contextlib.suppress(TypeError):
        options = resolve_options(options, config=config, defaults=False)

    problems: list[Problem] = []

    def add(problem: Problem) -> None:
        if problem not in problems:
            problems.append(problem)

    # Each origin once, where it was written: the app-level list, then each resource's own.
    spec = options.get("resources", DEFAULTS["resources"])
    entries = list(spec.items()) if isinstance(spec, Mapping) else []
    app_origins = options.get("origins", DEFAULTS["origins"])
    app_used = not entries or any(not (isinstance(o, Mapping) and "origins" in o) for _, o in entries)
    sources: list[tuple[PatternInput | None, Any]] = [(None, app_origins)] if app_used else []
    sources += [
        (pattern, own["origins"])
        for pattern, own in entries
        if isinstance(pattern, (str, re.Pattern)) and isinstance(own, Mapping) and "origins" in own
    ]
    for resource, origins in sources:
        if resource is None and "origins" not in options:
            continue  # Flask-CORS's default "*": stated once, below, only with credentials
        for origin in as_items(origins):
            for id_, message, hint in _origin_problems(origin):
                add(Problem(id_, "origins", message, hint, resource))
    if not app_used:
        # Never applied to a request, but Flask-CORS (and the engine) still compile them.
        for origin in as_items(app_origins):
            for id_, message, hint in _origin_problems(origin):
                if id_ == "E003":
                    add(Problem(id_, "origins", message, hint))

    for source_resource, own in [(None, options), *entries]:
        if isinstance(own, Mapping) and "max_age" in own:
            problem = _max_age_problem(own["max_age"], source_resource)
            if problem is not None:
                add(problem)

    # E008 per resource, from its effective options (app-level options under its own).
    for pattern, own in entries or [(None, {})]:
        if not isinstance(own, Mapping):
            continue
        try:
            merged = resolve_options(options, resource=own)
        except TypeError:
            continue  # an unknown name in the resource: the refusal above
        if merged["supports_credentials"] is True and _allows_every_origin(merged["origins"]):
            resource = pattern if "origins" in own or "supports_credentials" in own else None
            add(
                Problem(
                    "E008",
                    "origins" if resource is None else "supports_credentials",
                    "credentials with every origin allowed: Flask-CORS then reflects any origin "
                    "with Access-Control-Allow-Credentials: true",
                    "list the allowed origins",
                    resource,
                )
            )

    if refusal is not None and not any(p.id == "E003" for p in problems):
        problems.append(refusal)  # an invalid regex is the refusal itself, already reported
    return problems


def _refused_option(message: str) -> str:
    """The option an engine refusal names (its messages quote it), else "resources"."""
    match = re.search(r"option '([a-z_]+)'", message)
    if match:
        return match[1]
    return "resources" if "resource" in message else "options"

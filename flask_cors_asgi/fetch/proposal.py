"""The strict (fetch-profile) equivalent of a Flask-CORS option set: the second step of a migration.

`strict_equivalent(**options)` maps what Flask-CORS was told to the fetch profile's options, so that
`CORSMiddleware(app, profile="fetch", **proposal.options)` allows the same origins, methods and
headers to browsers, and says where it cannot:

- a regex origin of a common shape becomes origin patterns: `^https://.*\\.example\\.com$` is
  `https://*.example.com`, `https?://` two schemes, `(www\\.)?` two hosts, `(:\\d+)?` any port;
- a regex without `$` (Flask-CORS matches a prefix) or with an unescaped `.` allowed more than its
  author meant: its strict form is narrower, and said so;
- any other regex has no pattern equivalent, and is named;
- Flask-CORS's options with no strict counterpart (`send_wildcard`, `vary_header`, ...) change only
  what goes on the wire, and are listed as dropped.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flask_cors_asgi.fetch.config import MAX_AGE_UPPER_BOUND, SAFELISTED_METHODS
from flask_cors_asgi.fetch.origins import PatternError, parse_pattern
from flask_cors_asgi.options import ALL_METHODS, DEFAULTS, as_items, is_regex

# What a regex may say before the host, and the schemes it stands for.
_SCHEMES = {
    "https": ("https",),
    "http": ("http",),
    "https?": ("http", "https"),
    "(https|http)": ("http", "https"),
    "(http|https)": ("http", "https"),
    "(?:https|http)": ("http", "https"),
    "(?:http|https)": ("http", "https"),
}
# One or more labels before the base host.
_SUBDOMAINS = (
    r".*\.",
    r".+\.",
    r"[^.]+\.",
    r"[^/]+\.",
    r"[a-z0-9-]+\.",
    r"[a-z0-9\-]+\.",
    r"[a-zA-Z0-9-]+\.",
    r"[\w-]+\.",
    r"[a-z0-9.-]+\.",
    r"([a-z0-9-]+\.)+",
    r"(?:[a-z0-9-]+\.)+",
)
# Zero or more labels: the base host itself and its subdomains.
_OPTIONAL_SUBDOMAINS = (r"(.*\.)?", r"(.+\.)?", r"([a-z0-9-]+\.)?", r"([a-z0-9-]+\.)*", r"(?:[a-z0-9-]+\.)*")
_OPTIONAL_WWW = (r"(www\.)?", r"(?:www\.)?")
# Any port, the implicit one included.
_ANY_PORT = (r"(:\d+)?", r"(:[0-9]+)?", r"(:\d{1,5})?", r"(:[0-9]{1,5})?", r"(?::\d+)?", r"(?::[0-9]+)?")
_REQUIRED_PORT = (r":\d+", r":[0-9]+", r":\d{1,5}", r":[0-9]{1,5}")
_HOST = re.compile(r"(?:[a-z0-9-]|\\\.|\.)+")
_PORT = re.compile(r":(\d{1,5})")
_COMPAT_ONLY = ("send_wildcard", "vary_header", "always_send", "automatic_options", "intercept_exceptions")


@dataclass
class StrictProposal:
    """`options` for `profile="fetch"`; `exact` when browsers see the same policy; `notes` say what
    differs and why; `no_equivalent` names the regexes no origin pattern can express."""

    options: dict[str, Any] = field(default_factory=dict)
    exact: bool = True
    notes: list[str] = field(default_factory=list)
    no_equivalent: list[str] = field(default_factory=list)

    def narrower(self, note: str) -> None:
        """A difference browsers see (mostly narrower: the strict form allows less)."""
        self.exact = False
        self.notes.append(note)


def _take(text: str, choices: tuple[str, ...]) -> tuple[str, str] | None:
    for choice in choices:
        if text.startswith(choice):
            return choice, text[len(choice) :]
    return None


def translate_regex(regex: str) -> tuple[list[str], list[str]] | None:
    """The origin patterns a Flask-CORS regex origin allows (for origins browsers send), and the
    ways in which they differ from the regex; None when no pattern can express it."""
    narrower: list[str] = []
    text = regex.removeprefix("^")  # re.match anchors the start anyway
    if text.endswith("$") and not text.endswith("\\$"):
        text = text[:-1]
    elif text.endswith("\\Z"):
        text = text[:-2]
    else:
        narrower.append(f"{regex!r} has no '$': Flask-CORS also allows any origin that starts with it")
    text = text.replace("\\/", "/").replace("\\:", ":")
    schemes = next(
        (
            schemes
            for spelled, schemes in sorted(_SCHEMES.items(), key=lambda kv: -len(kv[0]))
            if text.startswith(spelled + "://")
        ),
        None,
    )
    if schemes is None:
        return None
    text = text.split("://", 1)[1]
    hosts: list[tuple[bool, str]] = []  # (subdomains, host prefix to prepend)
    if (taken := _take(text, _OPTIONAL_SUBDOMAINS)) is not None:
        hosts, text = [(False, ""), (True, "")], taken[1]
    elif (taken := _take(text, _SUBDOMAINS)) is not None:
        hosts, text = [(True, "")], taken[1]
    elif (taken := _take(text, _OPTIONAL_WWW)) is not None:
        hosts, text = [(False, ""), (False, "www.")], taken[1]
    else:
        hosts = [(False, "")]
    literal = _HOST.match(text)
    if literal is None:
        return None
    host_text, text = literal.group(), text[literal.end() :]
    if re.search(r"(?<!\\)\.", host_text):
        narrower.append(f"{regex!r} has an unescaped '.', which also matches any other character")
    host = host_text.replace("\\.", ".")
    port = ""
    if (taken := _take(text, _ANY_PORT)) is not None:
        port, text = ":*", taken[1]
    elif (taken := _take(text, _REQUIRED_PORT)) is not None:
        port, text = ":*", taken[1]
        narrower.append(f"{regex!r} requires a port; ':*' also allows the scheme's default one")
    elif (match := _PORT.match(text)) is not None:
        port, text = f":{match[1]}", text[match.end() :]
    if text:
        return None
    patterns = [
        f"{scheme}://{'*.' if subdomains else ''}{prefix}{host}{port}"
        for scheme in schemes
        for subdomains, prefix in hosts
    ]
    for pattern in patterns:
        try:
            parse_pattern(pattern)
        except PatternError:
            return None
    return patterns, narrower


def _origins(origins: Any, proposal: StrictProposal) -> list[str]:
    patterns: list[str] = []
    for origin in as_items(origins):
        text = origin.pattern if isinstance(origin, re.Pattern) else str(origin)
        if text in ("*", ".*", "^.*$"):
            patterns.append("*")
            continue
        if is_regex(origin):
            translated = translate_regex(text)
            if translated is None:
                proposal.no_equivalent.append(text)
                proposal.narrower(f"{text!r}: no origin pattern expresses this regex; list its origins")
                continue
            found, narrower = translated
            patterns += found
            for note in narrower:
                proposal.narrower(note)
            continue
        # Flask-CORS compares literal origins case-insensitively; browsers send them lower-case.
        lowered = text.lower()
        if lowered == "null":
            proposal.narrower("'null' dropped: the fetch profile refuses it, as sandboxed documents "
                              "and local files of any site send it")  # fmt: skip
            continue
        try:
            parse_pattern(lowered)
        except PatternError as exc:
            proposal.notes.append(f"{text!r} dropped: {exc.reason} as an origin ({exc}); no browser sends it")
            continue
        patterns.append(lowered)
    return list(dict.fromkeys(patterns))


def _names(value: Any) -> list[str]:
    items = [value] if isinstance(value, str) else as_items(value)
    return [part.strip() for item in items for part in str(item).split(",") if part.strip()]


def strict_equivalent(**options: Any) -> StrictProposal:
    """The fetch-profile options equivalent to Flask-CORS options (app-level ones: a `resources`
    map's own options are per path, for one fetch-profile middleware or route each)."""
    proposal = StrictProposal()
    merged: Mapping[str, Any] = {**DEFAULTS, **options}
    credentials = merged["supports_credentials"] is True
    origins = _origins(merged["origins"], proposal)
    if "*" in origins and credentials:
        # Flask-CORS reflects any origin with credentials then; the fetch profile refuses that.
        proposal.narrower("origins '*' with supports_credentials: every site could read credentialed "
                          "answers; the fetch profile refuses it: list the trusted origins")  # fmt: skip
        origins = [origin for origin in origins if origin != "*"]
    elif "*" in origins:
        origins = ["*"]
    proposal.options["origins"] = origins
    if credentials:
        proposal.options["supports_credentials"] = True

    methods = [name.upper() for name in _names(merged["methods"])]
    unlisted = [m for m in ("GET", "HEAD", "POST") if m not in methods]
    if unlisted:
        # Flask-CORS answers a preflight only for a listed method, so a preflighted POST (JSON, say)
        # fails there; the CORS protocol lets the safelisted methods through without listing.
        proposal.narrower(
            f"methods: {', '.join(unlisted)} not listed, so Flask-CORS fails its preflights; "
            "the fetch profile always allows GET, HEAD and POST (wider)"
        )
    if set(methods) >= set(ALL_METHODS) - {"OPTIONS"}:
        proposal.options["methods"] = (
            ["*"] if not credentials else [m for m in ALL_METHODS if m not in SAFELISTED_METHODS]
        )
    else:
        unsafelisted = [m for m in dict.fromkeys(methods) if m not in SAFELISTED_METHODS]
        if unsafelisted:
            proposal.options["methods"] = unsafelisted

    headers = as_items(merged["allow_headers"])
    if any(h in ("*", ".*") for h in headers):
        # Flask-CORS's "*" reflects every requested name, Authorization included; the fetch
        # profile's "*" covers Authorization only with credentials.
        proposal.options["allow_headers"] = ["*"] if credentials else ["*", "Authorization"]
    else:
        names = []
        for header in headers:
            if is_regex(header):
                text = header.pattern if isinstance(header, re.Pattern) else header
                proposal.no_equivalent.append(text)
                proposal.narrower(f"allow_headers {text!r}: a regex; list the header names it stands for")
            else:
                names.append(str(header))
        if names:
            proposal.options["allow_headers"] = names

    exposed = _names(merged["expose_headers"]) if merged["expose_headers"] else []
    if exposed:
        proposal.options["expose_headers"] = exposed

    max_age = merged["max_age"]
    if isinstance(max_age, datetime.timedelta):
        max_age = int(max_age.total_seconds())
    elif isinstance(max_age, str) and max_age.strip().isdigit():
        max_age = int(max_age)
    if isinstance(max_age, int) and not isinstance(max_age, bool) and max_age > 0:
        if max_age > MAX_AGE_UPPER_BOUND:
            proposal.notes.append(
                f"max_age {max_age} lowered to {MAX_AGE_UPPER_BOUND}: no browser caches longer"
            )
            max_age = MAX_AGE_UPPER_BOUND
        proposal.options["max_age"] = max_age

    for name in _COMPAT_ONLY:
        if name in options:
            proposal.notes.append(f"{name} dropped: the fetch profile has no such option (wire-only)")
    if merged["allow_private_network"]:
        proposal.narrower("allow_private_network dropped: the fetch profile does not answer that preflight")
    if "resources" in options and isinstance(options["resources"], Mapping):
        proposal.notes.append(
            "resources: the proposal is for the app-level options; give each path its own "
            "fetch-profile middleware (a Mount) or cross_origin(profile='fetch') route"
        )
    return proposal

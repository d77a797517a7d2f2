"""Adversarial origins: from each trusted origin, the neighbours a misconfigured check lets in.

Each comes with the misconfiguration class it tests (the classes Corsy, CORScanner, nuclei's CORS
template and ZAP test). Only origins a browser can send are generated: a page's origin is
serialised lower-case, with no default port, and its host cannot hold the characters URL parsers
refuse (`^`, `|`, ...; Chromium sends `*` as `%2A`, so it is left out too).
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from cors_conformance import regex_samples
from flask_cors_asgi import is_regex

ATTACKER = "attacker.example"  # a registrable domain an attacker would own
UNRELATED = f"https://{ATTACKER}"
NULL = "null"
# Hosts where anyone can publish a page (the sites scanners check as "third parties").
HOSTING_SITES = (
    "https://attacker.github.io",
    "https://codepen.io",
    "https://jsfiddle.net",
    "https://repl.it",
)
# Origins of a developer's own machine.
DEVELOPMENT = ("http://localhost", "http://localhost:3000", "http://127.0.0.1:8080")
# Characters after the trusted host that some origin checks skip over (CORScanner's list, less
# those no browser puts in a host).
SPECIAL_CHARACTERS = ("_", "-", '"', "{", "}", "+", "`", "!", "~", ";", "&", "'", "(", ")", ",", "$", "=")
_FORBIDDEN_IN_HOST = frozenset(" #%/:<>?@[\\]^|*") | {chr(c) for c in range(0x21)} | {"\x7f"}
_DEFAULT_PORTS = {"http": 80, "https": 443}
# A "." in a regex that is neither escaped nor quantified, outside a character class.
_BARE_DOT = re.compile(r"(?<!\\)(?<!\[)\.(?![*+?{])")
# A ".*" or ".+" right before a name (".*example\.com"): meant as "any subdomain, or none".
_WILD_BEFORE_NAME = re.compile(r"(?<!\\)\.[*+](?=[A-Za-z0-9])")


@dataclass(frozen=True)
class Candidate:
    origin: str
    cls: str  # the misconfiguration class it demonstrates, see findings.CLASSES
    trusted: str | None  # the trusted origin it was derived from, if any


def sendable(origin: str) -> bool:
    """Whether a browser can send `origin` as an Origin header: "null", or a serialised
    http(s) origin (lower-case scheme and host, no default port, no path) with a valid host."""
    if origin == NULL:
        return True
    try:
        parts = urlsplit(origin)
    except ValueError:  # e.g. an unbalanced "[" (an IPv6 literal that is not one)
        return False
    if parts.scheme not in _DEFAULT_PORTS or parts.path or parts.query or parts.fragment:
        return False
    if origin != origin.lower() or "@" in parts.netloc:
        return False
    host = parts.hostname or ""
    try:
        port = parts.port
    except ValueError:
        return False
    if not host or any(char in _FORBIDDEN_IN_HOST for char in host) or port == _DEFAULT_PORTS[parts.scheme]:
        return False
    return _origin(parts.scheme, host, port) == origin


def _origin(scheme: str, host: str, port: int | None) -> str:
    return f"{scheme}://{host}{'' if port is None else f':{port}'}"


def neighbours(trusted: str) -> list[Candidate]:
    """The adversarial neighbours of one trusted origin, each tagged with its class."""
    parts = urlsplit(trusted)
    host, scheme = parts.hostname, parts.scheme
    if not host or scheme not in _DEFAULT_PORTS:
        return []
    try:
        port = parts.port
    except ValueError:
        return []
    # Each neighbour is a host an attacker can register (a name under a domain they own), never
    # one under the victim's own domain: evilshop.example for www.shop.example, not evilwww.shop.example.
    site = _registrable(host)
    found = [
        Candidate(_origin(scheme, f"{host}.{ATTACKER}", port), "prefix", trusted),
        Candidate(_origin(scheme, f"evil{site}", port), "suffix", trusted),
        Candidate(_origin(scheme, f"evil.{host}", port), "any-subdomain", trusted),
        Candidate(_origin(scheme, f"x{host}x.{ATTACKER}", port), "substring", trusted),
        *(
            Candidate(_origin(scheme, f"{host}{c}.{ATTACKER}", port), "special-characters", trusted)
            for c in SPECIAL_CHARACTERS
        ),
    ]
    if len(site) > 1 and not _is_ip(host):
        # A shorter string inside the trusted one (checks like `origin in "https://shop.example"`):
        # the registrable domain less its first letter, rusted.example for www.trusted.example.
        found.append(Candidate(_origin(scheme, site[1:], port), "reverse-substring", trusted))
    if "." in host and not _is_ip(host):
        # The dot a regex left bare, just before the registrable domain: wwwxshop.example.
        dot = len(host) - len(site) - 1 if host != site else host.index(".")
        found.append(
            Candidate(_origin(scheme, f"{host[:dot]}x{host[dot + 1 :]}", port), "unescaped-dot", trusted)
        )
    if scheme == "https":
        found.append(Candidate(_origin("http", host, port), "http-origin", trusted))
    if host in ("localhost", "127.0.0.1"):
        # The development-prefix trick: a check for "http://localhost" at the start only.
        found.append(Candidate(_origin(scheme, f"{host}.{ATTACKER}", None), "prefix", trusted))
    if port is not None:
        found.append(Candidate(_origin(scheme, host, port + 1), "other-port", trusted))
    return [c for c in found if sendable(c.origin) and c.origin != trusted]


def _registrable(host: str) -> str:
    """The domain a host's owner registered, as far as one can tell without the public suffix
    list: its last two labels (a single-label intranet name, or an address, is itself)."""
    if _is_ip(host):
        return host
    return ".".join(host.split(".")[-2:])


def _is_ip(host: str) -> bool:
    """An IPv4 address (digits and dots, as a browser's URL parser reads them) or an IPv6 one (a
    colon: urlsplit's hostname has no port). A name of hex letters, such as "cafe", is a name."""
    return ":" in host or re.fullmatch(r"[0-9.]+", host) is not None


def fixed_candidates() -> list[Candidate]:
    """The origins tried for every target, whatever it trusts."""
    return [
        Candidate(UNRELATED, "reflect-any", None),
        Candidate(NULL, "null", None),
        *(Candidate(origin, "hosting-site", None) for origin in HOSTING_SITES),
        *(Candidate(origin, "development-origin", None) for origin in DEVELOPMENT),
    ]


def host_guesses(url: str) -> list[str]:
    """For a live URL with no configuration to read: the origins its own front end likely has
    (the API's origin, its parent domain and www., in https)."""
    parts = urlsplit(url)
    host = parts.hostname
    if not host or _is_ip(host) or host == "localhost":
        return []
    labels = host.split(".")
    parent = ".".join(labels[1:]) if len(labels) > 2 else host
    return list(dict.fromkeys([f"https://{host}", f"https://{parent}", f"https://www.{parent}"]))


def _unanchored(pattern: str) -> str:
    """The regex without its start and end anchors (^, $ or \\Z): it is matched whole here."""
    return pattern.removeprefix("^").removesuffix("$").removesuffix(r"\Z")


def admitted(value: str) -> list[str]:
    """The origins one configured value contributes: a literal itself, a regex the origins it
    admits (`regex_samples`: every branch and optional part, each verified with the regex)."""
    if sendable(value.lower()):
        return [value.lower()]
    if is_regex(value):
        # Only what the regex was meant to admit: `.*shop\.example` admits evilshop.example too,
        # which is a finding to show, not an origin to trust.
        intended = meant([value])
        return regex_samples.samples(value, keep=lambda origin: sendable(origin) and intended(origin))
    return []


def trusted_origins(configured: Iterable[str]) -> list[str]:
    """Concrete origins for configured literals and regexes."""
    return list(dict.fromkeys(origin for value in configured for origin in admitted(value)))


def meant(configured: Iterable[str]) -> Callable[[str], bool]:
    r"""What the configuration means to admit: each literal exactly, each regex matched whole, with
    its bare dots taken as the dots they were meant to be (so `wwwxshop.example` is not meant by
    `^https://www.shop.example$`, but `evil.shop.example` is by `https://.*\.shop\.example`), and a
    wildcard right before a name as subdomains (`evilshop.example` is not meant by
    `.*shop\.example`)."""
    literals = set()
    regexes = []
    for value in configured:
        if sendable(value.lower()):
            literals.add(value.lower())
        elif is_regex(value):
            # ".*example\.com" means example.com and its subdomains, not evilexample.com.
            subdomains = _WILD_BEFORE_NAME.sub(lambda _: "(?:.*[./])?", _unanchored(value))
            literal_dots = _BARE_DOT.sub(r"\\.", subdomains)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", FutureWarning)  # the app's own pattern
                    regexes.append(re.compile(literal_dots, re.IGNORECASE))
            except re.error:
                continue

    def admits(origin: str) -> bool:
        return origin in literals or any(regex.fullmatch(origin) for regex in regexes)

    return admits


def candidates(trusted: Iterable[str], meant_by: Callable[[str], bool] | None = None) -> list[Candidate]:
    """Every origin to probe with its class: the trusted ones (class "trusted"), their neighbours,
    then the fixed ones; each origin once, under the first class that produced it. Neighbours the
    configuration means to admit (`meant_by`) are not adversarial and are left out."""
    found: dict[str, Candidate] = {}
    trusted = list(trusted)
    for origin in trusted:
        found.setdefault(origin, Candidate(origin, "trusted", origin))
    for origin in trusted:
        for candidate in neighbours(origin):
            if meant_by is None or not meant_by(candidate.origin):
                found.setdefault(candidate.origin, candidate)
    for candidate in fixed_candidates():
        if meant_by is None or not meant_by(candidate.origin):
            found.setdefault(candidate.origin, candidate)
    return list(found.values())

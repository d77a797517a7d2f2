"""Origin patterns as jub0bs/cors v1.0.2 writes them, and the matching of request origins.

A pattern is an exact origin (`https://example.com`, `http://[::1]:9090`), an exact origin with
`*` for its port (`http://localhost:*`, any port, the implicit one included), a host starting with
`*.` (`https://*.example.com`, one or more labels before `.example.com`), or both. No regexes: an
origin is matched as its parts (scheme, host, port), never as a string, so neither a prefix
(`https://example.com.evil.net`) nor a shared suffix of two allowed hosts (`https://barfoo.com`
with `https://foo.com` and `https://bar.com` allowed, jub0bs's advisory GHSA-vhxv-fg4m-p2w8) can
pass.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass
from typing import NamedTuple

from flask_cors_asgi.fetch.public_suffixes import is_public_suffix

MAX_SCHEME_LEN = 64
MAX_HOST_LEN = 253  # the longest domain name
MAX_PORT_LEN = len("65535")
# A longer Origin cannot be allowed: checked first, so a hostile kilobyte costs nothing.
MAX_ORIGIN_LEN = MAX_SCHEME_LEN + len("://") + MAX_HOST_LEN + len(":") + MAX_PORT_LEN

ANY_PORT = -1  # the pattern's `:*`
NO_PORT = 0  # no explicit port

_SCHEME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789+-.")
# The bytes of a host pattern; underscores included, as real host names (not DNS's LDH rule) have them.
_HOST_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-._")
_LABEL_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz0123456789-_")
_DEFAULT_PORTS = {"http": 80, "https": 443}


class Origin(NamedTuple):
    """A request's origin, split as jub0bs splits it (not validated: only matched)."""

    scheme: str
    host: str  # an IPv6 address without its brackets
    port: int  # NO_PORT when implicit


@dataclass(frozen=True, slots=True)
class Pattern:
    scheme: str
    host: str  # without the leading "*." of a subdomain pattern, an IPv6 one without brackets
    port: int  # NO_PORT, ANY_PORT or the port
    subdomains: bool  # the pattern's `*.`: one or more labels before `host`
    loopback_ip: bool

    @property
    def kind(self) -> str:
        """jub0bs's kinds: "subdomains", "loopback_ip", "non_loopback_ip" or "domain"."""
        if self.subdomains:
            return "subdomains"
        if self.loopback_ip:
            return "loopback_ip"
        return "non_loopback_ip" if ":" in self.host or self.host[-1:].isdigit() else "domain"

    @property
    def insecure(self) -> bool:
        """Neither https, nor a loopback address, nor a localhost name (RFC 6761: `localhost` and
        the names under it), as jub0bs deems insecure; a trailing dot (an absolute name) counts as
        the name without it."""
        if self.scheme == "https" or self.loopback_ip:
            return False
        host = self.host.removesuffix(".")
        if not host.endswith("localhost"):
            return True
        before = host[: -len("localhost")]
        if self.subdomains:
            before = "*." + before
        return before != "" and not before.endswith(".")

    @property
    def public_suffix_subdomains(self) -> bool:
        """`*.` over a public suffix (`https://*.com`, `https://*.github.io`): anyone can register
        a host it allows."""
        return self.subdomains and is_public_suffix(self.host.removesuffix("."))

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        if self.subdomains:
            host = "*." + host
        port = "" if self.port == NO_PORT else ":*" if self.port == ANY_PORT else f":{self.port}"
        return f"{self.scheme}://{host}{port}"


class PatternError(ValueError):
    """An unusable pattern; `reason` is jub0bs's: "invalid" (not an origin pattern at all) or
    "prohibited" (an origin, but one jub0bs refuses: null, file:, a default port, Unicode, a
    non-canonical IP address)."""

    def __init__(self, reason: str, why: str) -> None:
        super().__init__(why)
        self.reason = reason


def _invalid(why: str) -> PatternError:
    return PatternError("invalid", why)


def _prohibited(why: str) -> PatternError:
    return PatternError("prohibited", why)


def parse_port(text: str) -> int | None:
    """A port of 1 to 65535 in decimal, without a leading zero; None otherwise."""
    if not text or len(text) > MAX_PORT_LEN or text[0] == "0" or not text.isascii() or not text.isdigit():
        return None
    port = int(text)
    return port if port <= 65535 else None


def _valid_label(label: str) -> bool:
    """A label of a domain name as jub0bs accepts it: letters, digits, hyphens (not first or last)
    and underscores, DNS lengths, Punycode checked."""
    if not 1 <= len(label) <= 63 or not set(label) <= _LABEL_CHARS:
        return False
    if label[0] == "-" or label[-1] == "-":
        return False
    if label[2:4] == "--":
        if not label.startswith("xn--"):
            return False
        try:
            decoded = label[4:].encode("ascii").decode("punycode")
        except UnicodeError:
            return False
        return decoded.isprintable() and not decoded.isascii()
    return True


def _valid_domain(host: str) -> bool:
    name = host.removesuffix(".")  # an absolute name's trailing dot
    if not name or len(name) > MAX_HOST_LEN:
        return False
    return all(_valid_label(label) for label in name.split("."))


def _rightmost_label_starts_with_digit(host: str) -> bool | None:
    """Whether the last label (the one before a trailing dot, for an absolute name) starts with a
    digit, in which case the host must be an IPv4 address, as no top-level domain does; None when
    the host has no such label."""
    before, _, label = host.rpartition(".")
    if not label:
        label = before.rpartition(".")[2]
    return label[0].isdigit() if label else None


def _ip_host(text: str, raw: str) -> tuple[str, bool]:
    """An IP host: valid (no zone), in its one canonical form, not IPv4-mapped."""
    if "%" in text:
        raise _invalid(f"{raw!r}: an IPv6 zone has no place in an origin")
    try:
        address = ipaddress.ip_address(text)
    except ValueError:
        raise _invalid(f"{raw!r}: {text!r} is not an IP address") from None
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        raise _prohibited(f"{raw!r}: write an IPv4-mapped address as the IPv4 address")
    if str(address) != text:
        raise _prohibited(f"{raw!r}: write the address as {str(address)!r}, its canonical form")
    return text, address.is_loopback


def parse_pattern(raw: str) -> Pattern:
    """A pattern other than "*" (handled by the caller), or PatternError."""
    if len(raw) > MAX_ORIGIN_LEN:
        raise _invalid(f"longer than {MAX_ORIGIN_LEN} characters")
    if raw == "null":
        # Sandboxed frames and local files of any site send it: "*" says the same thing honestly.
        raise _prohibited("the null origin is sent by sandboxed documents and local files of any site")
    if not raw or not "a" <= raw[0] <= "z":
        raise _invalid(f"{raw!r} does not start with a lower-case scheme")
    end = 1
    while end < min(len(raw), MAX_SCHEME_LEN) and raw[end] in _SCHEME_CHARS:
        end += 1
    scheme, rest = raw[:end], raw[end:]
    if scheme == "file":
        # Browsers serialise a file: origin as "null".
        raise _prohibited("file: origins are sent as null")
    if not rest.startswith("://"):
        raise _invalid(f"{raw!r} is not of the form scheme://host[:port]")
    rest = rest[3:]

    subdomains = False
    loopback = False
    if rest.startswith("["):
        host, bracket, rest = rest[1:].partition("]")
        if not bracket:
            raise _invalid(f"{raw!r}: unmatched '['")
        host, loopback = _ip_host(host, raw)
    else:
        subdomains = rest.startswith("*.")
        start = 2 if subdomains else 0
        end = start
        while end < len(rest) and rest[end] in _HOST_CHARS:
            end += 1
        host, rest = rest[start:end], rest[end:]
        digit = _rightmost_label_starts_with_digit(("*." if subdomains else "") + host)
        if digit is None or (digit and subdomains):
            raise _invalid(f"{raw!r} has no valid host")
        if digit:
            host, loopback = _ip_host(host, raw)
        elif subdomains and len(host) > MAX_HOST_LEN - len("*."):
            raise _invalid(f"{raw!r}: the host is longer than a domain name can be")
        elif not _valid_domain(host):
            raise _prohibited(
                f"{raw!r}: {host!r} is not a valid ASCII domain name (Unicode goes in Punycode)"
            )
    port = NO_PORT
    if rest:
        if not rest.startswith(":"):
            raise _invalid(f"{raw!r}: an origin has no path, query or trailing slash")
        parsed = ANY_PORT if rest == ":*" else parse_port(rest[1:])
        if parsed is None:
            raise _invalid(f"{raw!r}: the port must be 1 to 65535 or *")
        if _DEFAULT_PORTS.get(scheme) == parsed:
            raise _prohibited(f"{raw!r}: leave out the default port, as browsers do")
        port = parsed
    return Pattern(scheme, host, port, subdomains, loopback)


def parse_origin(text: str) -> Origin | None:
    """A request's Origin split into its parts, or None when it cannot be an origin. Only split,
    as jub0bs does: matching against valid patterns does the rest."""
    if len(text) > MAX_ORIGIN_LEN:
        return None
    scheme, separator, rest = text.partition("://")
    if not separator or not rest:
        return None
    raw_port = ""
    if rest[0] == "[":
        host, bracket, after = rest[1:].rpartition("]")
        if not bracket:
            return None
        if after:
            if not after.startswith(":") or len(after) == 1:
                return None
            raw_port = after[1:]
    else:
        host, colon, raw_port = rest.partition(":")
        if colon and not raw_port:
            return None
    port = NO_PORT
    if raw_port:
        parsed = parse_port(raw_port)
        if parsed is None:
            return None
        port = parsed
    return Origin(scheme, host, port)


class OriginSet:
    """The allowed origins, compiled for lookups: exact origins and any-port origins in sets, and
    subdomain patterns by their base host, looked up at each `.` of the request's host."""

    __slots__ = ("_any_port", "_exact", "_subdomain_any_port", "_subdomains", "exact_texts", "patterns")

    def __init__(self, patterns: tuple[Pattern, ...]) -> None:
        self.patterns = patterns
        # The exact origins as browsers serialise them: most allowed requests end at this lookup.
        self.exact_texts = frozenset(str(p) for p in patterns if not p.subdomains and p.port != ANY_PORT)
        self._exact = frozenset((p.scheme, p.host, p.port) for p in patterns if not p.subdomains)
        self._any_port = frozenset(
            (p.scheme, p.host) for p in patterns if not p.subdomains and p.port == ANY_PORT
        )
        self._subdomains = frozenset((p.scheme, p.host, p.port) for p in patterns if p.subdomains)
        self._subdomain_any_port = frozenset(
            (p.scheme, p.host) for p in patterns if p.subdomains and p.port == ANY_PORT
        )

    def __contains__(self, origin: Origin) -> bool:
        scheme, host, port = origin
        if (scheme, host, port) in self._exact or (scheme, host) in self._any_port:
            return True
        if not self._subdomains:
            return False
        # `*.example.com` allows a host that ends in ".example.com" after at least one character.
        dot = host.find(".", 1)
        while dot != -1:
            base = host[dot + 1 :]
            if (scheme, base, port) in self._subdomains or (scheme, base) in self._subdomain_any_port:
                return True
            dot = host.find(".", dot + 1)
        return False

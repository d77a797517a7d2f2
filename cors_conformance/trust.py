"""Findings read from the configuration: trust that is dangerous as configured, whatever the probe
shows. A configured origin is probed as trusted, so a probe alone cannot tell that trusting it is
the flaw: `null`, the plain-http twin of an https front end, a host where anyone can publish
pages, any subdomain with credentials, any origin with credentials.

Each check is a function of one `discover.Trust` (a set of configured origins, whether
credentials are shared with them, where it was configured) returning findings; `CHECKS` lists
them, so a new check is one function and one line.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Callable, Iterator, Sequence
from urllib.parse import urlsplit

from cors_conformance.discover import Trust
from cors_conformance.findings import CLASSES, Finding, Severity
from cors_conformance.origins import ATTACKER, NULL, sendable
from cors_conformance.regex_samples import samples
from flask_cors_asgi import is_regex

# Hosts where anyone can publish a page or run code (code playgrounds, paste-and-run sites).
PLAYGROUND_HOSTS = frozenset(
    {
        "codepen.io",
        "cdpn.io",
        "jsfiddle.net",
        "fiddle.jshell.net",
        "jsbin.com",
        "output.jsbin.com",
        "plnkr.co",
        "run.plnkr.co",
        "repl.it",
        "replit.com",
        "codesandbox.io",
        "stackblitz.com",
    }
)
# Shared hosting: every customer gets a name under these, so any name there can be an attacker's.
SHARED_HOSTING_SUFFIXES = (
    "github.io",
    "gitlab.io",
    "herokuapp.com",
    "vercel.app",
    "netlify.app",
    "pages.dev",
    "web.app",
    "firebaseapp.com",
    "azurewebsites.net",
    "onrender.com",
    "fly.dev",
    "glitch.me",
    "repl.co",
    "replit.dev",
    "csb.app",
    "surge.sh",
    "ngrok.io",
    "ngrok-free.app",
)
_WILDCARDS = ("*", ".*")
# A name nobody configures on purpose: a regex that admits it admits any name there.
_ANY_NAME = "zz-anyone-9"

Check = Callable[[Trust], Iterator[Finding]]


def _finding(cls: str, severity: Severity, origin: str, trust: Trust, why: str = "") -> Finding:
    check = CLASSES[cls]
    return Finding(
        check.id, cls, check.title + why, severity, origin, f"configured in {trust.where}", trust.credentials,
        check.fix, (), (), source="configuration", where=trust.where,
    )  # fmt: skip


def _severity(credentials: bool) -> Severity:
    return "high" if credentials else "medium"


def _admits(pattern: str, origin: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)  # the app's own pattern, as it wrote it
            return re.match(pattern, origin, re.IGNORECASE) is not None
    except re.error:
        return False


def _literals(trust: Trust) -> list[str]:
    return [o.lower() for o in trust.origins if not is_regex(o) and o not in _WILDCARDS]


def _regexes(trust: Trust) -> list[str]:
    return [o for o in trust.origins if is_regex(o) and o not in _WILDCARDS]


def null_origin(trust: Trust) -> Iterator[Finding]:
    if NULL in _literals(trust) or any(_admits(p, NULL) for p in _regexes(trust)):
        yield _finding("null", _severity(trust.credentials), NULL, trust)


def http_twin(trust: Trust) -> Iterator[Finding]:
    literals = _literals(trust)
    https_hosts = {urlsplit(o).hostname for o in literals if o.startswith("https://")}
    for origin in literals:
        if origin.startswith("http://") and urlsplit(origin).hostname in https_hosts:
            yield _finding("http-origin", _severity(trust.credentials), origin, trust)


def _hosting(host: str) -> str | None:
    """The kind of hosting site `host` is on, or None."""
    if host in PLAYGROUND_HOSTS:
        return "playground"
    if any(host == suffix or host.endswith(f".{suffix}") for suffix in SHARED_HOSTING_SUFFIXES):
        return "shared"
    return None


def hosting_site(trust: Trust) -> Iterator[Finding]:
    for origin in _literals(trust):
        kind = _hosting(urlsplit(origin).hostname or "")
        if kind == "playground":
            yield _finding("hosting-site", _severity(trust.credentials), origin, trust)
        elif kind == "shared":
            # One named site on a shared host: its owner's, as long as the name stays theirs.
            yield _finding("hosting-site", "low", origin, trust, " (one named site on a shared host)")
    for pattern in _regexes(trust):
        for suffix in SHARED_HOSTING_SUFFIXES:
            if any(_admits(pattern, f"{scheme}://{_ANY_NAME}.{suffix}") for scheme in ("https", "http")):
                yield _finding("hosting-site", _severity(trust.credentials), pattern, trust,
                               f" (any site on {suffix})")  # fmt: skip
                break
        else:
            if any(
                _hosting(urlsplit(o).hostname or "") == "playground" for o in samples(pattern, keep=sendable)
            ):
                yield _finding("hosting-site", _severity(trust.credentials), pattern, trust)


def any_subdomain_with_credentials(trust: Trust) -> Iterator[Finding]:
    if not trust.credentials:
        return  # without credentials, a probe finding (low) says it
    for pattern in _regexes(trust):
        for origin in samples(pattern, keep=sendable):
            parts = urlsplit(origin)
            labels = (parts.hostname or "").split(".")
            if len(labels) < 2 or _hosting(parts.hostname or ""):
                continue
            site = ".".join(labels[-2:])
            port = f":{parts.port}" if parts.port else ""
            if _admits(pattern, f"{parts.scheme}://{_ANY_NAME}.{site}{port}"):
                yield _finding("any-subdomain", "medium", pattern, trust)
                break


def any_origin_with_credentials(trust: Trust) -> Iterator[Finding]:
    if not trust.credentials:
        return  # a public "*" without credentials is what it means to be
    anything = f"https://{ATTACKER}"
    for origin in trust.origins:
        if origin in _WILDCARDS or (is_regex(origin) and _admits(origin, anything)):
            yield _finding("any-origin-credentials", "high", origin, trust)
            return


CHECKS: tuple[Check, ...] = (
    null_origin,
    http_twin,
    hosting_site,
    any_subdomain_with_credentials,
    any_origin_with_credentials,
)


def derive(trusts: Sequence[Trust]) -> list[Finding]:
    """Every configuration finding, one per class and configured value (the first place it is
    configured)."""
    found: dict[tuple[str, str], Finding] = {}
    for trust in trusts:
        for check in CHECKS:
            for finding in check(trust):
                found.setdefault((finding.cls, finding.origin), finding)
    return list(found.values())

"""Replay what a browser really sent: the requests of a HAR 1.2 export (Chromium's and Firefox's
DevTools "Save all as HAR").

Each entry that carries an `Origin` header and is not itself a preflight becomes a probe: its
method, path and query, its author headers (`Content-Type`, `Authorization`, custom ones; not the
headers the browser adds itself), its body, and credentials when it carried a `Cookie`. A request
the browser stopped at its preflight is recorded with its provisional headers, which lack the
`Origin`: it takes its preflight's (the entry beside it, same URL and method). A preflight with no
such entry beside it stands for its request, rebuilt from what it names.
The browser model then decides, as for any probe, whether a preflight is sent (with the headers a
browser puts on it) and what the page may read, from the target's real answers.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from cors_conformance.matrix import Case, Probe
from cors_conformance.observe import Observation, observe
from cors_conformance.targets import Target, TargetError

# Headers a browser adds on its own: never author headers, whatever a HAR shows.
_BROWSER_HEADERS = frozenset(
    {
        "accept-encoding",
        "connection",
        "content-length",
        "cookie",
        "host",
        "origin",
        "pragma",
        "cache-control",
        "priority",
        "referer",
        "user-agent",
        "te",
        "upgrade-insecure-requests",
        "dnt",
        "access-control-request-method",
        "access-control-request-headers",
    }
)
_BROWSER_PREFIXES = ("sec-", ":", "proxy-")


def load(path: Path) -> list[dict[str, Any]]:
    """The entries of a HAR file; a file that is not HAR 1.2 is a one-line TargetError."""
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise TargetError(f"cannot read {path}: {exc.strerror}") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise TargetError(f"{path} is not JSON: {exc}") from None
    entries = document.get("log", {}).get("entries") if isinstance(document, dict) else None
    if not isinstance(entries, list):
        raise TargetError(f"{path} is not a HAR file (no log.entries)")
    return [entry for entry in entries if isinstance(entry, dict)]


def _headers(request: dict[str, Any]) -> list[tuple[str, str]]:
    return [
        (str(h.get("name", "")), str(h.get("value", "")))
        for h in request.get("headers", [])
        if isinstance(h, dict)
    ]


def _location(request: dict[str, Any]) -> tuple[str, str] | None:
    url = urlsplit(str(request.get("url", "")))
    if url.scheme not in ("http", "https"):
        return None
    return url.netloc, (url.path or "/") + (f"?{url.query}" if url.query else "")


def probe_of(index: int, entry: dict[str, Any], origin: str | None = None) -> Probe | None:
    """The probe an entry stands for (with `origin` when it recorded none), or None (no Origin,
    not http(s), or a preflight)."""
    request = entry.get("request")
    if not isinstance(request, dict) or (location := _location(request)) is None:
        return None
    headers = _headers(request)
    names = {name.lower() for name, _ in headers}
    origin = next((value for name, value in headers if name.lower() == "origin"), origin)
    method = str(request.get("method", "GET"))
    if origin is None or (method.upper() == "OPTIONS" and "access-control-request-method" in names):
        return None
    author = tuple(
        (name, value)
        for name, value in headers
        if name.lower() not in _BROWSER_HEADERS and not name.lower().startswith(_BROWSER_PREFIXES)
    )
    body_text = request.get("postData", {}).get("text") if isinstance(request.get("postData"), dict) else None
    body = str(body_text).encode() if body_text is not None else b""
    _, path = location
    case = Case(f"HAR #{index + 1} {method} {path}", method, author, "cookie" in names, body)
    return Probe(path, case, origin, cls="har")


# Values that make a named header need a preflight (a preflight names only such headers).
_UNSAFE_VALUES = {"content-type": "application/json", "accept": "(", "range": "x"}


def _from_preflight(index: int, entry: dict[str, Any]) -> tuple[tuple[str, str, str, str], Probe] | None:
    """A recorded preflight: (what its request would be, the probe rebuilt from it), or None."""
    request = entry.get("request")
    if not isinstance(request, dict) or str(request.get("method", "")).upper() != "OPTIONS":
        return None
    location = _location(request)
    fields = {name.lower(): value for name, value in _headers(request)}
    if location is None or "origin" not in fields or "access-control-request-method" not in fields:
        return None
    method = fields["access-control-request-method"]
    named = [n.strip() for n in fields.get("access-control-request-headers", "").split(",") if n.strip()]
    headers = tuple((name, _UNSAFE_VALUES.get(name.lower(), "1")) for name in named)
    _, path = location
    case = Case(f"HAR #{index + 1} {method} {path} (its preflight only)", method, headers)
    return (*location, fields["origin"], method), Probe(path, case, fields["origin"], cls="har")


# How far from its preflight a browser records a request (they interleave with concurrent ones).
_NEARBY = 3


def probes(entries: list[dict[str, Any]]) -> list[Probe]:
    """The entries' probes, in the order of the entries (see the module's docstring)."""
    preflights = {index: p for index, e in enumerate(entries) if (p := _from_preflight(index, e)) is not None}
    requests = {
        index: (_location(e["request"]), str(e["request"].get("method", "")).upper())
        for index, e in enumerate(entries)
        if index not in preflights and isinstance(e.get("request"), dict)
    }

    found: list[tuple[int, Probe]] = []
    for index, entry in enumerate(entries):
        if index in preflights:
            (host, path, _, method), derived = preflights[index]
            window = range(index - _NEARBY, index + _NEARBY + 1)
            if not any(requests.get(i) == ((host, path), method.upper()) for i in window):
                found.append((index, derived))  # its request was not recorded: the preflight stands for it
            continue
        probe = probe_of(index, entry)
        if probe is None and index in requests:
            # Stopped at its preflight: recorded with provisional headers, without its Origin.
            location, method = requests[index]
            beside = sorted(
                (abs(i - index), i)
                for i, ((host, path, _, asked), _) in preflights.items()
                if abs(i - index) <= _NEARBY and ((host, path), asked.upper()) == (location, method)
            )
            if beside:
                probe = probe_of(index, entry, origin=preflights[beside[0][1]][0][2])
        if probe is not None:
            found.append((index, probe))
    return [probe for _, probe in found]


def replay(target: Target, entries: list[dict[str, Any]]) -> list[Observation]:
    planned = probes(entries)
    if not planned:
        raise TargetError("the HAR file has no cross-origin requests (entries with an Origin header)")
    try:
        return observe(target, planned)
    except ValueError as exc:  # a recorded request fetch() would refuse: not a browser's
        raise TargetError(f"the HAR file holds a request no browser sends: {exc}") from None

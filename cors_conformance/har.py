"""Replay what a browser really sent: the requests of a HAR 1.2 export (Chromium's and Firefox's
DevTools "Save all as HAR").

Each entry that carries an `Origin` header and is not itself a preflight becomes a probe: its
method, path and query, its author headers (`Content-Type`, `Authorization`, custom ones; not the
headers the browser adds itself), its body, and credentials when it carried a `Cookie`. The
browser model then decides, as for any probe, whether a preflight is sent (with the headers a
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


def probe_of(index: int, entry: dict[str, Any]) -> Probe | None:
    """The probe an entry stands for, or None (no Origin, a preflight, not http(s))."""
    request = entry.get("request")
    if not isinstance(request, dict):
        return None
    url = urlsplit(str(request.get("url", "")))
    headers = _headers(request)
    names = {name.lower() for name, _ in headers}
    origin = next((value for name, value in headers if name.lower() == "origin"), None)
    method = str(request.get("method", "GET"))
    if origin is None or url.scheme not in ("http", "https"):
        return None
    if method.upper() == "OPTIONS" and "access-control-request-method" in names:
        return None  # a preflight: the model derives it again from the request it precedes
    author = tuple(
        (name, value)
        for name, value in headers
        if name.lower() not in _BROWSER_HEADERS and not name.lower().startswith(_BROWSER_PREFIXES)
    )
    body_text = request.get("postData", {}).get("text") if isinstance(request.get("postData"), dict) else None
    body = str(body_text).encode() if body_text is not None else b""
    path = (url.path or "/") + (f"?{url.query}" if url.query else "")
    case = Case(f"HAR #{index + 1} {method} {path}", method, author, "cookie" in names, body)
    return Probe(path, case, origin, cls="har")


def probes(entries: list[dict[str, Any]]) -> list[Probe]:
    found = [probe_of(index, entry) for index, entry in enumerate(entries)]
    return [probe for probe in found if probe is not None]


def replay(target: Target, entries: list[dict[str, Any]]) -> list[Observation]:
    planned = probes(entries)
    if not planned:
        raise TargetError("the HAR file has no cross-origin requests (entries with an Origin header)")
    try:
        return observe(target, planned)
    except ValueError as exc:  # a recorded request fetch() would refuse: not a browser's
        raise TargetError(f"the HAR file holds a request no browser sends: {exc}") from None

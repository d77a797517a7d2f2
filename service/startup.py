"""The line each server process logs once at start-up: which environment and version, the CORS
policy in short, the limits, and whether the request-head guards of service/server.py are in use.
An operator reads in one place what this process enforces."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

from flask_cors_asgi import __version__, resolve_options
from settings import BaseAppSettings, as_text

GUARDED_PROTOCOL_MODULE = "service.server"


def service_version() -> str:
    """The repository's version, which is its distribution's: the service is served from the
    checkout (nothing of it is installed), so it is read from the source, not from metadata."""
    return __version__


def head_guards_in_use() -> bool:
    """Whether this process serves with service.server's protocol. The server imports its protocol
    class before it builds the app or starts its lifespan, and nothing else in a server process
    imports service.server (the app must not: tests/service/test_startup.py checks it)."""
    return GUARDED_PROTOCOL_MODULE in sys.modules


def resources(options: Mapping[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Each resource pattern with its effective options, as Flask-CORS merges them (its own options
    over the app's, over Flask-CORS's defaults: the engine's `resolve_options`), in the order
    written."""
    spec = resolve_options(options, where="CORS settings")["resources"]
    if isinstance(spec, Mapping):
        entries = [(str(p), dict(own) if isinstance(own, Mapping) else {}) for p, own in spec.items()]
    elif isinstance(spec, str):
        entries = [(spec, {})]
    else:
        entries = [(str(pattern), {}) for pattern in spec]
    return [
        (pattern, resolve_options(options, resource=own, where=f"CORS settings resource {pattern!r}"))
        for pattern, own in entries
    ]


def policy(options: Mapping[str, Any]) -> str:
    """`/api/*: origins a,b, credentials false, max_age none` for each resource, `; `-separated.
    Origins are shown as written (a regex with its own backslashes); Flask-CORS's default is *."""
    parts = []
    for pattern, merged in resources(options):
        origins, credentials, max_age = merged["origins"], merged["supports_credentials"], merged["max_age"]
        parts.append(
            f"{pattern}: origins {as_text(origins)}, credentials {as_text(bool(credentials))}, "
            f"max_age {'none' if max_age is None else as_text(max_age)}"
        )
    return "; ".join(parts)


def protection_in_short(settings: BaseAppSettings) -> str:
    options = settings.cross_origin_protection_options()
    if options is None:
        return "cross-origin protection off"
    trusted = ",".join(options["trusted_origins"]) or "none"
    return f"cross-origin protection {settings.cross_origin_protection}, trusted {trusted}"


def fetch_policy(options: Mapping[str, Any]) -> str:
    """The fetch profile's policy (every path): `fetch profile: origins a,b, credentials false, ...`."""
    return (
        f"fetch profile: origins {as_text(options['origins'])}, "
        f"credentials {as_text(bool(options.get('supports_credentials')))}, "
        f"max_age {as_text(options['max_age']) if 'max_age' in options else 'none'}"
    )


def startup_line(settings: BaseAppSettings, *, guarded: bool, version: str) -> str:
    off = "OFF: HEADER_TIMEOUT and MAX_HEADER_BYTES not enforced (docs/service.md, Deploying)"
    guards = "on" if guarded else off
    if settings.cors_profile == "fetch":
        cors = fetch_policy(settings.fetch_options())
    else:
        cors = policy(settings.cors_options())
    return (
        f"flask-cors-port {version}, APP_ENV={settings.env} | CORS {cors} | "
        f"{protection_in_short(settings)} | "
        f"limits MAX_BODY_BYTES={settings.max_body_bytes} BODY_TIMEOUT={as_text(settings.body_timeout)} "
        f"MAX_HEADER_BYTES={settings.max_header_bytes} HEADER_TIMEOUT={as_text(settings.header_timeout)} | "
        f"request-head guards {guards}"
    )

"""How `CORSMiddleware(app, profile=..., shadow=...)` builds what it serves: the compat middleware
(Flask-CORS's profile, the default), the fetch profile's, and either one under a shadow policy."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from starlette.types import ASGIApp

from flask_cors_asgi.fetch.middleware import FetchCORSMiddleware
from flask_cors_asgi.fetch.shadow import ShadowMiddleware

PROFILES = ("flask_cors", "fetch")


def check_profile(profile: Any, where: str) -> None:
    if profile not in PROFILES:
        raise ValueError(f"{where}: option 'profile' must be 'flask_cors' or 'fetch', got {profile!r}")


def build(
    compat: Callable[..., Any], app: ASGIApp, *, profile: Any, shadow: Any, options: Mapping[str, Any]
) -> Any:
    """The middleware `CORSMiddleware(app, profile=profile, shadow=shadow, **options)` stands for;
    `compat` builds the Flask-CORS profile's."""
    check_profile(profile, "CORSMiddleware")
    serving = FetchCORSMiddleware(app, **options) if profile == "fetch" else compat(app, **options)
    if shadow is None:
        return serving
    return ShadowMiddleware(serving, shadow, serving_profile=profile, serving_options=options)

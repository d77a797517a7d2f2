"""Flask's automatic OPTIONS answer, reproduced over Starlette's routing table.

Flask answers OPTIONS on any existing route that does not declare OPTIONS itself: 200, an empty
`text/html` body and an `Allow` header with the methods of every rule matching the path, plus
OPTIONS. Starlette answers 405 there. Flask-CORS only ever decorates Flask's answer, so a faithful
port has to produce it; this module finds what Flask would do for an OPTIONS request.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.routing import BaseRoute, Match
from starlette.types import Scope

OPTIONS_CONTENT_TYPE = "text/html; charset=utf-8"  # Flask's default response mimetype


@dataclass(frozen=True, slots=True)
class AutomaticOptions:
    """Flask would build its default OPTIONS response for this request."""

    allow: str  # the Allow header value
    endpoint: Any  # the first matching route's endpoint, which may carry a cross_origin policy


def _path_routes(scope: Scope) -> list[BaseRoute]:
    """The routes whose path matches the request, in routing order, looking inside the first
    matching Mount or Host (Starlette hands the whole request to it)."""
    router = scope.get("router") or getattr(scope.get("app"), "router", None)
    routes: Sequence[BaseRoute] = getattr(router, "routes", ())
    found: list[BaseRoute] = []
    while True:
        for route in routes:
            match, child_scope = route.matches(scope)
            if match is Match.NONE:
                continue
            inner = getattr(route, "routes", None)
            if inner is None or hasattr(route, "methods"):
                found.append(route)
            elif not found:
                scope, routes = {**scope, **child_scope}, inner
                break
            else:
                return found
        else:
            return found


def automatic_options(scope: Scope) -> AutomaticOptions | None:
    """What Flask's router does with an OPTIONS request: None when the app should answer it (no
    route matches the path, or the first matching route declares OPTIONS or takes every method, as a
    Flask view declaring OPTIONS answers for itself), otherwise Flask's automatic answer."""
    routes = _path_routes(scope)
    if not routes:
        return None
    first_methods = getattr(routes[0], "methods", None)
    if first_methods is None or "OPTIONS" in first_methods:
        return None
    return AutomaticOptions(allow=_allow(routes), endpoint=getattr(routes[0], "endpoint", None))


def allow_header(scope: Scope) -> str:
    """The Allow value of Flask's default OPTIONS response for this request's path."""
    return _allow(_path_routes(scope))


def _allow(routes: list[BaseRoute]) -> str:
    # Werkzeug's allowed_methods(): the union over every rule matching the path, plus OPTIONS
    # (Starlette already adds HEAD wherever GET is allowed, as Werkzeug does).
    methods = {"OPTIONS"}
    for route in routes:
        methods.update(getattr(route, "methods", None) or ())
    return ", ".join(sorted(methods))

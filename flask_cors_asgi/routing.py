"""Flask's automatic OPTIONS answer, reproduced over Starlette's routing table.

Flask answers OPTIONS on any existing route that does not declare OPTIONS itself: 200, an empty
`text/html` body and an `Allow` header with the methods of every rule matching the path, plus
OPTIONS. Starlette answers 405 there. Flask-CORS only ever decorates Flask's answer, so a faithful
port has to produce it; this module finds what Flask would do for an OPTIONS request.

A class-based endpoint (`HTTPEndpoint`) takes the methods it defines, as a Flask `MethodView`
does; a mounted `StaticFiles` is Flask's static route (GET and HEAD on each file path); any other
ASGI app mounted or routed to takes every method and answers OPTIONS itself.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from starlette.endpoints import HTTPEndpoint
from starlette.routing import BaseRoute, Match, Router
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

from flask_cors_asgi.frameworks import APP_ROOT_PATH, ROUTER, fastapi_route_contexts

OPTIONS_CONTENT_TYPE = "text/html; charset=utf-8"  # Flask's default response mimetype
# The handler methods HTTPEndpoint dispatches to (its own list), as Flask's MethodView does its own.
_VIEW_METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "QUERY")
# What StaticFiles serves, as Flask's static route (`/static/<path:filename>`) is a GET rule.
_STATIC_METHODS = frozenset({"GET", "HEAD"})
# How far find_router follows a chain of middleware (each holding the next app as `.app`).
_MAX_DEPTH = 64


@dataclass(frozen=True, slots=True)
class AutomaticOptions:
    """Flask would build its default OPTIONS response for this request."""

    allow: str  # the Allow header value
    endpoint: Any  # the first matching route's endpoint, which may carry a cross_origin policy
    route: Any = None  # that route, whose app may carry a blueprint's policy (`blueprint`)


def find_router(app: Any) -> Router | None:
    """The router below `app`: the app itself, a Starlette (or FastAPI) app's router, or the router
    at the end of a chain of middleware that keep the next app as `.app`, as Starlette's own do.
    None for an ASGI app whose routes cannot be seen."""
    for _ in range(_MAX_DEPTH):
        if isinstance(app, Router):
            return app
        router = getattr(app, "router", None)
        if isinstance(router, Router):
            return router
        app = getattr(app, "app", None)
        if app is None:
            return None
    return None


def route_methods(route: Any) -> frozenset[str] | None:
    """The methods a route answers, None for "every method" (an ASGI app, a Mount)."""
    if isinstance(getattr(route, "app", None), StaticFiles):
        return _STATIC_METHODS
    methods = getattr(route, "methods", None)
    if methods is not None:
        return frozenset(methods)
    endpoint = getattr(route, "endpoint", None)
    if isinstance(endpoint, type) and issubclass(endpoint, HTTPEndpoint):
        # HTTPEndpoint dispatches on the handler methods it defines; HEAD falls back to get().
        defined = {m for m in _VIEW_METHODS if callable(getattr(endpoint, m.lower(), None))}
        if "GET" in defined:
            defined.add("HEAD")
        return frozenset(defined)
    return None


def tried_routes(routes: Sequence[BaseRoute]) -> Sequence[Any]:
    """The routes as the router tries them. FastAPI (0.16x) keeps each APIRouter it includes as one
    lazy route; when there is one, FastAPI's own `iter_route_contexts` lists what it stands for
    (each with its path, methods and endpoint). Nothing here imports FastAPI."""
    expanded = fastapi_route_contexts(routes)
    return routes if expanded is None else expanded


# Set (True) on CORSMiddleware: a mounted app holding one answers Flask's automatic OPTIONS itself.
OWN_CORS_POLICY = "__flask_cors_middleware__"


def has_own_cors_policy(app: Any) -> bool:
    """Whether a mounted app carries its own CORSMiddleware: as the app itself, in the chain of
    middleware below it (each holding the next app as `.app`), or among a Starlette app's
    `middleware=[...]` (built lazily, at its first request)."""
    for _ in range(_MAX_DEPTH):
        if app is None:
            return False
        if getattr(type(app), OWN_CORS_POLICY, False):
            return True
        if any(getattr(m.cls, OWN_CORS_POLICY, False) for m in getattr(app, "user_middleware", ())):
            return True
        app = getattr(app, "app", None)
    return False


def has_mounted_policy(routes: Sequence[BaseRoute]) -> bool:
    """Whether any Mount or Host among the routes (at any depth) holds an app with its own
    CORSMiddleware."""
    for route in tried_routes(routes):
        inner = getattr(route, "routes", None)
        if inner is None or getattr(route, "methods", None) is not None:
            continue
        if has_own_cors_policy(getattr(route, "app", None)) or has_mounted_policy(inner):
            return True
    return False


def routed_into_own_policy(routes: Sequence[BaseRoute], scope: Scope) -> bool:
    """Whether Starlette's router hands the request to a mounted app with its own CORSMiddleware:
    at each level the route it picks (the first full match, else the first partial one), while
    that is a Mount or Host."""
    candidates = tried_routes(routes)
    for _ in range(_MAX_DEPTH):
        chosen: Any = None
        chosen_scope: Scope = {}
        for route in candidates:
            match, child_scope = route.matches(scope)
            if match is Match.FULL:
                chosen, chosen_scope = route, child_scope
                break
            if match is Match.PARTIAL and chosen is None:
                chosen, chosen_scope = route, child_scope
        inner = getattr(chosen, "routes", None)
        if chosen is None or inner is None or getattr(chosen, "methods", None) is not None:
            return False
        if has_own_cors_policy(getattr(chosen, "app", None)):
            return True
        scope, candidates = {**scope, **chosen_scope}, tried_routes(inner)
    return False


def path_routes(routes: Sequence[BaseRoute], scope: Scope) -> list[Any]:
    """The routes whose path matches the request, in routing order, looking inside the first
    matching Mount or Host (Starlette hands the whole request to it). `scope["root_path"]` must be
    the one the routes were mounted under."""
    found: list[Any] = []
    candidates = tried_routes(routes)
    while True:
        for route in candidates:
            match, child_scope = route.matches(scope)
            if match is Match.NONE:
                continue
            if isinstance(getattr(route, "app", None), StaticFiles):
                # A file path under a mounted StaticFiles is a GET route, as Flask's static route
                # (`/static/<path:filename>`) is; the bare mount path matches no Flask rule.
                file_path = scope["path"][len(child_scope.get("root_path", "")) :]
                if not file_path.strip("/"):
                    return found
                found.append(route)
                continue
            inner = getattr(route, "routes", None)
            if inner is None or getattr(route, "methods", None) is not None:
                found.append(route)
            elif not found:
                scope, candidates = {**scope, **child_scope}, tried_routes(inner)
                break
            else:
                return found
        else:
            return found


def automatic_options(routes: Sequence[BaseRoute], scope: Scope) -> AutomaticOptions | None:
    """What Flask's router does with an OPTIONS request: None when the app should answer it (no
    route matches the path, or the first matching route declares OPTIONS or takes every method, as a
    Flask view declaring OPTIONS answers for itself), otherwise Flask's automatic answer."""
    matching = path_routes(routes, scope)
    if not matching:
        return None
    first_methods = route_methods(matching[0])
    if first_methods is None or "OPTIONS" in first_methods:
        return None
    return AutomaticOptions(
        allow=_allow(matching), endpoint=getattr(matching[0], "endpoint", None), route=matching[0]
    )


def allow_header(scope: Scope) -> str:
    """The Allow value of Flask's default OPTIONS response, from inside an endpoint: the whole
    app's routing (its top-level router) replayed for the path, from the root path the app was
    served under (Starlette keeps it as `app_root_path` once a Mount has extended `root_path`)."""
    router = scope.get(ROUTER)
    if not isinstance(router, Router):
        return "OPTIONS"
    top = {**scope, "root_path": scope.get(APP_ROOT_PATH, scope.get("root_path", ""))}
    return _allow(path_routes(router.routes, top))


def _allow(routes: list[Any]) -> str:
    # Werkzeug's allowed_methods(): the union over every rule matching the path, plus OPTIONS
    # (Starlette already adds HEAD wherever GET is allowed, as Werkzeug does).
    methods = {"OPTIONS"}
    for route in routes:
        methods.update(route_methods(route) or ())
    return ", ".join(sorted(methods))

"""What to probe, found in the target itself: its paths and its configured origins.

Paths come from a Flask app's URL map (Werkzeug's `DispatcherMiddleware` mounts included), a
Starlette or FastAPI app's routes (Mounts, Hosts, routers, mounted WSGI apps), or a live server's
`/openapi.json`; path parameters are filled with sample values of their type
(`/v1/orders/<int:id>` -> `/v1/orders/1`).

Origins come from the configuration of in-process targets: the options of every
`flask_cors_asgi.CORSMiddleware` and `cross_origin` route, of Starlette's stock `CORSMiddleware`,
and of Flask-CORS (its `CORS(...)` and `cross_origin(...)` calls, recorded while the app is
imported, and `app.config`), so that a regex or the second literal origin is probed too, not only
the first origin `always_send` leaks.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from starlette.middleware.cors import CORSMiddleware as StockCORSMiddleware
from starlette.routing import BaseRoute, Host, Mount

from cors_conformance.targets import Request, Target
from flask_cors_asgi import DEFAULTS, ROUTE_POLICY, Policy, find_router, tried_routes
from flask_cors_asgi import CORSMiddleware as EngineCORSMiddleware

# Sample values per path-parameter type: Werkzeug converters and Starlette convertors alike.
_SAMPLES = {
    "int": "1",
    "integer": "1",
    "float": "1.0",
    "number": "1.0",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "path": "x",
    "string": "x",
    "default": "x",
    "str": "x",
}
_WERKZEUG_PARAMETER = re.compile(
    r"<(?:(?P<converter>[a-zA-Z_][a-zA-Z0-9_]*)(?:\((?P<args>[^)]*)\))?:)?(?P<name>\w+)>"
)
_STARLETTE_PARAMETER = re.compile(
    r"{(?P<name>[a-zA-Z_][a-zA-Z0-9_]*)(?::(?P<convertor>[a-zA-Z_][a-zA-Z0-9_]*))?}"
)
_ANY_OPTION = re.compile(r"['\"]?([^'\",\s]+)")
# How deep mounts may nest before discovery stops following them.
_MAX_DEPTH = 16


@dataclass(frozen=True, order=True)
class Path:
    """A concrete path to request, and the Host header a Starlette `Host` route needs (or None)."""

    path: str
    host: str | None = None

    def __str__(self) -> str:
        return self.path if self.host is None else f"{self.host}{self.path}"


# --- paths --------------------------------------------------------------------------------------


def flask_path(rule: str) -> str:
    """A Werkzeug rule as a concrete path, each converter filled with a sample value."""

    def sample(match: re.Match[str]) -> str:
        converter = match["converter"] or "default"
        if converter == "any" and match["args"]:
            option = _ANY_OPTION.search(match["args"])
            return option[1] if option else "x"
        return _SAMPLES.get(converter, "x")

    return _WERKZEUG_PARAMETER.sub(sample, rule)


def _starlette_path(path: str) -> str:
    # An untyped parameter gets "1": it is a valid string, and FastAPI may declare it an int.
    return _STARLETTE_PARAMETER.sub(lambda m: _SAMPLES.get(m["convertor"] or "int", "x"), path)


def _wsgi_apps(app: Any, prefix: str = "", depth: int = 0) -> Iterator[tuple[str, Any]]:
    """`app` and every app below it through Werkzeug's `DispatcherMiddleware`, each with the
    prefix it is mounted under."""
    if app is None or depth > _MAX_DEPTH:
        return
    yield prefix, app
    mounts = getattr(app, "mounts", None)
    if isinstance(mounts, Mapping):
        yield from _wsgi_apps(getattr(app, "app", None), prefix, depth + 1)
        for mount, mounted in mounts.items():
            yield from _wsgi_apps(mounted, prefix + mount, depth + 1)


def _wsgi_paths(app: Any, prefix: str, depth: int) -> Iterator[Path]:
    for mount, flask_app in _wsgi_apps(app, prefix, depth):
        url_map = getattr(flask_app, "url_map", None)
        if url_map is not None:  # Flask
            for rule in url_map.iter_rules():
                if rule.endpoint != "static":
                    yield Path(mount + flask_path(rule.rule))


def _asgi_paths(routes: Sequence[BaseRoute], prefix: str, host: str | None, depth: int) -> Iterator[Path]:
    for route in tried_routes(routes):
        # FastAPI's route contexts stand for the route they wrap (type) with its effective path.
        kind = getattr(route, "original_route", route)
        if isinstance(kind, Mount) and depth < _MAX_DEPTH:
            mount = prefix + _starlette_path(route.path)
            inner = find_router(route.app)
            if inner is not None:
                yield from _asgi_paths(inner.routes, mount, host, depth + 1)
            elif (wsgi := _mounted_wsgi(route.app)) is not None:
                yield from (Path(p.path, host) for p in _wsgi_paths(wsgi, mount, depth + 1))
            else:
                yield Path(mount + "/", host)  # an app whose routes cannot be seen: its root
        elif isinstance(kind, Host) and depth < _MAX_DEPTH:
            literal = None if "{" in route.host else route.host
            inner = find_router(route.app)
            if inner is not None:
                yield from _asgi_paths(inner.routes, prefix, literal, depth + 1)
        elif isinstance(getattr(route, "path", None), str):  # Route, APIRoute, WebSocket routes
            yield Path(prefix + _starlette_path(route.path), host)


def _mounted_wsgi(app: Any) -> Any:
    """The Flask app a Mount serves, itself or through a WSGI adapter keeping it as `.app`."""
    for candidate in (app, getattr(app, "app", None)):
        if hasattr(candidate, "url_map") or isinstance(getattr(candidate, "mounts", None), Mapping):
            return candidate
    return None


def _openapi_paths(target: Target) -> Iterator[Path]:
    (answer,) = target.send([Request("GET", "/openapi.json", (("Accept", "application/json"),))])
    if answer.status != 200:
        return
    try:
        document = json.loads(answer.body)
    except (ValueError, UnicodeDecodeError):
        return
    paths = document.get("paths") if isinstance(document, dict) else None
    if not isinstance(paths, dict):
        return
    prefix = ""
    servers = document.get("servers")
    if isinstance(servers, list) and servers and isinstance(servers[0], dict):
        url = str(servers[0].get("url", ""))
        prefix = url.rstrip("/") if url.startswith("/") else ""
    for template, operations in paths.items():
        if not isinstance(template, str) or not template.startswith("/"):
            continue
        yield Path(prefix + _openapi_path(template, _parameter_types(operations)))


def _openapi_path(template: str, types: dict[str, str]) -> str:
    return re.sub(r"{(\w+)}", lambda m: _SAMPLES.get(types.get(m[1], "string"), "x"), template)


def _parameter_types(operations: Any) -> dict[str, str]:
    """Each path parameter's schema type, from an OpenAPI path item."""
    found: dict[str, str] = {}
    items = (
        [operations, *(v for v in operations.values() if isinstance(v, dict))]
        if isinstance(operations, dict)
        else []
    )
    for item in items:
        for parameter in item.get("parameters", []) if isinstance(item, dict) else []:
            if isinstance(parameter, dict) and parameter.get("in") == "path":
                schema = parameter.get("schema")
                kind = schema.get("type", "string") if isinstance(schema, dict) else "string"
                found[str(parameter.get("name"))] = str(kind)
    return found


def paths(target: Target) -> list[Path]:
    """Every path the target declares, once, in a stable order."""
    if target.kind == "wsgi":
        found: Iterable[Path] = _wsgi_paths(target.app, "", 0)
    elif target.kind == "asgi":
        router = find_router(target.app)
        found = _asgi_paths(router.routes, "", None, 0) if router is not None else ()
    else:
        found = _openapi_paths(target)
    return sorted(set(found))


# --- configured origins --------------------------------------------------------------------------


def _policy_origins(policy: Policy) -> list[str]:
    return [*sorted(policy.origin_literals), *(regex.pattern for regex in policy.origin_regexes)]


def _option_origins(value: Any) -> list[str]:
    items = [value] if isinstance(value, (str, re.Pattern)) or callable(value) else list(value or [])
    # A function deciding origins at request time names none (cors_conformance.dynamic).
    return [
        item.pattern if isinstance(item, re.Pattern) else str(item) for item in items if not callable(item)
    ]


def _middleware_chain(app: Any) -> Iterator[Any]:
    """`app` and every app below it through `.app` attributes, and a Starlette app's declared
    middleware (built lazily, so read from `user_middleware`)."""
    for _ in range(_MAX_DEPTH * 4):
        if app is None:
            return
        yield app
        yield from getattr(app, "user_middleware", ())
        app = getattr(app, "app", None)


def _engine_origins(app: Any, depth: int = 0) -> Iterator[str]:
    for layer in _middleware_chain(app):
        cls = getattr(layer, "cls", None)
        kwargs = getattr(layer, "kwargs", None)
        if cls is not None and isinstance(kwargs, Mapping):  # a declared Middleware(cls, **kwargs)
            if isinstance(cls, type) and issubclass(cls, EngineCORSMiddleware):
                yield from _declared_engine_origins(kwargs)
            elif isinstance(cls, type) and issubclass(cls, StockCORSMiddleware):
                yield from _option_origins(kwargs.get("allow_origins", ()))
                if kwargs.get("allow_origin_regex"):
                    yield str(kwargs["allow_origin_regex"])
        elif isinstance(layer, EngineCORSMiddleware):
            for resource in layer.resources:
                yield from _policy_origins(resource.policy)
        elif isinstance(layer, StockCORSMiddleware):
            yield from (o for o in layer.allow_origins)
            if layer.allow_origin_regex is not None:
                yield layer.allow_origin_regex.pattern
    router = find_router(app)
    if router is None or depth >= _MAX_DEPTH:
        return
    for route in tried_routes(router.routes):
        policy = getattr(getattr(route, "endpoint", None), ROUTE_POLICY, None)
        if isinstance(policy, Policy):
            yield from _policy_origins(policy)
        inner = getattr(route, "app", None)
        if isinstance(getattr(route, "original_route", route), (Mount, Host)) and inner is not None:
            yield from _engine_origins(inner, depth + 1)


def _declared_engine_origins(options: Mapping[str, Any]) -> Iterator[str]:
    yield from _option_origins(options.get("origins", DEFAULTS["origins"]))
    resources = options.get("resources")
    if isinstance(resources, Mapping):
        for resource_options in resources.values():
            if isinstance(resource_options, Mapping) and "origins" in resource_options:
                yield from _option_origins(resource_options["origins"])


def configured_origins(target: Target) -> list[str]:
    """The origins (literals and regexes, as written) the target's configuration names; empty for
    live URLs. "*" and the like are left out: there is nothing to derive neighbours from."""
    found: list[str] = []
    if target.kind == "asgi":
        found = list(_engine_origins(target.app))
    elif target.kind == "wsgi":
        found = list(_flask_origins(target))
    return [o for o in dict.fromkeys(found) if o not in ("*", ".*", "")]


def _flask_origins(target: Target) -> Iterator[str]:
    for _, app in _wsgi_apps(target.app):
        value = app.config.get("CORS_ORIGINS") if hasattr(app, "config") else None
        if value is not None:
            yield from _option_origins(value)
    for options in target.flask_cors_calls:
        yield from _declared_engine_origins(options)

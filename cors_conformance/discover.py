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
from dataclasses import dataclass, field
from typing import Any

from starlette.middleware.cors import CORSMiddleware as StockCORSMiddleware
from starlette.routing import BaseRoute, Host, Mount

from cors_conformance.targets import Request, Target
from flask_cors_asgi import (
    CONFIG_KEYS,
    DEFAULTS,
    ROUTE_POLICY,
    Policy,
    find_router,
    resolve_options,
    tried_routes,
)
from flask_cors_asgi import CORSMiddleware as EngineCORSMiddleware

# Sample values per path-parameter type: Werkzeug converters and Starlette convertors alike. An
# untyped parameter gets "1" on every framework: a valid string, and what FastAPI may declare an
# int; the same route gets the same sample value on both sides of a diff.
_SAMPLES = {
    "int": "1",
    "integer": "1",
    "float": "1.0",
    "number": "1.0",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "path": "1",
    "string": "1",
    "default": "1",
    "str": "1",
}
# What a parameter becomes in a route's pattern, whatever its name and framework: Flask's
# /alert/<id> and Starlette's /alert/{id} are the same route.
PARAMETER = "{}"
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
    """A concrete path to request, and the Host header a Starlette `Host` route needs (or None),
    and the route's pattern (each parameter written `{}`), by which routes are matched across
    frameworks."""

    path: str
    host: str | None = None
    route: str = field(default="", compare=False)

    @property
    def key(self) -> tuple[str | None, str]:
        """What makes two declared paths the same route."""
        return self.host, self.route or self.path

    def __str__(self) -> str:
        return self.path if self.host is None else f"{self.host}{self.path}"


# --- paths --------------------------------------------------------------------------------------


def flask_path(rule: str, placeholder: str | None = None) -> str:
    """A Werkzeug rule as a concrete path, each converter filled with a sample value (or with
    `placeholder`, for the route's pattern)."""

    def sample(match: re.Match[str]) -> str:
        if placeholder is not None:
            return placeholder
        converter = match["converter"] or "default"
        if converter == "any" and match["args"]:
            option = _ANY_OPTION.search(match["args"])
            return option[1] if option else "x"
        return _SAMPLES.get(converter, "1")

    return _WERKZEUG_PARAMETER.sub(sample, rule)


def _starlette_path(path: str, placeholder: str | None = None) -> str:
    if placeholder is not None:
        return _STARLETTE_PARAMETER.sub(placeholder, path)
    # An untyped parameter gets "1": it is a valid string, and FastAPI may declare it an int.
    return _STARLETTE_PARAMETER.sub(lambda m: _SAMPLES.get(m["convertor"] or "int", "1"), path)


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


def _wsgi_paths(app: Any, prefix: str, depth: int, route_prefix: str | None = None) -> Iterator[Path]:
    route_prefix = prefix if route_prefix is None else route_prefix
    for mount, flask_app in _wsgi_apps(app, prefix, depth):
        url_map = getattr(flask_app, "url_map", None)
        if url_map is not None:  # Flask
            route_mount = route_prefix + mount.removeprefix(prefix)
            for rule in url_map.iter_rules():
                if rule.endpoint != "static":
                    yield Path(
                        mount + flask_path(rule.rule), None, route_mount + flask_path(rule.rule, PARAMETER)
                    )


def _asgi_paths(
    routes: Sequence[BaseRoute], prefix: str, host: str | None, depth: int, route_prefix: str = ""
) -> Iterator[Path]:
    for route in tried_routes(routes):
        # FastAPI's route contexts stand for the route they wrap (type) with its effective path.
        kind = getattr(route, "original_route", route)
        if isinstance(kind, Mount) and depth < _MAX_DEPTH:
            mount = prefix + _starlette_path(route.path)
            route_mount = route_prefix + _starlette_path(route.path, PARAMETER)
            inner = find_router(route.app)
            if inner is not None:
                yield from _asgi_paths(inner.routes, mount, host, depth + 1, route_mount)
            elif (wsgi := _mounted_wsgi(route.app)) is not None:
                for p in _wsgi_paths(wsgi, mount, depth + 1, route_mount):
                    yield Path(p.path, host, p.route)
            else:
                yield Path(mount + "/", host, route_mount + "/")  # an app whose routes cannot be seen
        elif isinstance(kind, Host) and depth < _MAX_DEPTH:
            literal = None if "{" in route.host else route.host
            inner = find_router(route.app)
            if inner is not None:
                yield from _asgi_paths(inner.routes, prefix, literal, depth + 1, route_prefix)
        elif isinstance(getattr(route, "path", None), str):  # Route, APIRoute, WebSocket routes
            yield Path(
                prefix + _starlette_path(route.path),
                host,
                route_prefix + _starlette_path(route.path, PARAMETER),
            )


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
        route = prefix + re.sub(r"{(\w+)}", PARAMETER, template)
        yield Path(prefix + _openapi_path(template, _parameter_types(operations)), None, route)


def _openapi_path(template: str, types: dict[str, str]) -> str:
    return re.sub(r"{(\w+)}", lambda m: _SAMPLES.get(types.get(m[1], "string"), "1"), template)


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


@dataclass(frozen=True)
class Trust:
    """One set of configured origins (literals and regexes, as written) and whether answers to
    credentialed requests are shared with them, with where it was configured."""

    origins: tuple[str, ...]
    credentials: bool
    where: str


def _policy_trust(policy: Policy, where: str) -> Trust:
    origins = [*sorted(policy.origin_literals), *(regex.pattern for regex in policy.origin_regexes)]
    if policy.allow_all_origins:
        origins.insert(0, "*")
    return Trust(tuple(origins), policy.supports_credentials, where)


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


def _engine_trust(app: Any, depth: int = 0) -> Iterator[Trust]:
    for layer in _middleware_chain(app):
        cls = getattr(layer, "cls", None)
        kwargs = getattr(layer, "kwargs", None)
        if cls is not None and isinstance(kwargs, Mapping):  # a declared Middleware(cls, **kwargs)
            if isinstance(cls, type) and issubclass(cls, EngineCORSMiddleware):
                # Its config= is an app config it layers its options over, as Flask-CORS app.config.
                config = kwargs.get("config")
                yield from _declared_trust(
                    kwargs, "CORSMiddleware", config if isinstance(config, Mapping) else None
                )
            elif isinstance(cls, type) and issubclass(cls, StockCORSMiddleware):
                yield _stock_trust(kwargs)
        elif isinstance(layer, EngineCORSMiddleware):
            for resource in layer.resources:
                pattern = getattr(resource.pattern, "pattern", resource.pattern)
                yield _policy_trust(resource.policy, f"CORSMiddleware resource {pattern!r}")
        elif isinstance(layer, StockCORSMiddleware):
            origins = [*layer.allow_origins]
            if layer.allow_origin_regex is not None:
                origins.append(layer.allow_origin_regex.pattern)
            yield Trust(tuple(origins), bool(layer.allow_credentials), "Starlette's CORSMiddleware")
    router = find_router(app)
    if router is None or depth >= _MAX_DEPTH:
        return
    for route in tried_routes(router.routes):
        policy = getattr(getattr(route, "endpoint", None), ROUTE_POLICY, None)
        if isinstance(policy, Policy):
            yield _policy_trust(policy, f"cross_origin on {getattr(route, 'path', '?')}")
        inner = getattr(route, "app", None)
        if isinstance(getattr(route, "original_route", route), (Mount, Host)) and inner is not None:
            yield from _engine_trust(inner, depth + 1)


def _stock_trust(kwargs: Mapping[str, Any]) -> Trust:
    origins = _option_origins(kwargs.get("allow_origins", ()))
    if kwargs.get("allow_origin_regex"):
        origins.append(str(kwargs["allow_origin_regex"]))
    return Trust(tuple(origins), bool(kwargs.get("allow_credentials", False)), "Starlette's CORSMiddleware")


def _declared_trust(
    options: Mapping[str, Any], where: str, config: Mapping[str, Any] | None = None
) -> Iterator[Trust]:
    """The trust of one option set (Flask-CORS's or the engine's), per resource, layered as the
    engine layers it (`resolve_options`) over `config`, the app config's CORS_* keys for
    Flask-CORS. Names neither knows (a typo, the engine's `profile=`) set nothing."""
    config = {key: value for key, value in (config or {}).items() if key in CONFIG_KEYS}
    known = {name: value for name, value in options.items() if name in DEFAULTS}
    merged = resolve_options(known, config=config, where=where)
    resources = merged.get("resources")
    if not isinstance(resources, Mapping):  # the options apply to every resource as they are
        yield Trust(tuple(_option_origins(merged["origins"])), bool(merged["supports_credentials"]), where)
    else:
        for pattern, resource_options in resources.items():
            if isinstance(resource_options, Mapping):
                own = {name: value for name, value in resource_options.items() if name in DEFAULTS}
                resource = resolve_options(known, config=config, resource=own, where=where)
                label = pattern.pattern if isinstance(pattern, re.Pattern) else pattern
                yield Trust(
                    tuple(_option_origins(resource["origins"])),
                    bool(resource["supports_credentials"]),
                    f"{where} resource {label!r}",
                )


def configured_trust(target: Target) -> list[Trust]:
    """Every configured origin set of an in-process target; empty for live URLs."""
    if target.kind == "asgi":
        return list(dict.fromkeys(_engine_trust(target.app)))
    if target.kind == "wsgi":
        return list(dict.fromkeys(_flask_trust(target)))
    return []


def configured_origins(target: Target) -> list[str]:
    """The origins (literals and regexes, as written) the target's configuration names; empty for
    live URLs. "*" and the like are left out: there is nothing to derive neighbours from."""
    found = [origin for trust in configured_trust(target) for origin in trust.origins]
    return [o for o in dict.fromkeys(found) if o not in ("*", ".*", "")]


def _flask_trust(target: Target) -> Iterator[Trust]:
    for _, app in _wsgi_apps(target.app):
        config = getattr(app, "config", None)
        if not isinstance(config, Mapping):
            continue
        for options in target.flask_cors_calls:
            yield from _declared_trust(options, "Flask-CORS", config)
    for options in target.flask_cors_blueprint_calls:
        yield from _declared_trust(options, "Flask-CORS (blueprint)")

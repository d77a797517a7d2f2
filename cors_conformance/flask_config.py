"""Read a Flask app's Flask-CORS configuration: what it says, what Flask-CORS ignores, and the
equivalent settings of this service.

The module is imported with `flask_cors.CORS` and `flask_cors.cross_origin` wrapped so every call
is recorded with its raw arguments (positional ones and typos included, which Flask-CORS drops
before anything could inspect them); `app.config` is read as Flask-CORS reads it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from cors_conformance import port
from cors_conformance.discover import flask_path
from cors_conformance.recording import CORSCall, Recorded, import_fresh, recording
from cors_conformance.targets import TargetError
from flask_cors_asgi import (
    CONFIG_KEYS,
    DEFAULTS,
    ROUTE_OPTION_NAMES,
    Problem,
    audit,
    config_key,
    is_regex,
    resolve_options,
    resource_sort_key,
)


@dataclass
class Report:
    app: str
    settings: dict[str, str] = field(default_factory=dict)  # the service's environment variables
    ignored: list[str] = field(default_factory=list)  # what Flask-CORS ignores, one sentence each
    wider: list[str] = field(default_factory=list)  # where the effective policy is wider than configured
    routes: list[str] = field(default_factory=list)  # decorated routes and their effective policy
    found: list[str] = field(default_factory=list)  # every configuration read, one sentence each
    not_exact: list[str] = field(default_factory=list)  # what the port cannot reproduce exactly
    port: port.Port = field(default_factory=port.Port)  # the engine code's content
    # The engine's audit of every recorded option set: (where it was written, the problem).
    problems: list[tuple[str, Problem]] = field(default_factory=list)


def dotenv_line(name: str, value: str) -> str:
    """`NAME='value'`: read alike by python-dotenv (the service's .env files) and by a shell's
    `set -a; . file`. Single quotes keep `$`, `"` and a lone backslash as they are in both;
    python-dotenv alone reads `\\\\` there as one backslash, so JSON's escaped backslash is
    written as its other JSON spelling, `\\u005c`. A single quote or newline has no such form."""
    if value.startswith(("{", "[", '"')):
        value = value.replace("\\\\", "\\u005c")
    if "'" in value or "\n" in value or "\\\\" in value:
        raise ValueError(f"{name}: this value cannot be written alike for dotenv and a shell")
    return f"{name}='{value}'"


def load(spec: str) -> tuple[Any, Recorded, dict[str, CORSCall], dict[str, list[str]]]:
    """Import `module:attr` afresh while recording (and, for `wsgi-factory:`, call the factory
    while recording): the app, what was recorded, its decorated views by endpoint, and each
    endpoint's URL rules."""
    kind, _, reference = spec.partition(":")
    if kind not in ("wsgi", "wsgi-factory"):
        raise TargetError(
            f"from-flask takes wsgi:package.module:app or wsgi-factory:package.module:function, got {spec!r}"
        )
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise TargetError(f"expected {kind}:package.module:attribute, got {spec!r}")
    with recording() as recorded:
        try:
            module = import_fresh(module_name)
        except Exception as exc:  # an app module can fail in any way while importing
            raise TargetError(f"cannot import {module_name}: {type(exc).__name__}: {exc}") from None
        app = getattr(module, attribute, None)
        if kind == "wsgi-factory" and callable(app) and not hasattr(app, "url_map"):
            try:
                app = app()
            except Exception as exc:  # a factory can fail in any way
                raise TargetError(f"{reference}() failed: {type(exc).__name__}: {exc}") from None
    if app is None or not hasattr(app, "url_map"):
        factory = " (a factory? write wsgi-factory:)" if kind == "wsgi" and callable(app) else ""
        raise TargetError(f"{reference} is not a Flask app{factory}")
    views = {
        endpoint: recorded.decorated[view]
        for endpoint, view in app.view_functions.items()
        if view in recorded.decorated
    }
    rules: dict[str, list[str]] = {}
    for rule in app.url_map.iter_rules():
        rules.setdefault(rule.endpoint, []).append(rule.rule)
    return app, recorded, views, rules


def _text(value: Any) -> str:
    if isinstance(value, re.Pattern):
        return str(value.pattern)
    if isinstance(value, str):
        return value
    if isinstance(value, (list, tuple, set, frozenset)):
        return ",".join(_text(v) for v in (sorted(value) if isinstance(value, (set, frozenset)) else value))
    return json.dumps(value)


def _jsonable(value: Any) -> Any:
    if isinstance(value, re.Pattern):
        return value.pattern
    if isinstance(value, dict):
        return {_text(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


def _allows_all(origins: Any) -> bool:
    items = [origins] if isinstance(origins, (str, re.Pattern)) else list(origins or [])
    return any(item in ("*", ".*") for item in items)


def _as_dict(resources: Any) -> dict[Any, dict[str, Any]]:
    """Flask-CORS's resources (a pattern, a list of them, or a dict) as a dict of per-resource options."""
    if isinstance(resources, (str, re.Pattern)):
        return {resources: {}}
    if isinstance(resources, Mapping):
        return {k: dict(v) for k, v in resources.items()}
    return {k: {} for k in resources}


def _prefix(rules: list[str]) -> str:
    """The literal path prefix every rule shares, whole segments only ("" when none)."""
    literal = [rule.split("<", 1)[0].split("/")[1:-1] for rule in rules]
    common: list[str] = []
    for parts in zip(*literal, strict=False):
        if len(set(parts)) != 1:
            break
        common.append(parts[0])
    return "/" + "/".join(common) if common else ""


def _mounts(app: Any, name: str, rules: list[str]) -> list[str]:
    """Where a blueprint registered as `name` is mounted: its URL prefix inside those of the
    blueprints it is nested in, outermost first ("" where a level has none), as Flask joins them
    (`Blueprint.register`). Flask keeps no `register_blueprint(url_prefix=...)` given to the app
    itself: when the rules do not all sit under the prefixes so found, the literal prefix they
    share is the one mount ("" for none: no Mount)."""
    outer, *inner = name.split(".")
    blueprint = app.blueprints.get(outer)
    levels = [getattr(blueprint, "url_prefix", None) or ""]
    for part in inner:
        nested = [
            (bp, options)
            for bp, options in getattr(blueprint, "_blueprints", ())
            if options.get("name", bp.name) == part
        ]
        if not nested:
            return [_prefix(rules)]
        blueprint, options = nested[0]
        levels.append(options.get("url_prefix", blueprint.url_prefix) or "")
    levels = ["/" + level.strip("/") if level.strip("/") else "" for level in levels]
    prefix = "".join(levels)
    if all(rule == prefix or rule.startswith(prefix + "/") for rule in rules):
        return levels
    return [_prefix(rules)]


def _rule_pattern(rule: str) -> str:
    """A Werkzeug rule as an anchored regex over paths (each converter one or more characters)."""
    pieces = re.split(r"<[^>]+>", rule)
    return "^" + "[^/]+".join(re.escape(piece) for piece in pieces) + "$"


def _known(options: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in options.items() if k in DEFAULTS}


def _described(options: Mapping[str, Any]) -> str:
    shown = (
        f"{k}={json.dumps(_jsonable(v)) if isinstance(v, Mapping) else _text(v)}" for k, v in options.items()
    )
    return ", ".join(shown) or "no options (every default)"


def _passed_through(value: Any, calls: list[CORSCall]) -> bool:
    """Whether a dict kept in app.config reached a CORS() call as its keyword options."""
    return isinstance(value, Mapping) and any(
        value
        and all(
            call.kwargs.get(k, object()) is v or call.kwargs.get(k, object()) == v for k, v in value.items()
        )
        for call in calls
    )


def read(spec: str) -> Report:
    app, recorded, views, rules = load(spec)
    report = Report(spec)
    extensions = recorded.extensions.get(id(app), [])
    # app.blueprints holds every registration by its registered name, a nested blueprint's dotted
    # ("shop.orders"): its endpoints start with that name, not with the blueprint's own.
    blueprints = [
        (name, recorded.extensions[id(bp)])
        for name, bp in app.blueprints.items()
        if id(bp) in recorded.extensions
    ]
    every_call = [*extensions, *(call for _, calls in blueprints for call in calls)]
    config = {
        key: value for key, value in app.config.items() if key.startswith("CORS_") and value is not None
    }
    for key in sorted(config):
        if key in CONFIG_KEYS:
            continue
        if _passed_through(config[key], every_call):
            report.found.append(
                f"app.config[{key!r}] (not a Flask-CORS setting) passed to CORS(...) as its options: "
                "translated below with that call"
            )
            continue
        hint = (
            " (did you mean CORS_ALLOW_HEADERS? CORS_HEADERS was removed in Flask-CORS 2.0)"
            if key == "CORS_HEADERS"
            else ""
        )
        report.ignored.append(f"app.config[{key!r}] is not a Flask-CORS setting: ignored{hint}")

    # Flask-CORS's keys only (the others are named above), layered as the engine layers them.
    cors_config = {key: value for key, value in config.items() if key in CONFIG_KEYS}
    configured = resolve_options(config=cors_config, defaults=False)  # by option name
    if configured:
        report.found.append(f"app.config: {_described(configured)}")
    # (label, options less resources, resources as a dict) for each extension, for one middleware.
    parts: list[tuple[str, dict[str, Any], dict[Any, dict[str, Any]]]] = []
    for index, call in enumerate(extensions):
        label = "CORS(app)" if len(extensions) == 1 else f"CORS(app) #{index + 1}"
        _check_call(report, label, call)
        own = _known(call.kwargs)
        report.found.append(f"{label}: {_described(own)}")
        effective = resolve_options(own, config=cors_config, defaults=False)
        report.problems += [(label, problem) for problem in audit(**effective)]
        resources = effective.pop("resources", DEFAULTS["resources"])
        _check_resources(report, label, resources)
        parts.append((label, effective, _as_dict(resources)))
    code_blueprints: list[port.Blueprint] = []
    for name, calls in blueprints:
        bp_rules = sorted(r for endpoint, rs in rules.items() if endpoint.startswith(f"{name}.") for r in rs)
        prefix = _prefix(bp_rules)
        for call in calls:
            label = f"CORS(blueprint {name!r})"
            _check_call(report, label, call)
            own = _known(call.kwargs)
            # The engine code's cors_blueprint takes the options as written: it is exact.
            mounts = _mounts(app, name, bp_rules)
            code_blueprints.append(port.Blueprint(name, "".join(mounts), bp_rules, dict(own), mounts))
            where = f"its routes {', '.join(bp_rules)}" if bp_rules else "no routes"
            report.found.append(f"{label}: {_described(own)}; {where}")
            if configured:
                report.found.append(
                    f"{label}: app.config's CORS_* settings do not apply to it (Flask-CORS reads no config "
                    "for a blueprint): left out of its port"
                )
            report.problems += [(label, problem) for problem in audit(**own)]
            # The service's settings have no blueprints: one resource per blueprint, keyed on paths.
            resources = own.pop("resources", None)
            if resources is None:
                keys = [f"{prefix}/.*"] if prefix else [_rule_pattern(r) for r in bp_rules]
                resources = {key: {} for key in keys}
                if bp_rules:
                    report.not_exact.append(
                        f"{label}: this service's CORS_RESOURCES keys its policy on {', '.join(keys)}, "
                        "which adds CORS headers to a 404 or 405 there where Flask adds none (a blueprint's "
                        "hook runs only for matched routes); the engine code's cors_blueprint is exact"
                    )
            else:
                _check_resources(report, label, resources)
                report.not_exact.append(
                    f"{label}: this service's CORS_RESOURCES applies its resources to every path they "
                    "match, Flask to the blueprint's routes only; the engine code's cors_blueprint is exact"
                )
            parts.append((label, own, _as_dict(resources)))
    if len(extensions) > 1:
        report.not_exact.append(
            "several CORS(app) calls: Flask runs each hook and the first to add headers wins; the port keeps "
            "one resource per pattern, tried most specific first"
        )
    elif len(parts) > 1 and not extensions:
        report.not_exact.append(
            "several CORS(blueprint) calls: Flask runs an inner blueprint's hook before its parent's and the "
            "first to add headers wins; this service's settings keep one resource per pattern, tried most "
            "specific first (the engine code is exact)"
        )
    elif len(parts) > 1:
        report.not_exact.append(
            "CORS(app) and CORS(blueprint): Flask runs the blueprint's hook first and the first to add "
            "headers wins; this service's settings keep one resource per pattern, tried most specific "
            "first (the engine code is exact)"
        )

    # Flask runs a blueprint's hooks before the app's, and the app's last-registered first; the
    # first to add headers wins: that order decides which policy a shared pattern keeps.
    app_parts = parts[: len(extensions)]
    priority = [*parts[len(extensions) :], *reversed(app_parts)]
    middleware, notes = port.combined(priority) if parts else (None, [])
    report.not_exact += notes
    report.port = port.Port(
        _code_middleware(extensions, app_parts, bool(code_blueprints or views)),
        [label for label, _, _ in app_parts],
        {key: config[key] for key in sorted(config) if key in CONFIG_KEYS},
        code_blueprints,
    )
    if middleware is not None:
        for name, value in middleware.items():
            report.settings[config_key(name)] = (
                json.dumps(_jsonable(value)) if name == "resources" else _text(value)
            )
        for pattern in _as_dict(middleware.get("resources", {})):
            if isinstance(pattern, re.Pattern) and not is_regex(pattern.pattern):
                report.not_exact.append(
                    f"resource re.compile({pattern.pattern!r}): the service's CORS_RESOURCES takes strings, "
                    f"where {pattern.pattern!r} is a literal path; the engine code keeps the compiled pattern"
                )
    else:
        report.settings["CORS_RESOURCES"] = "[]"
        report.ignored.append("no CORS(app): only decorated routes have CORS headers")

    resources = middleware.get("resources", DEFAULTS["resources"]) if middleware is not None else None
    app_origins = middleware.get("origins", DEFAULTS["origins"]) if middleware is not None else None
    route_configured = {k: v for k, v in configured.items() if k in ROUTE_OPTION_NAMES}
    for endpoint, call in sorted(views.items()):
        paths = ", ".join(rules.get(endpoint, [endpoint]))
        unknown = [n for n in call.kwargs if n not in ROUTE_OPTION_NAMES]
        for name in unknown:
            report.ignored.append(f"@cross_origin({name}=...) on {paths}: not a Flask-CORS option, ignored")
        if call.args:
            arguments = ", ".join(map(repr, call.args))
            report.ignored.append(f"@cross_origin({arguments}) on {paths}: positional arguments are ignored")
        own = {k: v for k, v in call.kwargs.items() if k in ROUTE_OPTION_NAMES}
        report.found.append(f"@cross_origin on {paths}: {_described(own)}")
        # The decorator merges defaults < app.config < its own kwargs, not the extension's kwargs;
        # the port's reads the app config from the middleware's config=, as Flask-CORS's from the app.
        layered = resolve_options(own, config=cors_config, valid=ROUTE_OPTION_NAMES, defaults=False)
        effective = {k: v for k, v in layered.items() if k in ROUTE_OPTION_NAMES}
        report.port.decorators.append(port.Decorated(endpoint, rules.get(endpoint, []), own))
        report.problems += [(f"@cross_origin on {paths}", problem) for problem in audit(**effective)]
        origins = effective.get("origins", DEFAULTS["origins"])
        report.routes.append(f"{paths}: @cross_origin, origins {_text(origins)}; wins on normal returns")
        if not _allows_all(origins):
            continue
        for rule in rules.get(endpoint, []):  # each rule meets its own resource
            resource_origins = _resource_origins(resources, app_origins, flask_path(rule))
            if resource_origins is not None and not _allows_all(resource_origins):
                report.wider.append(
                    f"{rule} is open to every origin (the decorator's effective origins are '*'), "
                    f"wider than the configured {_text(resource_origins)}"
                )
    if route_configured and views:
        report.not_exact.append(
            "the decorators read app.config on every request in Flask; the port's config= is read once, "
            "when the middleware is built: a change to app.config after start-up is not followed"
        )
    return report


def _code_middleware(
    extensions: list[CORSCall],
    app_parts: list[tuple[str, dict[str, Any], dict[Any, dict[str, Any]]]],
    needed: bool,
) -> dict[str, Any] | None:
    """The engine code's CORSMiddleware options (config= apart): one CORS(app)'s own options as
    written (the middleware layers them over config= as Flask-CORS over app.config); several as
    one resources dict; without CORS(app), `resources=[]` when blueprints or decorators need the
    middleware (Flask's automatic OPTIONS answer, the decorators' config); else none."""
    if len(extensions) == 1:
        return _known(extensions[0].kwargs)
    if extensions:
        # Flask runs the last-registered hook first: it keeps a shared pattern.
        return port.combined(list(reversed(app_parts)))[0]
    return {"resources": []} if needed else None


def _check_call(report: Report, label: str, call: CORSCall) -> None:
    for name in call.kwargs:
        if name not in DEFAULTS:
            report.ignored.append(
                f"{label.replace(')', ', ')}{name}=...) is not a Flask-CORS option: ignored"
            )
    if call.args:
        report.ignored.append(
            f"{label.replace(')', ', ')}{', '.join(map(repr, call.args))}): extra positional arguments"
        )


def _check_resources(report: Report, label: str, resources: Any) -> None:
    if isinstance(resources, Mapping):
        for pattern, resource_options in resources.items():
            for name in resource_options:
                if name not in DEFAULTS:
                    report.ignored.append(
                        f"resource {_text(pattern)!r}: {name}= is not a Flask-CORS option: ignored"
                    )


def _resource_origins(resources: Any, app_origins: Any, path: str) -> Any:
    """The origins the extension configures for a path (the resource Flask-CORS picks), or None."""
    if resources is None:
        return None
    if isinstance(resources, dict):
        # Flask-CORS 6.0.1+ tries dict resources in specificity order, not insertion order.
        ordered = sorted(
            resources.items(), key=lambda item: resource_sort_key(".*" if item[0] == "*" else item[0])
        )
        for pattern, resource_options in ordered:
            if _matches(pattern, path):
                return resource_options.get("origins", app_origins)
        return None
    patterns = [resources] if isinstance(resources, (str, re.Pattern)) else list(resources)
    return app_origins if any(_matches(p, path) for p in patterns) else None


def _matches(pattern: Any, path: str) -> bool:
    """Flask-CORS's resource match: a regex (compiled, or a string with regex characters) from the
    path's start; any other string equal to the whole path."""
    pattern = ".*" if pattern == "*" else pattern
    if not is_regex(pattern):
        return bool(path == pattern)
    try:
        return re.match(pattern, path) is not None
    except re.error:  # refused when CORS() is configured, and reported as E003
        return False

"""Read a Flask app's Flask-CORS configuration: what it says, what Flask-CORS ignores, and the
equivalent settings of this service.

The module is imported with `flask_cors.CORS` and `flask_cors.cross_origin` wrapped so every call
is recorded with its raw arguments (positional ones and typos included, which Flask-CORS drops
before anything could inspect them); `app.config` is read as Flask-CORS reads it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any

from cors_conformance.discover import flask_path
from cors_conformance.recording import CORSCall, import_recording
from cors_conformance.targets import TargetError
from flask_cors_asgi import DEFAULTS, ROUTE_OPTION_NAMES, Problem, audit, is_regex, resource_sort_key

CONFIG_KEYS = {f"CORS_{name.upper()}": name for name in DEFAULTS}


@dataclass
class Report:
    app: str
    settings: dict[str, str] = field(default_factory=dict)  # the service's environment variables
    ignored: list[str] = field(default_factory=list)  # what Flask-CORS ignores, one sentence each
    wider: list[str] = field(default_factory=list)  # where the effective policy is wider than configured
    routes: list[str] = field(default_factory=list)  # decorated routes and their effective policy
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


def load(reference: str) -> tuple[Any, list[CORSCall], dict[str, CORSCall], dict[str, list[str]]]:
    """Import `module:attr` afresh while recording: the app, its CORS() calls, its decorated views
    by endpoint, and each endpoint's URL rules."""
    module_name, _, attribute = reference.partition(":")
    if not module_name or not attribute:
        raise TargetError(f"expected wsgi:package.module:app, got {reference!r}")
    try:
        recorded = import_recording(module_name)
    except Exception as exc:  # an app module can fail in any way while importing
        raise TargetError(f"cannot import {module_name}: {type(exc).__name__}: {exc}") from None
    app = getattr(recorded.module, attribute, None)
    if app is None or not hasattr(app, "url_map"):
        raise TargetError(f"{reference} is not a Flask app")
    views = {
        endpoint: recorded.decorated[view]
        for endpoint, view in app.view_functions.items()
        if view in recorded.decorated
    }
    rules: dict[str, list[str]] = {}
    for rule in app.url_map.iter_rules():
        rules.setdefault(rule.endpoint, []).append(rule.rule)
    return app, recorded.extensions.get(id(app), []), views, rules


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


def read(reference: str) -> Report:
    app, extensions, views, rules = load(reference)
    report = Report(reference)
    config = {
        key: value for key, value in app.config.items() if key.startswith("CORS_") and value is not None
    }
    for key in sorted(config):
        if key not in CONFIG_KEYS:
            hint = (
                " (did you mean CORS_ALLOW_HEADERS? CORS_HEADERS was removed in Flask-CORS 2.0)"
                if key == "CORS_HEADERS"
                else ""
            )
            report.ignored.append(f"app.config[{key!r}] is not a Flask-CORS setting: ignored{hint}")

    configured = {CONFIG_KEYS[k]: v for k, v in config.items() if k in CONFIG_KEYS}  # by option name
    options: dict[str, Any] = dict(configured)
    for call in extensions:
        for name in call.kwargs:
            if name not in DEFAULTS:
                report.ignored.append(f"CORS(app, {name}=...) is not a Flask-CORS option: ignored")
        if call.args:
            report.ignored.append(f"CORS(app, {', '.join(map(repr, call.args))}): extra positional arguments")
        options.update({k: v for k, v in call.kwargs.items() if k in DEFAULTS})
    resources = options.get("resources", DEFAULTS["resources"]) if extensions else None
    if isinstance(resources, dict):
        for pattern, resource_options in resources.items():
            for name in resource_options:
                if name not in DEFAULTS:
                    report.ignored.append(
                        f"resource {_text(pattern)!r}: {name}= is not a Flask-CORS option: ignored"
                    )

    for name, value in options.items():
        report.settings[f"CORS_{name.upper()}"] = (
            json.dumps(_jsonable(value)) if name == "resources" else _text(value)
        )
    for index, call in enumerate(extensions):
        own = {k: v for k, v in call.kwargs.items() if k in DEFAULTS}
        effective = {**configured, **own}
        where = "CORS(app, ...)" if len(extensions) == 1 else f"CORS(app, ...) #{index + 1}"
        report.problems += [(where, problem) for problem in audit(**effective)]
    if not extensions:
        report.settings["CORS_RESOURCES"] = "[]"
        report.ignored.append("no CORS(app): only decorated routes have CORS headers")

    app_origins = options.get("origins", DEFAULTS["origins"])
    route_configured = {k: v for k, v in configured.items() if k in ROUTE_OPTION_NAMES}
    for endpoint, call in sorted(views.items()):
        paths = ", ".join(rules.get(endpoint, [endpoint]))
        unknown = [n for n in call.kwargs if n not in ROUTE_OPTION_NAMES]
        for name in unknown:
            report.ignored.append(f"@cross_origin({name}=...) on {paths}: not a Flask-CORS option, ignored")
        if call.args:
            arguments = ", ".join(map(repr, call.args))
            report.ignored.append(f"@cross_origin({arguments}) on {paths}: positional arguments are ignored")
        # The decorator merges defaults < app.config < its own kwargs, not the extension's kwargs.
        effective = {**route_configured, **{k: v for k, v in call.kwargs.items() if k in ROUTE_OPTION_NAMES}}
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
    return report


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

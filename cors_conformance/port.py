"""The port of a Flask app's Flask-CORS configuration, as engine code for the user's own app.

This module alone decides what code `from-flask` prints. It writes the engine's exact ports, as the
migration guide (docs/migration.md) gives them:

- `CORS(app, **options)` is one `CORSMiddleware(**options)` (several `CORS(app)` calls become one
  `resources` dict: `combined`);
- the app's `CORS_*` config is `config=` of that middleware, which `CORS(app)` and every
  `@cross_origin` below it layer their own options over, as Flask-CORS layers them over
  `app.config`;
- `CORS(blueprint, **options)` is `cors_blueprint(routes, **options)` over the blueprint's routes;
- `@cross_origin(...)` stays `cross_origin(...)` with the same arguments.

Without `CORS(app)`, a middleware with `resources=[]` is still written when blueprints or decorators
carry a policy: it gives Flask's automatic OPTIONS answer (and the decorators' config) and no
app-wide policy.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Decorated:
    endpoint: str
    rules: list[str]
    options: dict[str, Any]  # the decorator's own arguments (the app config comes from the middleware)


@dataclass
class Blueprint:
    name: str
    prefix: str  # its URL prefix ("" for none)
    rules: list[str]
    options: dict[str, Any]  # CORS(blueprint, ...)'s own options
    # Each level's URL prefix, outermost first, for a blueprint registered inside others.
    mounts: list[str] = field(default_factory=list)


@dataclass
class Port:
    middleware: dict[str, Any] | None = None  # CORSMiddleware's keyword options (but config=), or None
    sources: list[str] = field(default_factory=list)  # what the middleware stands for
    config: dict[str, Any] = field(default_factory=dict)  # app.config's CORS_* keys, for config=
    blueprints: list[Blueprint] = field(default_factory=list)
    decorators: list[Decorated] = field(default_factory=list)


def python(value: Any) -> str:
    """A Python expression for an option value (compiled regexes and timedeltas included)."""
    if isinstance(value, re.Pattern):
        flags = ", re.IGNORECASE" if value.flags & re.IGNORECASE else ""
        return f"re.compile({value.pattern!r}{flags})"
    if isinstance(value, datetime.timedelta):
        return f"datetime.timedelta(seconds={value.total_seconds()!r})"
    if isinstance(value, Mapping):
        return "{" + ", ".join(f"{python(k)}: {python(v)}" for k, v in value.items()) + "}"
    if isinstance(value, (set, frozenset)):
        return "[" + ", ".join(python(v) for v in sorted(value, key=str)) + "]"
    if isinstance(value, (list, tuple)):
        return "[" + ", ".join(python(v) for v in value) + "]"
    return repr(value)


def _imports(port: Port) -> list[str]:
    text = repr([port.middleware, port.config, [b.options for b in port.blueprints],
                 [d.options for d in port.decorators]])  # fmt: skip
    lines = []
    if port.blueprints:
        lines.append("import functools")
    if "datetime.timedelta" in text:
        lines.append("import datetime")
    if "re.compile" in text:
        lines.append("import re")
    used = (
        ("CORSMiddleware", port.middleware is not None),
        ("cors_blueprint", port.blueprints),
        ("cross_origin", port.decorators),
    )
    names = [name for name, is_used in used if is_used]
    if names:
        lines += ["", f"from flask_cors_asgi import {', '.join(names)}"]
    return lines


def decorator_name(endpoint: str) -> str:
    """The variable the code binds a view's decorator to: cors_<endpoint>."""
    return "cors_" + re.sub(r"\W", "_", endpoint)


def blueprint_name(name: str) -> str:
    """The variable the code binds a blueprint's `cors_blueprint` to: cors_<name>_blueprint."""
    return "cors_" + re.sub(r"\W", "_", name) + "_blueprint"


def _arguments(options: Mapping[str, Any]) -> str:
    return ", ".join(f"{name}={python(value)}" for name, value in options.items())


def code(port: Port, app: str) -> str:
    """The engine code: `app` is the port's Starlette or FastAPI app."""
    lines = [f"# The CORS configuration of {app}, for its Starlette/FastAPI port (`app`).", *_imports(port)]
    if port.middleware is not None:
        if port.config:
            lines += ["", "# app.config's CORS_* keys: CORS(app) and @cross_origin layer theirs over them."]
            lines.append("CORS_CONFIG = {")
            lines += [f"    {name!r}: {python(value)}," for name, value in port.config.items()]
            lines.append("}")
        if port.sources:
            lines += ["", f"# {'; '.join(port.sources)}:"]
        else:
            note = "# No CORS(app): the middleware answers OPTIONS as Flask does, with no app-wide policy."
            lines += ["", note]
        lines += ["app.add_middleware(", "    CORSMiddleware,"]
        if port.config:
            lines.append("    config=CORS_CONFIG,")
        lines += [f"    {name}={python(value)}," for name, value in port.middleware.items()]
        lines.append(")")
    for b in port.blueprints:
        name = blueprint_name(b.name)
        mount = f"{name}([...])"
        # A nested blueprint is nested Mounts, each inside its parent's routes, so that a parent's
        # own cors_blueprint wraps them too (docs/engine-shapes.md).
        levels = b.mounts if len(b.mounts) > 1 else [b.prefix]
        for depth, level in reversed(list(enumerate(levels))):
            mount = f"Mount({level!r}, routes={mount})" if level else mount
            if depth:
                mount = f"[..., {mount}]" if level else f"[..., *{mount}]"
        lines += [
            "",
            f"# CORS(blueprint {b.name!r}), on {', '.join(b.rules) or 'no routes'}:",
            "# the blueprint's routes pass through it, mounted where the blueprint was registered",
            f"# ({mount}).",
            f"{name} = functools.partial(",
            "    cors_blueprint,",
            *(f"    {option}={python(value)}," for option, value in b.options.items()),
            ")",
        ]
    for d in port.decorators:
        arguments = _arguments(d.options)
        lines += [
            "",
            f"# @cross_origin on {', '.join(d.rules)}: decorate the port's view for it, under its route",
            f"# decorator (@{decorator_name(d.endpoint)} or @cross_origin({arguments})).",
            f"{decorator_name(d.endpoint)} = cross_origin({arguments})",
        ]
    if port.middleware is None and not port.decorators and not port.blueprints:
        lines += ["", "# Flask-CORS is not configured: no CORS headers, nothing to add."]
    return "\n".join(lines) + "\n"


def _origin_list(value: Any) -> list[Any]:
    return [value] if isinstance(value, (str, re.Pattern)) else list(value)


def combined(
    extensions: Sequence[tuple[str, dict[str, Any], dict[Any, dict[str, Any]]]],
) -> tuple[dict[str, Any], list[str]]:
    """One middleware for several extensions: (label, its options less resources, its resources
    as a dict) each, the one whose hook runs first first; and what it cannot say exactly. One
    extension keeps its options as written; several become one resources dict whose entries carry
    each extension's options in full. Flask answers each origin by the first hook that admits it
    (the union of the policies): where two cover the same pattern with the same other options,
    their origins are joined; otherwise the first hook's policy is kept, and named."""
    if len(extensions) == 1:
        _, options, resources = extensions[0]
        return ({**options, "resources": resources} if resources else dict(options)), []
    merged: dict[Any, dict[str, Any]] = {}
    owner: dict[Any, str] = {}
    notes = []
    for label, options, resources in extensions:
        for pattern, resource_options in resources.items():
            full = {**{k: v for k, v in options.items() if k != "intercept_exceptions"}, **resource_options}
            if pattern not in merged:
                merged[pattern], owner[pattern] = full, label
                continue
            kept = merged[pattern]
            others = {k: v for k, v in full.items() if k != "origins"}
            if others == {k: v for k, v in kept.items() if k != "origins"}:
                origins = _origin_list(kept.get("origins", "*"))
                kept["origins"] = origins + [
                    o for o in _origin_list(full.get("origins", "*")) if o not in origins
                ]
            else:
                notes.append(
                    f"{owner[pattern]} and {label} both cover {pattern!r} with other options: Flask answers "
                    f"each origin by the first that admits it; the port keeps {owner[pattern]}'s"
                )
    return {"resources": merged}, notes

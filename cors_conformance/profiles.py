"""The two profiles of one app, side by side: the second step of a migration.

- The target form `fetch:asgi:module:app` (or `fetch:asgi-factory:module:function`) is the same
  Starlette app with each Flask-CORS-profile `CORSMiddleware` in its middleware list rebuilt under
  `profile="fetch"` with the strict equivalent of its options. `cors-conformance diff
  asgi:module:app fetch:asgi:module:app` then lists what changes for browsers (requests that start
  or stop being allowed, per browser) apart from what changes only on the wire.
- `from-flask` adds the strict equivalent of a Flask app's Flask-CORS configuration, with the
  regexes no origin pattern can express.
"""

from __future__ import annotations

import argparse
import copy
import re
import sys
import types
from collections.abc import Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.middleware import Middleware

from cors_conformance import flask_config
from cors_conformance.targets import Target, TargetError
from flask_cors_asgi import (
    CONFIG_KEYS,
    DEFAULTS,
    CORSMiddleware,
    StrictProposal,
    resolve_options,
    strict_equivalent,
)

PREFIX = "fetch:"
_MODULE = "cors_conformance_fetch_targets"  # where the rebuilt apps are importable from


def under_fetch_profile(app: Any, spec: str) -> tuple[Starlette, list[StrictProposal]]:
    """A copy of a Starlette app whose compat CORSMiddleware entries run the fetch profile with
    the strict equivalent of their options; the proposals, in the order of the entries."""
    if not isinstance(app, Starlette):
        raise TargetError(
            f"{spec}: fetch: needs a Starlette or FastAPI app whose CORSMiddleware is in its middleware list"
        )
    proposals: list[StrictProposal] = []
    rebuilt: list[Middleware] = []
    for entry in app.user_middleware:
        kwargs = dict(entry.kwargs)
        if not (isinstance(entry.cls, type) and issubclass(entry.cls, CORSMiddleware)):
            rebuilt.append(entry)
            continue
        if kwargs.pop("profile", "flask_cors") == "fetch":
            rebuilt.append(entry)
            continue
        kwargs.pop("shadow", None)
        proposal = strict_equivalent(**kwargs)
        proposals.append(proposal)
        # CORSMiddleware's typed options are the compat profile's; profile="fetch" is taken by __new__.
        factory: Any = entry.cls
        rebuilt.append(Middleware(factory, profile="fetch", **proposal.options))
    if not proposals:
        raise TargetError(f"{spec}: no Flask-CORS-profile CORSMiddleware in the app's middleware list")
    strict = copy.copy(app)
    strict.user_middleware = rebuilt
    strict.middleware_stack = None  # built afresh, from the new list, on the first request
    return strict, proposals


def _register(app: Starlette) -> str:
    module = sys.modules.get(_MODULE)
    if module is None:
        module = sys.modules[_MODULE] = types.ModuleType(_MODULE)
    name = f"app{len(vars(module))}"
    setattr(module, name, app)
    return f"asgi:{_MODULE}:{name}"


def expand_targets(args: argparse.Namespace) -> None:
    """Replace each `fetch:TARGET` argument with an importable target of its strict twin, telling
    (on stderr) which options it runs with and where they differ from the compat ones."""
    for attribute in ("target", "a", "b"):
        spec = getattr(args, attribute, None)
        if not isinstance(spec, str) or not spec.startswith(PREFIX):
            continue
        inner = spec[len(PREFIX) :]
        if not inner.startswith(("asgi:", "asgi-factory:")):
            raise TargetError(f"{spec}: write fetch:asgi:module:app or fetch:asgi-factory:module:function")
        strict, proposals = under_fetch_profile(Target(inner).app, spec)
        for proposal in proposals:
            print(f"{spec}: CORSMiddleware(app, profile='fetch', **{proposal.options!r})", file=sys.stderr)
            for note in proposal.notes:
                print(f"{spec}:   {note}", file=sys.stderr)
        setattr(args, attribute, _register(strict))


def from_flask(spec: str) -> list[tuple[str | None, StrictProposal]]:
    """The strict equivalent of a Flask app's Flask-CORS options (app.config's CORS_* keys under its
    CORS(app, ...) call's own): one per resource when `resources` gives paths their own options,
    each for its own fetch-profile middleware (a Mount) or routes."""
    app, recorded, _, _ = flask_config.load(spec)
    extensions = recorded.extensions.get(id(app), [])
    if not extensions:  # no app-wide policy: Flask-CORS's defaults would propose one open to all
        return []
    cors_config = {key: value for key, value in app.config.items() if key in CONFIG_KEYS}
    written = {k: v for call in extensions for k, v in call.kwargs.items() if k in DEFAULTS}
    options = resolve_options(written, config=cors_config, defaults=False)
    resources = options.pop("resources", None)
    if not isinstance(resources, Mapping) or not resources:
        return [(None, strict_equivalent(**options))]
    proposals: list[tuple[str | None, StrictProposal]] = []
    for pattern, own in resources.items():
        text = pattern.pattern if isinstance(pattern, re.Pattern) else str(pattern)
        own_options = {k: v for k, v in dict(own).items() if k in DEFAULTS and k != "resources"}
        merged = resolve_options(options, resource=own_options, defaults=False)
        proposals.append((text, strict_equivalent(**merged)))
    return proposals


def proposal_json(proposals: list[tuple[str | None, StrictProposal]]) -> list[dict[str, Any]]:
    return [
        {
            "resource": resource,
            "options": proposal.options,
            "exact": proposal.exact,
            "notes": proposal.notes,
            "no_equivalent": proposal.no_equivalent,
        }
        for resource, proposal in proposals
    ]


def proposal_text(proposals: list[tuple[str | None, StrictProposal]]) -> list[str]:
    """The from-flask section: each strict middleware call, then what differs."""
    lines = ["", "# Strict equivalent (the fetch profile), the second step of the migration:"]
    if not proposals:
        lines.append("#   no CORS(app): no app-wide policy to tighten (none proposed for blueprints)")
    for resource, proposal in proposals:
        where = "" if resource is None else f"for paths {resource!r}: "
        lines.append(f"#   {where}CORSMiddleware(app, profile='fetch', **{proposal.options!r})")
        lines.append(
            "#     "
            + ("browsers see the same policy" if proposal.exact else "browsers see a different policy:")
        )
        lines += [f"#     - {note}" for note in proposal.notes]
        lines += [f"#     - no origin pattern equivalent: {regex!r}" for regex in proposal.no_equivalent]
    return lines

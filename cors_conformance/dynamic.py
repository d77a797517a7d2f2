"""Policies that decide origins at request time (a function among the engine's `origins`).

Such a policy cannot be read: which origins its function admits lives in the function's data (a
database, say). The toolkit then treats the app as it treats a live URL: the answers it reports
are samples of the origins it tried, and it says so; `explain` says when the function decided.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from cors_conformance.targets import Target
from flask_cors_asgi import CORSMiddleware, OriginCheck

_MAX_DEPTH = 64


def _engines(app: Any) -> Iterator[Any]:
    """Each engine middleware below `app` (built ones) and each declared `Middleware(CORSMiddleware,
    ...)` of a Starlette app (its stack is built lazily), through `.middleware_stack` and `.app`."""
    for _ in range(_MAX_DEPTH):
        if app is None:
            return
        if isinstance(app, CORSMiddleware):
            yield app
        for declared in getattr(app, "user_middleware", ()):
            if getattr(declared, "cls", None) is CORSMiddleware or (
                isinstance(getattr(declared, "cls", None), type) and issubclass(declared.cls, CORSMiddleware)
            ):
                yield declared
        app = getattr(app, "middleware_stack", None) or getattr(app, "app", None)


def _declared_checks(options: Mapping[str, Any]) -> Iterator[Any]:
    sets = [options.get("origins")]
    resources = options.get("resources")
    if isinstance(resources, Mapping):
        sets += [own.get("origins") for own in resources.values() if isinstance(own, Mapping)]
    for origins in sets:
        items = origins if isinstance(origins, (list, tuple, set, frozenset)) else [origins]
        yield from (item for item in items if isinstance(item, OriginCheck) or _is_function(item))


def _is_function(item: Any) -> bool:
    return callable(item) and not isinstance(item, type) and not hasattr(item, "pattern")


def origin_checks(target: Target) -> list[str]:
    """The functions (shown as written) deciding origins at request time in an in-process target."""
    found: dict[str, None] = {}
    if target.kind != "asgi":
        return []
    for layer in _engines(target.app):
        if isinstance(layer, CORSMiddleware):
            checks = [r.policy.origin_check for r in layer.resources if r.policy.origin_check is not None]
            found.update((_shown(check), None) for check in checks)
        else:
            found.update((_shown(check), None) for check in _declared_checks(getattr(layer, "kwargs", {})))
    return list(found)


def _shown(check: Any) -> str:
    if isinstance(check, OriginCheck):
        return repr(check)
    return str(getattr(check, "__qualname__", None) or repr(check))


def sampled_note(target: Target) -> str | None:
    """What `probe` and `diff` say of a target whose origins are decided at request time."""
    checks = origin_checks(target)
    if not checks:
        return None
    return (
        f"{target.spec} decides origins at request time ({', '.join(checks)}): like a live URL, its "
        "policy was sampled with the origins above, not read; pass --origin to try more"
    )


def decided_by(target: Target, path: str, origin: str) -> str | None:
    """The function that decided this origin on this path, when one did (`explain`)."""
    if target.kind != "asgi":
        return None
    for layer in _engines(target.app):
        if isinstance(layer, CORSMiddleware):
            check = layer.origin_check_for(path, origin)
            if check is not None:
                return _shown(check)
    return None

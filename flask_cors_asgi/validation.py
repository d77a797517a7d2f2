"""Every problem of an option set at once, for a running middleware's `reconfigure`.

`compile_options` stops at the first option it refuses, which is right at start-up (the process
does not start, and the next attempt shows the next problem) but wrong for a reconfiguration: an
operator fixing a live policy should see every problem of the new options in one refusal, while
the old policy keeps serving. So each option is compiled on its own (over Flask-CORS's defaults),
then, when none is refused alone, the whole set (for combinations such as credentials with "*").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_cors_asgi.options import (
    DEFAULTS,
    ROUTE_OPTION_NAMES,
    Resource,
    RoutePolicies,
    compile_options,
    compile_policy,
    compile_resources,
    resolve_options,
    unknown_option_error,
)


class OptionsRefused(TypeError, ValueError):
    """Options refused as a whole; `problems` lists each one, naming its option. A TypeError and a
    ValueError both, as the constructor raises either for the same options."""

    def __init__(self, where: str, problems: list[str]) -> None:
        self.problems = tuple(problems)
        count = f"{len(problems)} problems" if len(problems) > 1 else "1 problem"
        super().__init__(f"{where}: options refused ({count}), nothing changed: " + " | ".join(problems))


def every_problem(
    options: Mapping[str, Any], where: str, config: Mapping[str, Any] | None = None
) -> list[str]:
    """The message of each problem of the option set, [] when `compile_options` accepts it (over
    the app config's `CORS_*` keys, `config`, which is known to be valid: each option is judged over
    the defaults and the config, as it would be compiled)."""
    problems: list[str] = []
    unknown = {name: value for name, value in options.items() if name not in DEFAULTS}
    if unknown:
        problems.append(_message(lambda: compile_options(unknown, where)))
    base = resolve_options(config=config, where=where)
    for name, value in options.items():
        if name not in DEFAULTS:
            continue
        merged = {**base, name: value}
        if name == "resources":
            problem = _message(lambda merged=merged: compile_resources(merged, where))
        else:
            problem = _message(lambda merged=merged: compile_policy(merged))
        if problem:
            problems.append(problem)
    if not problems:
        whole = _message(lambda: compile_options(options, where, config))
        if whole:
            problems.append(whole)
    return problems


def validated(
    options: Mapping[str, Any], where: str, config: Mapping[str, Any] | None = None
) -> tuple[Resource, ...]:
    """The compiled resources of the option set over the app config `config` (`CORSMiddleware`'s
    `config=`), or OptionsRefused listing every problem."""
    try:
        return compile_options(options, where, config)
    except (TypeError, ValueError) as exc:
        raise OptionsRefused(where, every_problem(options, where, config) or [str(exc)]) from None


def _message(compile_: Any) -> str:
    try:
        compile_()
    except (TypeError, ValueError) as exc:
        return str(exc)
    return ""


def every_route_problem(options: Mapping[str, Any], where: str) -> list[str]:
    """`every_problem` for the options of `cross_origin` (no resources, no app-level options)."""
    unknown = [name for name in options if name not in ROUTE_OPTION_NAMES]
    problems = [str(unknown_option_error(unknown, ROUTE_OPTION_NAMES, where))] if unknown else []
    for name, value in options.items():
        if name in ROUTE_OPTION_NAMES:
            problem = _message(lambda name=name, value=value: compile_policy({**DEFAULTS, name: value}))
            if problem:
                problems.append(problem)
    if not problems:
        whole = _message(lambda: compile_policy({**DEFAULTS, **options}))
        if whole:
            problems.append(whole)
    return problems


def validated_route(options: Mapping[str, Any], where: str) -> RoutePolicies:
    """The policies of `cross_origin(**options)` (its policy without app config compiled, the
    others as app configs come), or OptionsRefused listing every problem."""
    problems = every_route_problem(options, where)
    if problems:
        raise OptionsRefused(where, problems)
    return RoutePolicies(options, "cross_origin()")

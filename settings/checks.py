"""Configuration checks, run once at start-up, every problem reported at once.

Each problem has a stable id (`settings.E004`), names the variable the user wrote, and gives a hint
where the fix is clear (django-cors-headers' `checks.py` style). Development warns where the other
environments refuse; problems that leave nothing sensible to run are errors everywhere.
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from flask_cors_asgi import CORSMiddleware
from flask_cors_asgi.options import is_regex
from service.logging import escape_controls
from settings.base import CORS_VARIABLES, BaseAppSettings

Level = Literal["error", "warning"]

# Ids whose problems development only warns about.
_DEVELOPMENT_WARNS = frozenset({"E001", "E002", "E004", "E005", "E006", "E007", "E008"})
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "[::1]", "::1"})
# A shell glob such as https://*.example.com: Flask-CORS takes it as a regex matching other hosts.
_GLOB = re.compile(r"(^|//)\*\.")
_ALIASES = {"CORS_HEADERS": "CORS_ALLOW_HEADERS"}  # removed from Flask-CORS in 2.0, still copied


@dataclass(frozen=True)
class Problem:
    id: str
    variable: str
    message: str
    hint: str | None = None
    level: Level = "error"

    def __str__(self) -> str:
        hint = f" Hint: {self.hint}" if self.hint else ""
        # One printable line whatever CR, LF or ESC the quoted names and values hold.
        return escape_controls(f"{self.level}: {self.variable}: {self.message} [settings.{self.id}]{hint}")


class ConfigurationError(Exception):
    """Start-up refused: the message lists every problem, one per line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid configuration:\n" + "\n".join(f"  {p}" for p in self.problems))


def unknown_variables(names: Iterable[str]) -> list[Problem]:
    """E001: CORS_* variables Flask-CORS would ignore without a word (CORS_HEADERS, typos)."""
    problems = []
    for name in sorted({n.upper() for n in names if n.upper().startswith("CORS_")} - CORS_VARIABLES):
        close = _ALIASES.get(name) or next(
            iter(difflib.get_close_matches(name, sorted(CORS_VARIABLES), n=1)), None
        )
        problems.append(
            Problem(
                "E001",
                name,
                "is not a Flask-CORS setting and would be ignored",
                f"did you mean {close}?" if close else None,
            )
        )
    return problems


def _origin_problems(variable: str, origin: str, env: str) -> list[Problem]:
    if origin in ("*", ".*"):
        if env == "development":
            return [Problem("E005", variable, "allows every origin", "list the sites that may call the API")]
        return [
            Problem(
                "E005",
                variable,
                f"wildcard origin {origin!r} outside development",
                "list the sites that may call the API",
            )
        ]
    if origin == "null":
        return [
            Problem(
                "E006",
                variable,
                "'null' is the origin of sandboxed frames and files: any site can send it",
                "remove it",
            )
        ]
    if _GLOB.search(origin):
        return [
            Problem(
                "E002",
                variable,
                f"{origin!r} is a glob; Flask-CORS reads it as a regex that misses subdomains",
                r"use an anchored regex such as ^https://[a-z0-9-]+\.example\.com$",
            )
        ]
    if is_regex(origin):
        try:
            re.compile(origin)
        except re.error as exc:
            return [Problem("E003", variable, f"invalid regular expression {origin!r}: {exc}")]
        if not origin.endswith(("$", r"\Z")):
            return [
                Problem(
                    "E004",
                    variable,
                    f"regex {origin!r} is not anchored at its end, so it also admits "
                    f"origins that merely start with a match (e.g. '.evil.net' suffixes)",
                    "end it with $",
                )
            ]
        return []
    parts = urlsplit(origin)
    if not parts.scheme or not parts.netloc:
        return [Problem("E002", variable, f"{origin!r} has no scheme", f"write it as https://{origin}")]
    if parts.path or parts.query or parts.fragment:
        return [
            Problem(
                "E002",
                variable,
                f"{origin!r} has a path; an origin is scheme://host[:port]",
                f"write it as {parts.scheme}://{parts.netloc}",
            )
        ]
    if parts.scheme == "http" and parts.hostname not in _LOCAL_HOSTS:
        return [Problem("E007", variable, f"plain-http origin {origin!r} (not localhost)", "use https")]
    return []


def _origins_of(value: Any) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return [item for item in value if isinstance(item, str)]


def _policy_problems(variable: str, options: Mapping[str, Any], env: str) -> list[Problem]:
    problems = [
        p for origin in _origins_of(options.get("origins")) for p in _origin_problems(variable, origin, env)
    ]
    wildcard = options.get("origins", "*") in ("*", ".*") or "*" in _origins_of(options.get("origins", "*"))
    if options.get("supports_credentials") and wildcard:
        problems.append(
            Problem(
                "E008",
                variable,
                "credentials with every origin allowed: Flask-CORS then reflects any "
                "origin with Access-Control-Allow-Credentials: true",
                "list the allowed origins",
            )
        )
    return problems


def check(settings: BaseAppSettings) -> list[Problem]:
    """Every problem with these settings (not counting unknown variables, see `unknown_variables`)."""
    env = settings.env
    problems: list[Problem] = []
    resources = settings.cors_resources
    every_resource_has_origins = isinstance(resources, Mapping) and all(
        isinstance(options, Mapping) and options.get("origins") for options in resources.values()
    )
    if not settings.cors_origins and not every_resource_has_origins and env in ("staging", "production"):
        hint = "e.g. CORS_ORIGINS=https://app.example.com"
        problems.append(Problem("E010", "CORS_ORIGINS", f"must list at least one origin in {env}", hint))
    app_level = {"origins": settings.cors_origins, "supports_credentials": settings.cors_supports_credentials}
    problems += _policy_problems("CORS_ORIGINS", {k: v for k, v in app_level.items() if v is not None}, env)
    if isinstance(settings.cors_resources, Mapping):
        for pattern, options in settings.cors_resources.items():
            if isinstance(options, Mapping):
                merged = {**{k: v for k, v in app_level.items() if v is not None}, **options}
                problems += _policy_problems(f"CORS_RESOURCES[{pattern!r}]", merged, env)
    if settings.cors_max_age is not None and not re.fullmatch(r"\d+", settings.cors_max_age.strip()):
        problems.append(
            Problem(
                "E009", "CORS_MAX_AGE", f"must be a whole number of seconds (got {settings.cors_max_age!r})"
            )
        )
    if not any(p.id in ("E003", "E009") for p in problems):
        try:
            CORSMiddleware(_no_app, **settings.cors_options())
        except (TypeError, ValueError) as exc:
            problems.append(
                Problem("E011", "CORS_RESOURCES" if "resource" in str(exc) else "CORS_*", str(exc))
            )
    return problems


def run_checks(settings: BaseAppSettings, variable_names: Iterable[str]) -> list[Problem]:
    """Every problem: unknown CORS_* variables among `variable_names`, then the settings' own."""
    problems = unknown_variables(variable_names) + check(settings)
    return [at_level(p, settings.env) for p in problems]


def at_level(problem: Problem, env: str) -> Problem:
    """The problem as `env` treats it: development warns where the others refuse."""
    if env == "development" and problem.id in _DEVELOPMENT_WARNS:
        return Problem(problem.id, problem.variable, problem.message, problem.hint, "warning")
    return problem


async def _no_app(scope: Any, receive: Any, send: Any) -> None:  # pragma: no cover - never called
    raise AssertionError

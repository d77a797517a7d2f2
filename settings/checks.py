"""Configuration checks, run once at start-up, every problem reported at once.

Each problem has a stable id (`E004`), names the variable the user wrote, and gives a hint
where the fix is clear (django-cors-headers' `checks.py` style). Development warns where the other
environments refuse; problems that leave nothing sensible to run are errors everywhere.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Literal

from flask_cors_asgi import CHECKS as ENGINE_CHECKS
from flask_cors_asgi import Problem as EngineProblem
from flask_cors_asgi import audit, config_key, printable, protection_problems, unknown_names
from settings.base import CORS_VARIABLES, BaseAppSettings

Level = Literal["error", "warning"]

# One namespace of problem ids: the engine's audit ids (flask_cors_asgi.CHECKS), which the settings
# report under the variables that set each option, and these, which only settings can find.
CHECKS: Mapping[str, str] = {
    "E000": "unknown APP_ENV",
    "E001": "unknown CORS_* variable",
    "E010": "no origins in staging or production",
    "E100": "a value that does not parse",
}
assert not CHECKS.keys() & ENGINE_CHECKS.keys(), "an id means one problem"

# Ids whose problems development only warns about.
_DEVELOPMENT_WARNS = frozenset({"E001", "E002", "E004", "E005", "E006", "E007", "E008", "E012"})
_ALIASES = {"CORS_HEADERS": "CORS_ALLOW_HEADERS"}  # removed from Flask-CORS in 2.0, still copied


@dataclass(frozen=True)
class Problem:
    id: str
    variable: str
    message: str
    hint: str | None = None
    level: Level = "error"

    @property
    def text(self) -> str:
        """The problem without its level, for a log line that has its own."""
        hint = f" Hint: {self.hint}" if self.hint else ""
        # One printable line whatever CR, LF or ESC the quoted names and values hold.
        return printable(f"{self.variable}: {self.message} [{self.id}]{hint}")

    def __str__(self) -> str:
        return f"{self.level}: {self.text}"


class ConfigurationError(Exception):
    """Start-up refused: the message lists every problem, one per line."""

    def __init__(self, problems: Iterable[Problem]) -> None:
        self.problems = tuple(problems)
        super().__init__("invalid configuration:\n" + "\n".join(f"  {p}" for p in self.problems))


def unknown_variables(names: Iterable[str]) -> list[Problem]:
    """E001: CORS_* variables Flask-CORS would ignore without a word (CORS_HEADERS, typos), found by
    the engine's own "unknown option" check."""
    problems = []
    written = {n.upper() for n in names if n.upper().startswith("CORS_")}
    # difflib's default cutoff: the shared CORS_ prefix alone makes names half alike.
    for name, closest in unknown_names(written, CORS_VARIABLES, cutoff=0.6).items():
        close = _ALIASES.get(name) or closest
        problems.append(
            Problem(
                "E001",
                name,
                "is not a Flask-CORS setting and would be ignored",
                f"did you mean {close}?" if close else None,
            )
        )
    return problems


def _variable(problem: EngineProblem) -> str:
    """The variable a problem of the engine's audit is about."""
    if problem.resource is not None:
        pattern = problem.resource if isinstance(problem.resource, str) else problem.resource.pattern
        return f"CORS_RESOURCES['{pattern}']"
    return "CORS_*" if problem.option == "options" else config_key(problem.option)


def check(settings: BaseAppSettings) -> list[Problem]:
    """Every problem with these settings (not counting unknown variables, see `unknown_variables`):
    the engine's audit of the CORS options, under the variables that set them, and E010."""
    env = settings.env
    problems: list[Problem] = []
    resources = settings.cors_resources
    every_resource_has_origins = isinstance(resources, Mapping) and all(
        isinstance(options, Mapping) and options.get("origins") for options in resources.values()
    )
    if not settings.cors_origins and not every_resource_has_origins and env in ("staging", "production"):
        hint = "e.g. CORS_ORIGINS=https://app.example.com"
        problems.append(Problem("E010", "CORS_ORIGINS", f"must list at least one origin in {env}", hint))
    if settings.cors_profile == "fetch":
        options = settings.fetch_options()
        problems += [Problem(p.id, _variable(p), p.message) for p in audit(profile="fetch", **options)]
        return problems
    problems += [Problem(p.id, _variable(p), p.message, p.hint) for p in audit(**settings.cors_options())]
    problems += _protection_problems(settings)
    return problems


def _protection_problems(settings: BaseAppSettings) -> list[Problem]:
    """E030: trusted origins the cross-origin protection refuses (the engine's protection.E00x)."""
    variable = "CROSS_ORIGIN_TRUSTED_ORIGINS"
    return [
        Problem("E030", variable, f"'{p.value}' {p.message} (protection.{p.id})", p.hint)
        for p in protection_problems(trusted_origins=settings.cross_origin_trusted_origins)
    ]


def at_level(problem: Problem, env: str) -> Problem:
    """The problem as `env` treats it: development warns where the others refuse."""
    if env == "development" and problem.id in _DEVELOPMENT_WARNS:
        return Problem(problem.id, problem.variable, problem.message, problem.hint, "warning")
    return problem

"""Typed settings per environment. `load_settings()` reads the environment (and `.env`,
`.env.<APP_ENV>`) when called, never at import time, and refuses invalid configuration with every
problem listed at once; `read_settings()` reads them the same way and never refuses."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dotenv import dotenv_values
from pydantic import ValidationError

from flask_cors_asgi import printable
from settings.base import BaseAppSettings, as_text
from settings.checks import CHECKS, ConfigurationError, Problem, at_level, check, unknown_variables
from settings.environments import (
    ENVIRONMENTS,
    SEED_ORIGINS,
    DevelopmentSettings,
    ProductionSettings,
    StagingSettings,
    TestSettings,
)

__all__ = [
    "CHECKS",
    "ENVIRONMENTS",
    "SEED_ORIGINS",
    "BaseAppSettings",
    "ConfigurationError",
    "DevelopmentSettings",
    "Loaded",
    "Problem",
    "ProductionSettings",
    "Reading",
    "StagingSettings",
    "TestSettings",
    "as_text",
    "load_settings",
    "read_settings",
]


class Loaded:
    """Settings plus the warnings their checks produced (errors raise instead)."""

    def __init__(self, settings: BaseAppSettings, warnings: list[Problem]) -> None:
        self.settings = settings
        self.warnings = warnings


@dataclass(frozen=True)
class Reading:
    """What the environment says: the settings (None only for an unknown APP_ENV; a value that does
    not parse is replaced by its default there, and named in `unparsed`), every problem, and each
    variable's text as written (names upper-cased)."""

    env: str
    settings: BaseAppSettings | None
    problems: list[Problem]
    unparsed: frozenset[str]
    written: Mapping[str, str]

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.level == "error"]


def read_settings(directory: Path | None = None) -> Reading:
    """The settings of `APP_ENV` from the process environment and the .env files in `directory`
    (default: the working directory), with every problem at once: the values that do not parse
    (E100) and the checks of all the others. Real environment variables win over files, and
    `.env.<APP_ENV>` over `.env`. APP_ENV itself comes from the real environment only: it decides
    which files are read."""
    environ = os.environ
    directory = Path.cwd() if directory is None else directory
    env = environ.get("APP_ENV", "development")
    if env not in ENVIRONMENTS:
        problem = Problem(
            "E000", "APP_ENV", f"unknown environment '{printable(env)}'", f"one of {', '.join(ENVIRONMENTS)}"
        )
        return Reading(env, None, [problem], frozenset(), {})
    files = [path for path in (directory / ".env", directory / f".env.{env}") if path.is_file()]
    written: dict[str, str] = {}
    for path in files:
        written.update({name.upper(): value or "" for name, value in dotenv_values(path).items()})
    written.update({name.upper(): value for name, value in environ.items()})

    cls = ENVIRONMENTS[env]
    env_file = tuple(files) or None
    parse_problems: list[Problem] = []
    defaults: dict[str, Any] = {}
    try:
        settings = cls(_env_file=env_file)  # type: ignore[call-arg]
    except ValidationError as exc:
        for error in exc.errors():
            field = str(error["loc"][0])
            variable = field.upper()
            item = f"item {error['loc'][1]}: " if len(error["loc"]) > 1 else ""
            shown = written.get(variable, str(error.get("input")))
            examples = cls.model_fields[field].examples
            hint = f"e.g. {variable}={examples[0]}" if examples else None
            parse_problems.append(Problem("E100", variable, f"{item}{error['msg']} (got '{shown}')", hint))
            defaults[field] = cls.model_fields[field].get_default(call_default_factory=True)
        # The others are checked as they are: init arguments win over the environment.
        settings = cls(_env_file=env_file, **defaults)  # type: ignore[call-arg]

    unparsed = frozenset(name.upper() for name in defaults)
    checked = [
        p
        for p in check(settings)
        # A check of a default standing in for a value that did not parse is about nothing written.
        if p.variable.split("[", 1)[0] not in unparsed
    ]
    problems = [at_level(p, env) for p in [*unknown_variables(written), *parse_problems, *checked]]
    return Reading(env, settings, problems, unparsed, written)


def load_settings(directory: Path | None = None) -> Loaded:
    """The settings `read_settings` reads, or ConfigurationError listing every problem (warnings
    included) when any is an error."""
    reading = read_settings(directory)
    if reading.errors or reading.settings is None:
        raise ConfigurationError(reading.problems)
    return Loaded(reading.settings, reading.problems)

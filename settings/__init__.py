"""Typed settings per environment. `load_settings()` reads the environment (and `.env`,
`.env.<APP_ENV>`) when called, never at import time, and refuses invalid configuration with every
problem listed at once."""

from __future__ import annotations

import os
from pathlib import Path

from dotenv import dotenv_values
from pydantic import ValidationError

from settings.base import BaseAppSettings
from settings.checks import ConfigurationError, Problem, at_level, run_checks, unknown_variables
from settings.environments import ENVIRONMENTS

__all__ = ["BaseAppSettings", "ConfigurationError", "Loaded", "Problem", "load_settings"]


class Loaded:
    """Settings plus the warnings their checks produced (errors raise instead)."""

    def __init__(self, settings: BaseAppSettings, warnings: list[Problem]) -> None:
        self.settings = settings
        self.warnings = warnings


def load_settings(directory: Path | None = None) -> Loaded:
    """Build the settings of `APP_ENV` from the process environment and the .env files in
    `directory` (default: the working directory). Real environment variables win over files, and
    `.env.<APP_ENV>` over `.env`. APP_ENV itself comes from the real environment only: it decides
    which files are read."""
    environ = os.environ
    directory = Path.cwd() if directory is None else directory
    env = environ.get("APP_ENV", "development")
    if env not in ENVIRONMENTS:
        raise ConfigurationError(
            [Problem("E000", "APP_ENV", f"unknown environment {env!r}", f"one of {', '.join(ENVIRONMENTS)}")]
        )
    files = [path for path in (directory / ".env", directory / f".env.{env}") if path.is_file()]
    file_names = [name for path in files for name in dotenv_values(path)]

    cls = ENVIRONMENTS[env]
    try:
        settings = cls(_env_file=tuple(files) or None)  # type: ignore[call-arg]
    except ValidationError as exc:
        problems = [at_level(p, env) for p in unknown_variables([*environ, *file_names])]
        for error in exc.errors():
            variable = str(error["loc"][0]).upper() if error["loc"] else "settings"
            problems.append(Problem("E100", variable, f"{error['msg']} (got {error.get('input')!r})"))
        raise ConfigurationError(problems) from None

    problems = run_checks(settings, [*environ, *file_names])
    errors = [p for p in problems if p.level == "error"]
    if errors:
        raise ConfigurationError(problems)
    return Loaded(settings, problems)

"""`python -m settings [--env ENV] [--check]`: the effective settings of an environment, as
environment variables (on stdout), and every problem the checks find (on stderr). Exit status 1
when any problem is an error, the settings being shown all the same. `--check` prints only the
problems: the Procfile runs it before starting workers, because uvicorn restarts a worker that
exits, forever, where a single process would just stop."""

from __future__ import annotations

import argparse
import os
import sys

from flask_cors_asgi import CONFIG_KEYS, DEFAULTS, printable
from settings import ConfigurationError, Reading, read_settings
from settings.base import as_text

FLASK_CORS_FIELDS = frozenset(f"cors_{option}" for option in CONFIG_KEYS.values())


def effective_settings(reading: Reading) -> list[str]:
    """One line per setting: `NAME=value` as one would write it, or a comment for a value that did
    not parse or a Flask-CORS option left unset."""
    if reading.settings is None:
        return [f"# APP_ENV={printable(reading.env)}: unknown, no settings"]
    lines = [f"# APP_ENV={reading.env}"]
    for name, value in reading.settings.model_dump().items():
        variable = name.upper()
        if variable in reading.unparsed:
            lines.append(f"# {variable}: does not parse (E100)")
        elif value is None and name not in FLASK_CORS_FIELDS:
            lines.append(f"# {variable}: not set")
        elif value is None:
            default = DEFAULTS[name.removeprefix("cors_")]
            shown = "none" if default is None else as_text(default)
            lines.append(f"# {variable}: not set, Flask-CORS's default ({shown})")
        else:
            lines.append(printable(f"{variable}={as_text(value)}"))
    return lines


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m settings", description=__doc__)
    parser.add_argument("--env", help="the APP_ENV to show (default: $APP_ENV, else development)")
    parser.add_argument(
        "--check", action="store_true", help="only run the checks (what the Procfile does first)"
    )
    args = parser.parse_args(argv)
    if args.env:
        os.environ["APP_ENV"] = args.env
    reading = read_settings()
    if not args.check:
        print("\n".join(effective_settings(reading)))
    if reading.errors:
        print(ConfigurationError(reading.problems), file=sys.stderr)
    else:
        for warning in reading.problems:
            print(warning, file=sys.stderr)
    if not args.check:
        errors, warnings = len(reading.errors), len(reading.problems) - len(reading.errors)
        verdict = "start-up refused" if errors else "start-up allowed"
        print(f"# checks: {errors} error(s), {warnings} warning(s): {verdict}")
    return 1 if reading.errors else 0


if __name__ == "__main__":
    raise SystemExit(main())

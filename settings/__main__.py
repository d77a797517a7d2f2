"""`python -m settings [--env ENV] [--check]`: the effective settings of an environment, as
environment variables, and the result of the configuration checks. Exit status 1 when any check
fails. `--check` prints only the problems: the Procfile runs it before starting workers, because
uvicorn restarts a worker that exits, forever, where a single process would just stop."""

from __future__ import annotations

import argparse
import json
import os
import sys

from settings import ConfigurationError, load_settings


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m settings", description=__doc__)
    parser.add_argument("--env", help="the APP_ENV to show (default: $APP_ENV, else development)")
    parser.add_argument(
        "--check", action="store_true", help="only run the checks (what the Procfile does first)"
    )
    args = parser.parse_args(argv)
    if args.env:
        os.environ["APP_ENV"] = args.env
    try:
        loaded = load_settings()
    except ConfigurationError as exc:
        print(exc, file=sys.stderr)
        return 1
    settings = loaded.settings
    if args.check:
        for warning in loaded.warnings:
            print(warning, file=sys.stderr)
        return 0
    print(f"# APP_ENV={settings.env}")
    for name, value in settings.model_dump().items():
        if value is not None:
            shown = (
                value if isinstance(value, (str, int)) and not isinstance(value, bool) else json.dumps(value)
            )
            print(f"{name.upper()}={shown}")
    for warning in loaded.warnings:
        print(warning, file=sys.stderr)
    print("# checks: no errors" + (f", {len(loaded.warnings)} warning(s)" if loaded.warnings else ""))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

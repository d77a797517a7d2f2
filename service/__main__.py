"""`python -m service [uvicorn options]`: uvicorn's own command line, serving this service as it is
deployed. It is uvicorn's command with the app fixed (`service.app:create_app`, a factory: no APP
argument) and these defaults changed; an option given on the command line or as uvicorn's variable
(`UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN=5`, ...) wins over them:

- `--http service.server:GuardedHttpToolsProtocol`: deadlines and size caps on request heads;
- `--timeout-graceful-shutdown 20`: after SIGTERM, requests already read get up to 20 s to finish
  (longer than the default BODY_TIMEOUT, so an upload still arriving gets its 408 first; shorter
  than the 30 s platforms wait before SIGKILL);
- `--no-server-header`.

`--help` tells the service's story first (what it serves, APP_ENV and the service's variables, the
defaults above), then lists uvicorn's options.

It also exits with status 0 after a graceful shutdown: uvicorn (one worker) re-raises the SIGTERM it
handled so the previous handler runs, which by default kills the process (status 143); the handler
installed here ends it normally instead.
"""

from __future__ import annotations

import copy
import signal
import sys
from types import FrameType
from typing import Any

import click
from uvicorn.main import main as uvicorn_command

from flask_cors_asgi import DEFAULTS
from service.deployed import UVICORN_DEFAULTS, option_words
from settings import ENVIRONMENTS, BaseAppSettings, as_text

APP = "service.app:create_app"
INTRO = (
    "Serve the /api/foo service (POST /api/foo, GET /healthz, GET /openapi.json) with uvicorn, as "
    f"deployed: the app is {APP} (a factory), built from the settings below. Settings come from the "
    "environment, then .env.<APP_ENV> and .env in the working directory; `python -m settings` prints "
    "the effective ones and their checks. A refused configuration stops the start-up with every "
    "problem listed; each process logs one start-up line saying what it enforces. SIGHUP to a serving "
    "process reloads its CORS_* settings from those files, checked the same way (docs/dynamic-origins.md). "
    "uvicorn's options "
    "follow; an option given, or its UVICORN_* variable, wins over the defaults this command adds."
)


def setting_rows() -> list[tuple[str, str]]:
    """(variable, what it does and its default) for APP_ENV and each of the service's settings."""
    rows = [
        (
            "APP_ENV",
            "development (the default), test, staging or production: staging and production refuse "
            "unsafe CORS settings and start only with origins set. The Procfile's web process "
            "defaults to production.",
        )
    ]
    for name, field in BaseAppSettings.model_fields.items():
        option = name.removeprefix("cors_")
        what = field.description or f"Flask-CORS's {option} option"
        by_default: dict[str, list[str]] = {}
        for env, cls in ENVIRONMENTS.items():
            by_default.setdefault(_default_text(option, cls.model_fields[name].default), []).append(env)
        if len(by_default) == 1:
            (shown,) = by_default
        else:
            shown = "; ".join(f"{', '.join(envs)}: {text}" for text, envs in by_default.items())
        rows.append((name.upper(), f"{what} [default: {shown}]"))
    return rows


def _default_text(option: str, value: Any) -> str:
    if value is not None:
        return as_text(value)
    if option == "origins":
        return "none, start-up refused"
    if option not in DEFAULTS:
        return "unset"
    flask_cors = DEFAULTS[option]
    return f"unset, Flask-CORS's {'none' if flask_cors is None else as_text(flask_cors)}"


def default_rows() -> list[tuple[str, str]]:
    rows = [(f"--factory {APP}", "the app (no APP argument)")]
    for name, (value, why) in UVICORN_DEFAULTS.items():
        rows.append((" ".join(option_words(name, value)), why))
    return rows


class ServiceCommand(click.Command):
    """uvicorn's command, its help text telling the service's story before uvicorn's options."""

    def format_help_text(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        formatter.write_paragraph()
        with formatter.indentation():
            formatter.write_text(INTRO)
        with formatter.section("Settings (environment variables)"):
            formatter.write_dl(setting_rows())
        with formatter.section("Defaults added to uvicorn's options"):
            formatter.write_dl(default_rows())


def _serve(**options: Any) -> None:
    assert uvicorn_command.callback is not None
    uvicorn_command.callback(app=APP, factory=True, **options)


def _with_default(param: click.Parameter, default: Any) -> click.Parameter:
    changed = copy.copy(param)
    changed.default = default
    if isinstance(changed, click.Option):
        changed.show_default = True
    return changed


def command() -> click.Command:
    """uvicorn's command line without its APP argument and --factory, with UVICORN_DEFAULTS."""
    params = [
        _with_default(param, UVICORN_DEFAULTS[param.name][0]) if param.name in UVICORN_DEFAULTS else param
        for param in uvicorn_command.params
        if param.name not in ("app", "factory")
    ]
    return ServiceCommand(
        "python -m service",
        callback=_serve,
        params=params,
        context_settings=uvicorn_command.context_settings,
    )


def _exit_normally(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    # uvicorn installs its own handlers while serving and restores these afterwards.
    signal.signal(signal.SIGTERM, _exit_normally)
    signal.signal(signal.SIGINT, _exit_normally)
    command().main(args=args, prog_name="python -m service")


if __name__ == "__main__":
    main()

"""`python -m service [uvicorn options]`: uvicorn's own command line, serving this service as it is
deployed. Every uvicorn option works, and an option given on the command line or as uvicorn's
variable (`UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN=5`, ...) wins over these defaults:

- `service.app:create_app --factory`: the app, built from the environment's settings;
- `--http service.server:GuardedHttpToolsProtocol`: deadlines and size caps on request heads;
- `--timeout-graceful-shutdown 20`: after SIGTERM, requests already read get up to 20 s to finish
  (longer than the default BODY_TIMEOUT, so an upload still arriving gets its 408 first; shorter
  than the 30 s platforms wait before SIGKILL);
- `--no-server-header`.

It also exits with status 0 after a graceful shutdown: uvicorn (one worker) re-raises the SIGTERM it
handled so the previous handler runs, which by default kills the process (status 143); the handler
installed here ends it normally instead.
"""

from __future__ import annotations

import os
import signal
import sys
from types import FrameType

import uvicorn.main

APP = "service.app:create_app"
PROTOCOL = "service.server:GuardedHttpToolsProtocol"
GRACEFUL_SHUTDOWN_SECONDS = 20
# Each default, with the variable through which uvicorn's command line would take it instead.
DEFAULTS = {
    ("--http", PROTOCOL): "UVICORN_HTTP",
    ("--timeout-graceful-shutdown", str(GRACEFUL_SHUTDOWN_SECONDS)): "UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN",
    ("--no-server-header",): "UVICORN_SERVER_HEADER",
}


def command_line(args: list[str]) -> list[str]:
    """uvicorn's arguments: the app, the defaults not set by a variable, then `args`."""
    defaults = [
        word for option, variable in DEFAULTS.items() if variable not in os.environ for word in option
    ]
    return [APP, "--factory", *defaults, *args]


def _exit_normally(signum: int, frame: FrameType | None) -> None:
    raise SystemExit(0)


def main(argv: list[str] | None = None) -> None:
    args = sys.argv[1:] if argv is None else argv
    # uvicorn installs its own handlers while serving and restores these afterwards.
    signal.signal(signal.SIGTERM, _exit_normally)
    signal.signal(signal.SIGINT, _exit_normally)
    uvicorn.main.main(args=command_line(args), prog_name="python -m service")


if __name__ == "__main__":
    main()

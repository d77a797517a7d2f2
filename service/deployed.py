"""The defaults this service adds to uvicorn's wherever uvicorn serves it as deployed: its command
line (`python -m service`, service/__main__.py) and gunicorn's worker class (service/worker.py).
Keyed by the name uvicorn's `Config` and its command line's parameters share."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import click
from uvicorn.main import main as uvicorn_command

PROTOCOL = "service.server:GuardedHttpToolsProtocol"
GRACEFUL_SHUTDOWN_SECONDS = 20

# name -> (value, why)
UVICORN_DEFAULTS: Mapping[str, tuple[Any, str]] = {
    "http": (PROTOCOL, "the request-head deadline and size cap (HEADER_TIMEOUT, MAX_HEADER_BYTES)"),
    "timeout_graceful_shutdown": (
        GRACEFUL_SHUTDOWN_SECONDS,
        "after SIGTERM, requests already read get 20 s to finish (above BODY_TIMEOUT, below a "
        "platform's 30 s before SIGKILL)",
    ),
    "server_header": (False, "no Server: uvicorn header"),
}


def option_words(name: str, value: Any) -> list[str]:
    """The words of uvicorn's command line that set its parameter `name` to `value`:
    `--no-server-header`, `--http service.server:GuardedHttpToolsProtocol`."""
    option = next(p for p in uvicorn_command.params if p.name == name)
    assert isinstance(option, click.Option)
    if isinstance(value, bool):
        return [(option.opts if value else option.secondary_opts)[0]]
    return [option.opts[0], str(value)]

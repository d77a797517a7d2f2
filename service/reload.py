"""Reloading the CORS policy of a running service: SIGHUP, without a restart or a dropped request.

On SIGHUP each server process reads its settings sources again (the .env files of its working
directory; its environment variables cannot change while it runs, and they still win over the
files), checks them exactly as start-up does, and then either swaps its CORS policy at once
(`CORSMiddleware.reconfigure`) and logs a new start-up line, or logs every problem, as start-up
prints them, and keeps serving the policy in force. Requests already running finish with the
policy they started with; nothing is closed or restarted.

Only the CORS_* settings are reloaded: the limits (MAX_BODY_BYTES, the timeouts) are built into the
server's protocol and the endpoint, and a change to one is logged as waiting for a restart.

With one process (`python -m service`, the Procfile's default WEB_CONCURRENCY=1) send SIGHUP to it.
Under uvicorn's supervisor (`--workers N`) SIGHUP to the supervisor is uvicorn's own: it replaces
its workers one by one (each new one reads the settings at start-up); to reload in place, send
SIGHUP to each worker (`pkill -HUP -P <supervisor pid> -f multiprocessing.spawn`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from flask_cors_asgi import (
    CORSMiddleware,
    CrossOriginProtection,
    FetchConfigError,
    FetchCORSMiddleware,
    OptionsRefused,
)
from service.startup import startup_line
from settings import BaseAppSettings, read_settings

logger = logging.getLogger("service")

RELOAD_SIGNAL = signal.SIGHUP


def reload_policy(
    middleware: CORSMiddleware | FetchCORSMiddleware,
    settings: BaseAppSettings,
    *,
    guarded: bool,
    version: str,
    protection: CrossOriginProtection | None = None,
    options: Callable[[BaseAppSettings], Mapping[str, Any]] = BaseAppSettings.cors_options,
) -> BaseAppSettings:
    """Read, check and apply the settings' CORS policy to the service's engine (`Service.app`), and
    to its cross-origin protection (when on) the origins it trusts, which default to the CORS
    origins; the settings now in force (the old ones when the new ones are refused). `options`
    reads the engine's options from the settings (`fetch_options` for the fetch profile's)."""
    reading = read_settings()
    if reading.errors or reading.settings is None:
        # The lines start-up prints for the same settings, one log record each.
        logger.error("reload refused, the CORS policy in force keeps serving; invalid configuration:")
        for problem in reading.problems:
            logger.error("%s", problem)
        return settings
    for problem in reading.problems:
        logger.warning("%s", problem.text)
    fresh = reading.settings
    cors = {name: getattr(fresh, name) for name in type(fresh).model_fields if name.startswith("cors_")}
    for name in type(settings).model_fields:
        if name not in cors and getattr(fresh, name) != getattr(settings, name):
            logger.warning("reload: %s changed; it takes effect at the next restart", name.upper())
    effective = settings.model_copy(update=cors)
    try:
        # From `fresh`, whose CORS fields `effective` took: fetch_options reads which variables
        # were set, which a copy of the old settings updated with every CORS field cannot tell.
        changed = middleware.reconfigure(**options(fresh))
    except (OptionsRefused, FetchConfigError) as exc:  # the checks refuse all this first: a last guard
        logger.error("reload refused, the CORS policy in force keeps serving: %s", exc)
        return settings
    protection_options = effective.cross_origin_protection_options()
    if protection is not None and protection_options is not None:
        # Checked with the settings above (settings.E030): the same origins cannot be refused here.
        protection.reconfigure(trusted_origins=protection_options["trusted_origins"])
    logger.info(
        "reload: CORS policy %s | %s",
        "replaced" if changed else "unchanged",
        startup_line(effective, guarded=guarded, version=version),
    )
    return effective


@contextlib.contextmanager
def reloading_on_signal(reload: Callable[[], Any]) -> Iterator[bool]:
    """Call `reload` on the running loop at each SIGHUP while the block runs; yields whether the
    handler could be installed (not outside the main thread, not on Windows)."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(RELOAD_SIGNAL, reload)
    except (NotImplementedError, RuntimeError, ValueError):
        yield False
        return
    try:
        yield True
    finally:
        loop.remove_signal_handler(RELOAD_SIGNAL)

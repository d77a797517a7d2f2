"""gunicorn's worker class for this service: uvicorn's (from uvicorn-worker) with the defaults
`python -m service` adds (service/deployed.py), the guarded protocol among them, so a team that
deploys with gunicorn keeps the request-head deadline and size cap:

    gunicorn -k service.worker.GuardedUvicornWorker 'service.app:create_app()'

Needs the `gunicorn` extra (gunicorn, uvicorn-worker). gunicorn's own options (--bind, --workers,
--forwarded-allow-ips, --graceful-timeout: keep it above 20 s, ...) apply as usual. A refused
configuration stops gunicorn (status 4) before any worker boots, as the Procfile's check does.
"""

from __future__ import annotations

import sys
from typing import Any, ClassVar

from gunicorn.arbiter import Arbiter
from gunicorn.errors import HaltServer
from uvicorn_worker import UvicornWorker

from service.deployed import UVICORN_DEFAULTS
from settings import ConfigurationError, read_settings


class GuardedUvicornWorker(UvicornWorker):  # type: ignore[misc]  # uvicorn-worker is untyped
    CONFIG_KWARGS: ClassVar[dict[str, Any]] = {
        **UvicornWorker.CONFIG_KWARGS,
        **{name: value for name, (value, _) in UVICORN_DEFAULTS.items()},
    }

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        # gunicorn builds each worker in its master process, before forking it: a refused
        # configuration stops gunicorn there, before any worker boots (with several workers failing
        # at once, gunicorn 27 halts with a traceback and status 1).
        reading = read_settings()
        if reading.errors:
            print(ConfigurationError(reading.problems), file=sys.stderr)
            raise HaltServer("invalid configuration", Arbiter.APP_LOAD_ERROR)
        super().__init__(*args, **kwargs)

    def load_wsgi(self) -> None:
        try:
            super().load_wsgi()
        except SystemExit as exc:
            if exc.code in (0, None):
                raise
            # create_app refused the settings after all (a .env file changed since the master read
            # it, say), and printed why. A worker exiting with 1 is booted again, for ever; this
            # status makes gunicorn stop.
            sys.exit(Arbiter.APP_LOAD_ERROR)

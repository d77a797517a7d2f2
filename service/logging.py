"""Log lines that a request or a setting cannot forge or break.

Values that reach a log record from outside (a client address from `X-Forwarded-For`, a request
target, a configuration value or variable name in a settings warning) may hold CR, LF, ESC, NEL
(U+0085, a line break to `str.splitlines`), CSI (U+009B) or U+2028. Written as they are, they start
a forged line or drive the terminal showing the log. `EscapeControlCharacters` writes every
non-printable character of a record's message and arguments as `repr` writes it (`\\n`, `\\x1b`,
`\\x85`), before any formatter runs: uvicorn's own colours (added by its formatters, on a tty) are
kept, and printable text, non-ASCII included, is unchanged.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask_cors_asgi import printable

# The loggers whose records carry outside values: uvicorn's server messages (parser errors and
# refusals), its access log (request line, client address) and the service's own (settings
# warnings). A logger's filters see the records made on it, not those of its children.
LOGGERS = ("uvicorn.error", "uvicorn.access", "service", "flask_cors_asgi.protection")
# The loggers written where the server writes its own: the service's, and the cross-origin
# protection's report-only lines (CROSS_ORIGIN_PROTECTION=report).
FOLLOWERS = ("service", "flask_cors_asgi.protection")


class _Escaped:
    """An argument that is neither text nor a number, shown escaped by %s, %r and format()."""

    def __init__(self, value: object) -> None:
        self.value = value

    def __str__(self) -> str:
        return printable(str(self.value))

    def __repr__(self) -> str:
        return printable(repr(self.value))

    def __format__(self, spec: str) -> str:
        return printable(format(self.value, spec))


def _escaped(value: Any) -> Any:
    if isinstance(value, str):
        return printable(value)
    if value is None or isinstance(value, (int, float)):
        return value  # printable, and %d / %f need the number itself
    return _Escaped(value)


class EscapeControlCharacters(logging.Filter):
    """Escapes a record's message and arguments in place; never drops a record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = printable(record.msg if isinstance(record.msg, str) else str(record.msg))
        if isinstance(record.args, Mapping):
            record.args = {key: _escaped(value) for key, value in record.args.items()}
        elif record.args:
            record.args = tuple(_escaped(value) for value in record.args)
        return True


def install_log_escaping() -> None:
    """Add the filter to LOGGERS, once per process however often the app is built."""
    for name in LOGGERS:
        logger = logging.getLogger(name)
        if not any(isinstance(f, EscapeControlCharacters) for f in logger.filters):
            logger.addFilter(EscapeControlCharacters())


def follow_server_log() -> None:
    """Send the service's records (the start-up line, settings warnings, report-only lines) where
    the server sends its own, at its level: to the handlers of `uvicorn.error` (gunicorn's, under
    its worker class) or of `uvicorn` (uvicorn's command line). Left alone when logging was
    configured for them already (handlers on the logger or on the root logger), or when no server
    has configured its own yet."""
    for follower in FOLLOWERS:
        _follow(logging.getLogger(follower))


def _follow(service: logging.Logger) -> None:
    if service.handlers or logging.getLogger().handlers:
        return
    for name in ("uvicorn.error", "uvicorn"):
        server = logging.getLogger(name)
        if server.handlers:
            for handler in server.handlers:
                service.addHandler(handler)
            service.setLevel(logging.getLogger("uvicorn.error").getEffectiveLevel())
            service.propagate = False
            return

"""Moved to testing_support (the benchmarks use it too, and must not import tests/). These names stay
importable from here for test modules written before the move; new tests import testing_support."""

from testing_support import (
    Observed,
    RawAnswer,
    RawReq,
    Req,
    RouteSpec,
    asgi_scope,
    compare,
    flask_app,
    is_automatic_options,
    observe,
    observe_lines,
    send_asgi,
    send_asgi_raw,
    send_asgi_sync,
    send_flask,
    send_flask_raw,
    starlette_app,
    wsgi_environ,
)

__all__ = [
    "Observed",
    "RawAnswer",
    "RawReq",
    "Req",
    "RouteSpec",
    "asgi_scope",
    "compare",
    "flask_app",
    "is_automatic_options",
    "observe",
    "observe_lines",
    "send_asgi",
    "send_asgi_raw",
    "send_asgi_sync",
    "send_flask",
    "send_flask_raw",
    "starlette_app",
    "wsgi_environ",
]

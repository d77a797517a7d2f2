"""What the tests and the benchmarks share, so that neither imports the other: the original Flask app
(`seed_app`), the side-by-side harness that sends the same request to Flask + Flask-CORS and to
Starlette + the engine (`differential`), and real server processes on 127.0.0.1 (`servers`).
It is the repository's own support code, not part of the distribution.

Support that more than one test folder (tests/<layer>/) uses lives here too, imported by module: the
toolkit's target apps, which the docs name by import path (`misconfigured`, `cors_corpus`,
`flask_corpus`, `protection_app`), the engine's documented examples (`doc_examples`) and the browser
differential's harness with the driver interface it names (`browser_differential`, `driver`)."""

from testing_support.differential import (
    Observed,
    RawAnswer,
    RawReq,
    Req,
    RouteSpec,
    asgi_scope,
    compare,
    differences,
    flask_app,
    flask_style_answer,
    is_automatic_options,
    observe,
    observe_lines,
    post_preflight,
    send_asgi,
    send_asgi_raw,
    send_asgi_sync,
    send_flask,
    send_flask_raw,
    sent_for,
    starlette_app,
    wsgi_environ,
)
from testing_support.seed_app import create_seed_app
from testing_support.servers import (
    PYTHON,
    ROOT,
    clean_env,
    free_port,
    gunicorn_command,
    is_service_variable,
    run_bounded,
    serving,
    stop,
    uvicorn_command,
    wait_until_serving,
)

__all__ = [
    "PYTHON",
    "ROOT",
    "Observed",
    "RawAnswer",
    "RawReq",
    "Req",
    "RouteSpec",
    "asgi_scope",
    "clean_env",
    "compare",
    "create_seed_app",
    "differences",
    "flask_app",
    "flask_style_answer",
    "free_port",
    "gunicorn_command",
    "is_automatic_options",
    "is_service_variable",
    "observe",
    "observe_lines",
    "post_preflight",
    "run_bounded",
    "send_asgi",
    "send_asgi_raw",
    "send_asgi_sync",
    "send_flask",
    "send_flask_raw",
    "sent_for",
    "serving",
    "starlette_app",
    "stop",
    "uvicorn_command",
    "wait_until_serving",
    "wsgi_environ",
]

"""Moved to testing_support (the benchmarks use it too, and must not import tests/). These names stay
importable from here for test modules written before the move; new tests import testing_support."""

from testing_support import (
    PYTHON,
    ROOT,
    clean_env,
    free_port,
    gunicorn_command,
    is_service_variable,
    serving,
    stop,
    uvicorn_command,
    wait_until_serving,
)

__all__ = [
    "PYTHON",
    "ROOT",
    "clean_env",
    "free_port",
    "gunicorn_command",
    "is_service_variable",
    "serving",
    "stop",
    "uvicorn_command",
    "wait_until_serving",
]

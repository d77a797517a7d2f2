"""Shared test set-up: every test runs with no service configuration from the developer's shell."""

from __future__ import annotations

import os

import pytest

_SERVICE_VARIABLES = ("APP_ENV", "MAX_BODY_BYTES")


@pytest.fixture(autouse=True)
def _hermetic_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("CORS_") or name.upper() in _SERVICE_VARIABLES:
            monkeypatch.delenv(name, raising=False)

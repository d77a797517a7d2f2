"""The real browsers the tests drive, behind one interface: find one, launch it, open pages.

Locally a missing browser skips its tests with an install hint; in CI (CI=true) it fails them:
scripts/install-tools installs both."""

from __future__ import annotations

import os

import pytest

from cors_conformance.browser import BROWSERS, Browser
from tests.browsers import chromium, firefox

__all__ = ["BROWSERS", "Browser", "launch"]


def launch(
    name: Browser,
    *,
    chromium_flags: tuple[str, ...] = (),
    firefox_prefs: dict[str, bool | int | str] | None = None,
) -> chromium.Chromium | firefox.Firefox:
    """A fresh headless browser (use it as a context manager), or skip/fail the test without one."""
    module = chromium if name == "chromium" else firefox
    executable = chromium.find_chromium() if name == "chromium" else firefox.find_firefox()
    if executable is None:
        message = f"{name} not found: {module.INSTALL_HINT}"
        if os.environ.get("CI", "").lower() in ("true", "1"):
            pytest.fail(f"{message} (CI needs it: scripts/install-tools)")
        pytest.skip(message)
    if name == "chromium":
        return chromium.Chromium(executable, flags=chromium_flags)
    return firefox.Firefox(executable, prefs=firefox_prefs)

"""Headless Chromium driven over the DevTools protocol, directly.

Why the DevTools protocol rather than Playwright or Selenium: Debian's `chromium` package is the
only thing to install (no browser download, no chromedriver whose version must match), and the
three calls the tests need (open a page, wait for it, evaluate a promise) are a few lines over one
websocket.
"""

from __future__ import annotations

import itertools
import json
import os
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

from cors_conformance.browser import Browser
from testing_support.driver import Driver
from testing_support.driver import Page as ScriptPage

FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-quic",
    "--no-first-run",
    "--no-default-browser-check",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
)
INSTALL_HINT = "install Debian's chromium (apt-get install chromium) or set CHROMIUM=/path/to/chromium"


def find_chromium() -> str | None:
    configured = os.environ.get("CHROMIUM")
    if configured:
        return shutil.which(configured)
    return shutil.which("chromium") or shutil.which("chromium-browser")


class Chromium(Driver):
    """One headless Chromium process with a fresh profile; `page(url)` opens a tab."""

    name: Browser = "chromium"

    def __init__(self, executable: str, timeout: float = 30, flags: tuple[str, ...] = ()) -> None:
        super().__init__("chromium-profile-", timeout)
        self._process = subprocess.Popen(
            [executable, *FLAGS, *flags, f"--user-data-dir={self._profile.name}", "about:blank"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        port_file = Path(self._profile.name) / "DevToolsActivePort"
        deadline = time.monotonic() + timeout
        while not (port_file.exists() and len(port_file.read_text().splitlines()) >= 2):
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"Chromium did not start ({executable})")
            time.sleep(0.05)
        port, path = port_file.read_text().splitlines()[:2]
        self._connect(f"ws://127.0.0.1:{port}{path}")
        self._ids = itertools.count(1)
        self.version = "Chromium " + self.call("Browser.getVersion")["product"].partition("/")[2]

    def set_permission(self, origin: str, name: str, state: str) -> None:
        """Grant or deny a permission (e.g. "loopback-network") to pages on `origin`."""
        self.call("Browser.setPermission", permission={"name": name}, setting=state, origin=origin)

    def call(self, method: str, session: str | None = None, **params: Any) -> dict[str, Any]:
        """Send one DevTools command and wait for its answer."""
        message_id = next(self._ids)
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params}
        if session:
            message["sessionId"] = session
        self._socket.send(json.dumps(message))
        reply = self._reply(message_id)
        if "error" in reply:
            raise RuntimeError(f"{method}: {reply['error']}")
        return dict(reply.get("result", {}))

    def page(self, url: str) -> Page:
        target = self.call("Target.createTarget", url=url)["targetId"]
        session = self.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self, session)
        deadline = time.monotonic() + self.timeout
        while page.evaluate("document.readyState + ' ' + location.href") != f"complete {url}":
            if time.monotonic() > deadline:
                raise RuntimeError(f"page {url} did not load")
            time.sleep(0.05)
        return page


class Page(ScriptPage):
    def __init__(self, browser: Chromium, session: str) -> None:
        self._browser = browser
        self._session = session

    def evaluate(self, expression: str) -> Any:
        result = self._browser.call(
            "Runtime.evaluate", self._session, expression=expression, awaitPromise=True, returnByValue=True
        )
        if "exceptionDetails" in result:
            raise RuntimeError(f"JavaScript error: {result['exceptionDetails']}")
        return result["result"].get("value")

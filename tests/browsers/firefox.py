"""Headless Firefox driven over WebDriver BiDi, directly.

Firefox speaks WebDriver BiDi itself (`--remote-debugging-port`, a websocket at `/session`), so, as
for Chromium, Debian's `firefox-esr` is the only thing to install: no geckodriver. The profile is
fresh and every background service that would reach the network (updates, telemetry, remote
settings, captive-portal and connectivity checks, Safe Browsing, ...) is turned off: only loopback.
"""

from __future__ import annotations

import contextlib
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

INSTALL_HINT = "install Debian's firefox-esr (apt-get install firefox-esr) or set FIREFOX=/path/to/firefox"

PREFS: dict[str, bool | int | str] = {
    "app.update.disabledForTesting": True,
    "app.update.auto": False,
    "app.normandy.enabled": False,
    "app.normandy.api_url": "",
    "app.shield.optoutstudies.enabled": False,
    "browser.shell.checkDefaultBrowser": False,
    "browser.startup.homepage_override.mstone": "ignore",
    "browser.startup.page": 0,
    "browser.newtabpage.enabled": False,
    "browser.aboutwelcome.enabled": False,
    "browser.search.update": False,
    "browser.region.network.url": "",
    "browser.safebrowsing.malware.enabled": False,
    "browser.safebrowsing.phishing.enabled": False,
    "browser.safebrowsing.downloads.enabled": False,
    "browser.safebrowsing.blockedURIs.enabled": False,
    "browser.safebrowsing.provider.mozilla.updateURL": "",
    "browser.topsites.contile.enabled": False,
    "browser.translations.enable": False,
    "browser.ml.enable": False,
    "datareporting.healthreport.uploadEnabled": False,
    "datareporting.policy.dataSubmissionEnabled": False,
    "datareporting.usage.uploadEnabled": False,
    "toolkit.telemetry.enabled": False,
    "toolkit.telemetry.unified": False,
    "toolkit.telemetry.server": "",
    "extensions.update.enabled": False,
    "extensions.getAddons.cache.enabled": False,
    "extensions.systemAddon.update.enabled": False,
    "services.settings.server": "data:,#remote-settings-dummy/v1",
    "network.captive-portal-service.enabled": False,
    "network.connectivity-service.enabled": False,
    "network.dns.disablePrefetch": True,
    "network.prefetch-next": False,
    "network.http.speculative-parallel-limit": 0,
    "network.proxy.type": 0,
    "dom.push.connection.enabled": False,
    "geo.provider.network.url": "",
    "identity.fxaccounts.enabled": False,
    "security.remote_settings.intermediates.enabled": False,
    "media.gmp-manager.url": "",
    "privacy.trackingprotection.enabled": False,
}


def find_firefox() -> str | None:
    configured = os.environ.get("FIREFOX")
    if configured:
        return shutil.which(configured)
    return shutil.which("firefox-esr") or shutil.which("firefox")


class Firefox(Driver):
    """One headless Firefox process with a fresh profile and one BiDi session; `page(url)` opens a
    tab. `prefs` are added to (or override) PREFS."""

    name: Browser = "firefox"

    def __init__(
        self, executable: str, timeout: float = 30, prefs: dict[str, bool | int | str] | None = None
    ) -> None:
        super().__init__("firefox-profile-", timeout)
        profile = Path(self._profile.name)
        lines = [
            f"user_pref({json.dumps(k)}, {json.dumps(v)});" for k, v in {**PREFS, **(prefs or {})}.items()
        ]
        (profile / "user.js").write_text("\n".join(lines) + "\n")
        self._process = subprocess.Popen(
            [executable, "--headless", "--no-remote", "--profile", str(profile), "--remote-debugging-port=0"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            env={**os.environ, "MOZ_CRASHREPORTER_DISABLE": "1"},
        )
        # Firefox writes the port it chose here once the BiDi server listens.
        server_file = profile / "WebDriverBiDiServer.json"
        deadline = time.monotonic() + timeout
        port = None
        while port is None:
            if self._process.poll() is not None or time.monotonic() > deadline:
                self.close()
                raise RuntimeError(f"Firefox did not start ({executable})")
            try:
                port = int(json.loads(server_file.read_text())["ws_port"])
            except (OSError, ValueError, KeyError):
                time.sleep(0.05)
        self._connect(f"ws://127.0.0.1:{port}/session")
        self._ids = itertools.count(1)
        self.version = (
            "Firefox " + self.call("session.new", capabilities={})["capabilities"]["browserVersion"]
        )

    def set_permission(self, origin: str, name: str, state: str) -> None:
        """Grant or deny a permission (e.g. "loopback-network") to pages on `origin`."""
        self.call("permissions.setPermission", descriptor={"name": name}, state=state, origin=origin)

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        """Send one BiDi command and wait for its answer."""
        message_id = next(self._ids)
        self._socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        reply = self._reply(message_id)
        if reply.get("type") == "error":
            raise RuntimeError(f"{method}: {reply.get('error')}: {reply.get('message')}")
        return dict(reply.get("result", {}))

    def page(self, url: str) -> Page:
        context = self.call("browsingContext.create", type="tab")["context"]
        self.call("browsingContext.navigate", context=context, url=url, wait="complete")
        return Page(self, context)

    def close(self) -> None:
        if hasattr(self, "_socket"):
            with contextlib.suppress(Exception):  # the browser may be gone; it is stopped below anyway
                self.call("session.end")
        super().close()


class Page(ScriptPage):
    def __init__(self, browser: Firefox, context: str) -> None:
        self._browser = browser
        self._context = context

    def evaluate(self, expression: str) -> Any:
        # BiDi returns typed remote values; a JSON string comes back as plain data.
        result = self._browser.call(
            "script.evaluate",
            expression=f"(async () => JSON.stringify(await ({expression})))()",
            target={"context": self._context},
            awaitPromise=True,
            resultOwnership="none",
        )
        if result.get("type") != "success":
            raise RuntimeError(f"JavaScript error: {result.get('exceptionDetails')}")
        value = result["result"].get("value")
        return None if value is None else json.loads(value)

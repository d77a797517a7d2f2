"""What the two browser drivers share: a browser process with a throw-away profile, spoken to over
one websocket, and pages that evaluate scripts and make fetch() calls from their origin."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
import time
from abc import ABC, abstractmethod
from collections.abc import Sequence
from contextlib import ExitStack
from types import TracebackType
from typing import Any, Self

from websockets.sync.client import ClientConnection, connect

# fetch() every request at once; each outcome is {"outcome": "response", status, body} or
# {"outcome": "error", error} (the TypeError a CORS failure gives). `init.body` is a string, or
# {"kind": "params" | "blob", ...} for the bodies whose type fetch() derives a Content-Type from.
_FETCH_ALL = """(async (requests) => {
    const body = (b) => b === undefined || b === null || typeof b === "string" ? b
        : b.kind === "params" ? new URLSearchParams(b.value)
        : new Blob([b.value], b.type === null ? {} : {type: b.type});
    return Promise.all(requests.map(async ([url, init]) => {
        try {
            const response = await fetch(url, {...init, body: body(init.body)});
            return {outcome: "response", status: response.status, body: await response.text()};
        } catch (error) {
            return {outcome: "error", error: error.name + ": " + error.message};
        }
    }));
})"""


class Page(ABC):
    @abstractmethod
    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (awaited when it is a promise), as JSON data."""

    def fetch_all(self, requests: Sequence[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """fetch(url, init) for every (url, init), concurrently, in one evaluation."""
        value = self.evaluate(f"{_FETCH_ALL}({json.dumps([list(r) for r in requests])})")
        assert isinstance(value, list)
        return value

    def fetch(self, url: str, init: dict[str, Any]) -> dict[str, Any]:
        (outcome,) = self.fetch_all([(url, init)])
        return outcome


class Driver:
    """A browser process (started by the subclass) and its websocket; closing stops both."""

    timeout: float
    _process: subprocess.Popen[bytes]

    def __init__(self, prefix: str, timeout: float) -> None:
        self.timeout = timeout
        self.recording = False
        self.events: list[dict[str, Any]] = []
        self._profile = tempfile.TemporaryDirectory(prefix=prefix, ignore_cleanup_errors=True)
        self._connection = ExitStack()

    def _connect(self, url: str) -> None:
        self._socket: ClientConnection = self._connection.enter_context(connect(url, max_size=None))

    def _reply(self, message_id: int) -> dict[str, Any]:
        """Wait for the answer to one message; events in between are kept in `events` while
        `recording` (a test turns it on to read, e.g., DevTools Network events), else ignored."""
        deadline = time.monotonic() + self.timeout
        while True:
            reply = json.loads(self._socket.recv(timeout=max(0.1, deadline - time.monotonic())))
            if reply.get("id") == message_id:
                return dict(reply)
            if self.recording and "method" in reply:
                self.events.append(reply)

    def close(self) -> None:
        self._connection.close()
        if hasattr(self, "_process"):
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
        # The browser's helper processes may still write into the profile for a moment.
        for _ in range(50):
            shutil.rmtree(self._profile.name, ignore_errors=True)
            if not os.path.exists(self._profile.name):
                break
            time.sleep(0.1)
        self._profile.cleanup()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.close()

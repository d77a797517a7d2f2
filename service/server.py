"""uvicorn's httptools protocol with the guards an ASGI app cannot provide, because it only sees a
request once its head (request line and headers) is complete:

- a deadline for a complete head (`HEADER_TIMEOUT`), from the connection or from the end of the
  previous response: uvicorn has none (its keep-alive timeout only runs while the connection is idle
  and any byte cancels it), so a client sending its head byte by byte held a connection for ever;
- a cap on the head's size (`MAX_HEADER_BYTES`): httptools has none (a 1 MB header was accepted);
- no upgrade uvicorn declines on a request with a body: httptools would drop the body, or parse it
  as the next request (400 instead);
- the same deadline for a client to read its response: one that stops reading is cut off, where
  uvicorn's close() waits for the response to drain, for ever;
- on shutdown, an idle keep-alive connection is closed after a short drain rather than at once, so
  a request its client sent just before SIGTERM, still unread in the socket, is answered (with
  `Connection: close`) instead of dropped;
- errors as `{"error": ...}` JSON with `Connection: close`, where uvicorn answers text, and a malformed
  request pipelined behind a complete one is refused after that one is answered, not instead of it.

Use with `uvicorn --http service.server:GuardedHttpToolsProtocol`. The body is the app's business
(`BODY_TIMEOUT` and `MAX_BODY_BYTES`, in service/api.py).
"""

from __future__ import annotations

import asyncio
import functools
from typing import Any

from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol

from service.api import error_body
from settings import BaseAppSettings, load_settings

# How long an idle connection stays open after the server begins its shutdown: the time for a request
# already in the socket to be read by a busy event loop. Longer only delays the exit.
SHUTDOWN_DRAIN_SECONDS = 0.5
# How many layers of middleware around the service app_settings looks through.
_MAX_WRAPPERS = 8


def app_settings(app: Any) -> BaseAppSettings | None:
    """The settings the app was built with: create_app keeps them in the app's state, so the limits
    the protocol enforces are those of the one composition root, not a second reading of the
    environment. Found through the `.app` attributes of the middleware uvicorn wraps the app in
    (proxy headers, message logging). None for an app that is not the service."""
    for _ in range(_MAX_WRAPPERS):
        settings = getattr(getattr(app, "state", None), "settings", None)
        if isinstance(settings, BaseAppSettings):
            return settings
        app = getattr(app, "app", None)
    return None


@functools.cache
def process_settings() -> BaseAppSettings:
    """For another app served with this protocol (the benchmarks' peers): the environment's
    settings, read at the first connection, then kept."""
    return load_settings().settings


class _Refused(Exception):
    """Raised in a parser callback to stop parsing; uvicorn then calls send_400_response."""


class GuardedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        settings = app_settings(self.config.loaded_app) or process_settings()
        self.header_timeout = settings.header_timeout
        self.max_header_bytes = settings.max_header_bytes
        self.head_deadline: asyncio.TimerHandle | None = None
        self.in_head = False  # the first byte of a request has arrived, its head is not complete
        self.head_bytes = 0  # bytes received since the head began (a bound of its size)
        self.refusal: tuple[int, str] | None = None  # once set, the connection reads nothing more
        self.shutting_down = False

    # --- the head deadline ---------------------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_deadline()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        if self.transport.is_closing() or not self.cycle.response_complete:
            return  # closing, or a pipelined request is being answered
        if self.refusal is not None:
            self._answer_and_close(*self.refusal)
        else:
            # Also bounds reading (and dropping) the rest of a body the app refused without reading.
            self._arm_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        self._cancel_head_deadline()
        self.head_deadline = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _cancel_head_deadline(self) -> None:
        if self.head_deadline is not None:
            self.head_deadline.cancel()
            self.head_deadline = None

    def _head_timed_out(self) -> None:
        self.head_deadline = None
        if self.transport.get_write_buffer_size():
            # The client has not read its last response: close(), here or by uvicorn's keep-alive
            # timeout, would wait for it to, holding the connection and the response for ever.
            self.transport.abort()
        elif self.transport.is_closing():
            return
        elif self.in_head:
            self._refuse(408, f"request headers not received within {self.header_timeout:g} s", log=True)
        else:
            self.transport.close()  # idle: nothing to answer

    # --- shutdown ------------------------------------------------------------------------------

    def shutdown(self) -> None:
        """The server's shutdown has begun: finish the request in progress, then close; an idle
        connection first gets SHUTDOWN_DRAIN_SECONDS for a request already sent to arrive."""
        self.shutting_down = True
        if self.cycle is None or self.cycle.response_complete:
            self.loop.call_later(SHUTDOWN_DRAIN_SECONDS, self._close_if_idle)
        else:
            self.cycle.keep_alive = False

    def _close_if_idle(self) -> None:
        if not self.transport.is_closing() and (self.cycle is None or self.cycle.response_complete):
            self.transport.close()

    # --- the head size -------------------------------------------------------------------------

    def data_received(self, data: bytes) -> None:
        if self.refusal is not None:
            return  # the parser stopped at the refused request; nothing after it is read
        super().data_received(data)
        if self.in_head and self.refusal is None and not self.transport.is_closing():
            # The head spans reads: count what it buffers in httptools, a read (<= 256 KiB) at most
            # past the limit. The bytes of a pipelined request before it in the read count too.
            self.head_bytes += len(data)
            if self.head_bytes > self.max_header_bytes:
                self._refuse(*self._oversized(), log=True)

    def on_message_begin(self) -> None:
        super().on_message_begin()
        self.in_head = True
        self.head_bytes = 0

    def on_headers_complete(self) -> None:
        self.in_head = False
        self._cancel_head_deadline()
        # A head that arrived in one read is measured here: target, names and values, ": " and CRLF.
        size = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
        if size > self.max_header_bytes:
            self.refusal = self._oversized()
        elif self.parser.should_upgrade() and not self._should_upgrade() and self._declares_body():
            # httptools skips the body of an upgrade request that uvicorn then declines (uvicorn
            # #2722): the app would see no body, and body bytes read later would be parsed as the
            # next request, a request the client (or a proxy) never sent.
            self.refusal = (400, "Upgrade is not supported on a request with a body; send it without")
        if self.refusal is not None:
            self.logger.warning("%d %s", *self.refusal)
            raise _Refused
        super().on_headers_complete()
        if self.shutting_down:
            self.cycle.keep_alive = False  # answered with Connection: close, then closed

    def _declares_body(self) -> bool:
        return any(
            name == b"transfer-encoding" or (name == b"content-length" and value.strip() != b"0")
            for name, value in self.headers
        )

    def _oversized(self) -> tuple[int, str]:
        if len(self.url) > self.max_header_bytes:
            return 414, f"request target exceeds the limit of {self.max_header_bytes} bytes"
        return 431, f"request headers exceed the limit of {self.max_header_bytes} bytes"

    # --- refusals ------------------------------------------------------------------------------

    def send_400_response(self, msg: str) -> None:
        """uvicorn's answer to a parser error, which it has logged (also to `_Refused`, with the
        refusal's status)."""
        self._refuse(*(self.refusal or (400, msg)))

    def _refuse(self, status: int, message: str, *, log: bool = False) -> None:
        """Answer with a JSON error and close; after the response to a request that was read in full
        and is still being answered (pipelined), so that one is not lost."""
        if log:
            self.logger.warning("%d %s", status, message)
        self.refusal = (status, message)
        if self.cycle is not None and not self.cycle.response_complete and not self.cycle.more_body:
            return  # on_response_complete answers
        self._answer_and_close(status, message)

    def _answer_and_close(self, status: int, message: str) -> None:
        body = error_body(message)
        head = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            head += [name, b": ", value, b"\r\n"]
        head.append(b"content-type: application/json\r\ncontent-length: %d\r\n" % len(body))
        head.append(b"connection: close\r\n\r\n")
        self.transport.write(b"".join(head) + body)
        self.transport.close()

"""Exceptions answered as Flask answers them, with the resource's CORS headers on the answer.

In Flask every answer to an exception, the app's own error handler's included, passes through
Flask-CORS's after_request hook. In Starlette an exception that leaves an endpoint without a
handler of its own (a subclass handler, or an HTTPException's) travels outwards to the app's
`ServerErrorMiddleware`, the outermost layer, which calls the app's 500 (or `Exception`) handler
and sends its answer straight to the server, past every user middleware, this one included, and
then re-raises the exception for the server to log.

So, for an exception that reaches `CORSMiddleware` before any response started:

- a handler the app registered for it (by HTTPException status, then by class), which the app's
  own exception layer, placed outside this middleware (a bare `Router` wrapped in a Mount), would
  call: called here once, its answer sent with CORS headers; the exception ends here, as there;
- an `HTTPException` without a handler: Starlette's default answer (its status, detail and
  headers), never a 500;
- anything else inside a Starlette app: the exception goes on to the app's `ServerErrorMiddleware`,
  which calls the app's 500 handler (or sends its default 500) exactly once, as it always does;
  the headers that answer needs are left in the scope, and the middleware's handler is wrapped
  (once per app) so its answer carries them; the exception still reaches the server's log;
- outside any Starlette app: a plain 500 with CORS headers here, and the exception re-raised.

In debug mode Starlette answers with its traceback page, without CORS headers, as Flask's debugger
does (Flask propagates the exception past after_request then).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from flask_cors_asgi.frameworks import (
    Handler,
    ServerErrorLayer,
    call_exception_handler,
    default_server_error_response,
    patch_server_error_handler,
    server_error_layer,
)

EncodedHeaders = tuple[tuple[bytes, bytes], ...]

# The scope key under which the CORS headers of an unhandled exception's answer wait for the app's
# ServerErrorMiddleware.
ERROR_HEADERS = "flask_cors_asgi.error_headers"
_ACAO = b"access-control-allow-origin"


def has_allow_origin(headers: Any) -> bool:
    for name, value in headers:  # noqa: SIM110 (a plain loop: any() over a generator is slower)
        if value and name.lower() == _ACAO:
            return True
    return False


def response_headers(message: Message) -> Sequence[tuple[bytes, bytes]]:
    """A response start's header lines as a sequence. ASGI allows any iterable (uvicorn takes a
    generator, readable once): one that is not a list or tuple is read into a list that replaces it
    in the message, so that looking for an ACAO loses nothing of what is sent."""
    headers: Iterable[tuple[bytes, bytes]] = message.get("headers", ())
    if not isinstance(headers, (list, tuple)):
        headers = message["headers"] = list(headers)
    return headers


class WithHeaders:
    """An ASGI response (any ASGI app) with header lines appended to its start, unless it already
    has an Access-Control-Allow-Origin (Flask-CORS's skip rule)."""

    def __init__(self, response: ASGIApp, headers: EncodedHeaders) -> None:
        self.response = response
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = response_headers(message)
                if not has_allow_origin(headers):
                    message["headers"] = [*headers, *self.headers]
            await send(message)

        await self.response(scope, receive, send_with_headers)


async def answer_handled(
    handler: Handler, exc: Exception, scope: Scope, receive: Receive, send: Send, headers: EncodedHeaders
) -> None:
    response = await call_exception_handler(handler, Request(scope, receive), exc)
    if response is not None:
        await WithHeaders(response, headers)(scope, receive, send)


async def answer_unhandled(
    app: Any, scope: Scope, receive: Receive, send: Send, headers: EncodedHeaders
) -> None:
    """Give these headers to the answer of an exception no handler takes: inside a Starlette app
    (`app`), to its ServerErrorMiddleware's 500 (headers left in the scope by a layer nearer the
    route win, as Flask runs a blueprint's after_request first); outside one, to a plain 500 sent
    here. The caller re-raises the exception for the server's log."""
    layer = server_error_layer(app)
    if layer is not None:
        carry_error_headers(layer)
        scope.setdefault(ERROR_HEADERS, headers)
    else:
        await default_error(headers)(scope, receive, send)


def carry_error_headers(layer: ServerErrorLayer) -> None:
    """Make the layer's 500 answer (Starlette's default one when the app has no handler) carry the
    headers a CORSMiddleware left in the scope. Once per layer; the answer is unchanged where no
    headers were left (another path, another middleware)."""
    patch_server_error_handler(layer, _with_error_headers)


def _with_error_headers(request: Request, response: Any) -> Any:
    headers: EncodedHeaders | None = request.scope.pop(ERROR_HEADERS, None)
    if headers and response is not None:
        return WithHeaders(response, headers)
    return response


def default_error(headers: EncodedHeaders) -> WithHeaders:
    """Starlette's plain 500, with CORS headers, for an exception no Starlette app will answer."""
    return WithHeaders(default_server_error_response(), headers)

"""The warning a `cross_origin` route logs when it is served without `CORSMiddleware`.

In Flask the decorator works alone: Flask-CORS's `required_methods` make Flask send OPTIONS to the
view, which answers the preflight. Starlette and FastAPI answer OPTIONS on a route without it 405
before the endpoint runs; only the middleware (Flask's automatic OPTIONS, `routing`) answers it as
Flask does. The endpoint never sees that preflight, so it speaks up on the first request it does
see: once per route, on the logger "flask_cors_asgi", naming the route.
"""

from __future__ import annotations

import logging
import threading
from typing import Any

from starlette.types import Scope

from flask_cors_asgi.frameworks import ROUTE
from flask_cors_asgi.middleware import MIDDLEWARE_SEEN
from flask_cors_asgi.routing import route_methods

logger = logging.getLogger("flask_cors_asgi")


class MiddlewareCheck:
    """Called by a decorated endpoint with each request's scope: warns once per route whose
    preflights the framework answers 405 when no `CORSMiddleware` is in front of it."""

    def __init__(self, endpoint: Any) -> None:
        module = getattr(endpoint, "__module__", "?")
        self.endpoint = f"{module}.{getattr(endpoint, '__qualname__', endpoint)}"
        self.warned: set[str] = set()  # the route paths warned about
        self.lock = threading.Lock()  # sync endpoints run in a thread pool

    def __call__(self, scope: Scope) -> None:
        if MIDDLEWARE_SEEN in scope:
            return
        route = scope.get(ROUTE)  # set by Starlette's (and FastAPI's) router
        methods = route_methods(route) if route is not None else None
        if methods is None or "OPTIONS" in methods:
            return  # the route takes OPTIONS: the decorator answers the preflight itself
        path = str(getattr(route, "path", scope.get("path", "")))
        if path in self.warned:
            return
        with self.lock:
            if path in self.warned:
                return
            self.warned.add(path)
        logger.warning(
            "cross_origin route %s %s (%s) is served without CORSMiddleware: its preflights "
            "(OPTIONS) are answered 405 without CORS headers, where Flask-CORS answers them with "
            "the route's. Wrap the app in CORSMiddleware (resources=[] adds no app-wide policy).",
            ", ".join(sorted(methods)),
            path,
            self.endpoint,
        )

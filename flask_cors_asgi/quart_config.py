"""The `CORS_*` configuration of a Quart app wrapped by `CORSMiddleware`.

Flask-CORS's `CORS(app)` reads the Flask app's `app.config` when it is called; a Quart app has the
same `app.config`, so a `CORSMiddleware` wrapping one (or its `asgi_app`) reads it when it is
constructed, unless it is given `config=`. Quart is a framework this engine does not depend on: it
is only looked up among the imported modules (`frameworks.imported_quart`), so an app can only be a
Quart app if the app has imported Quart.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask_cors_asgi.frameworks import imported_quart


def wrapped_quart_config(app: object) -> Mapping[str, Any] | None:
    """The `app.config` of the Quart app `app` is, or whose bound `asgi_app` it is (the usual
    `app.asgi_app = CORSMiddleware(app.asgi_app)`); None for any other ASGI app."""
    quart_class = getattr(imported_quart(), "Quart", None)
    if quart_class is None:
        return None
    owner = getattr(app, "__self__", app)  # a bound method's object: the Quart app of asgi_app
    if isinstance(owner, quart_class):
        config: Mapping[str, Any] = owner.config
        return config
    return None

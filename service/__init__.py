"""The /api/foo service: the Flask + Flask-CORS app, ported to Starlette. `create_app` is its one
composition root; `UVICORN_DEFAULTS` and `option_words` say how it is served as deployed."""

from service.api import Foo
from service.app import create_app
from service.deployed import UVICORN_DEFAULTS, option_words

__all__ = ["UVICORN_DEFAULTS", "Foo", "create_app", "option_words"]

"""Flask-CORS 6.0.5's behaviour for Starlette and FastAPI: `CORSMiddleware` (the `CORS(app)`
extension, `config=` its `app.config`), `cross_origin` (the view decorator) and `cors_blueprint`
(`CORS(blueprint)`), with Flask-CORS's option names, types and defaults; `resolve_options` is its
layering of defaults, app config, arguments and resource options; `audit` lists what is broken or
unsafe in an option set."""

from flask_cors_asgi.audit import CHECKS, Problem, audit, printable
from flask_cors_asgi.blueprint import cors_blueprint
from flask_cors_asgi.decorator import cross_origin
from flask_cors_asgi.middleware import CORSMiddleware
from flask_cors_asgi.options import CONFIG_KEYS, resolve_options

__all__ = [
    "CHECKS",
    "CONFIG_KEYS",
    "CORSMiddleware",
    "Problem",
    "audit",
    "cors_blueprint",
    "cross_origin",
    "printable",
    "resolve_options",
]

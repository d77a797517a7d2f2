"""Flask-CORS 6.0.5's behaviour for Starlette and FastAPI: `CORSMiddleware` (the `CORS(app)`
extension) and `cross_origin` (the view decorator), with Flask-CORS's option names, types and
defaults; `audit` lists what is broken or unsafe in an option set."""

from flask_cors_asgi.audit import CHECKS, Problem, audit, printable
from flask_cors_asgi.decorator import CrossOrigin, cross_origin
from flask_cors_asgi.dynamic import OriginCheck, dynamic_origins
from flask_cors_asgi.middleware import CORSMiddleware
from flask_cors_asgi.validation import OptionsRefused

__all__ = [
    "CHECKS",
    "CORSMiddleware",
    "CrossOrigin",
    "OptionsRefused",
    "OriginCheck",
    "Problem",
    "audit",
    "cross_origin",
    "dynamic_origins",
    "printable",
]

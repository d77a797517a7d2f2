"""Flask-CORS 6.0.5's behaviour for Starlette and FastAPI: `CORSMiddleware` (the `CORS(app)`
extension) and `cross_origin` (the view decorator), with Flask-CORS's option names, types and
defaults; `audit` lists what is broken or unsafe in an option set."""

from flask_cors_asgi.audit import CHECKS, Problem, audit, printable
from flask_cors_asgi.blueprint import cors_blueprint
from flask_cors_asgi.decorator import cross_origin
from flask_cors_asgi.middleware import CORSMiddleware

__all__ = ["CHECKS", "CORSMiddleware", "Problem", "audit", "cors_blueprint", "cross_origin", "printable"]

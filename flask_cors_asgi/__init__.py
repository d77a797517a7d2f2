"""Flask-CORS 6.0.5's behaviour for Starlette and FastAPI: `CORSMiddleware` (the `CORS(app)`
extension) and `cross_origin` (the view decorator), with Flask-CORS's option names, types and
defaults; `audit` lists what is broken or unsafe in an option set."""

# The one source of the version: the distribution's metadata (pyproject.toml) and the toolkit read it.
__version__ = "0.1.0"

from flask_cors_asgi.audit import CHECKS, Problem, audit, printable
from flask_cors_asgi.decorator import cross_origin
from flask_cors_asgi.middleware import CORSMiddleware

__all__ = ["CHECKS", "CORSMiddleware", "Problem", "__version__", "audit", "cross_origin", "printable"]

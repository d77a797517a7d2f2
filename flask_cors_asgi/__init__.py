"""Flask-CORS 6.0.5's behaviour for Starlette and FastAPI: `CORSMiddleware` (the `CORS(app)`
extension) and `cross_origin` (the view decorator), with Flask-CORS's option names, types and
defaults; `audit` lists what is broken or unsafe in an option set. `profile="fetch"` picks the
strict Fetch-standard profile instead (`flask_cors_asgi.fetch`, jub0bs/cors's answers)."""

from flask_cors_asgi.audit import CHECKS, Problem, audit, printable
from flask_cors_asgi.decorator import cross_origin
from flask_cors_asgi.fetch import FetchConfigError, FetchCORSMiddleware, StrictProposal, strict_equivalent
from flask_cors_asgi.middleware import CORSMiddleware

__all__ = [
    "CHECKS",
    "CORSMiddleware",
    "FetchCORSMiddleware",
    "FetchConfigError",
    "Problem",
    "StrictProposal",
    "audit",
    "cross_origin",
    "printable",
    "strict_equivalent",
]

"""Flask-CORS 6.0.5's behaviour for Starlette and FastAPI: `CORSMiddleware` (the `CORS(app)`
extension) and `cross_origin` (the view decorator), with Flask-CORS's option names, types and
defaults; `audit` lists what is broken or unsafe in an option set. `CrossOriginProtection` (opt-in,
independent of CORS) refuses the state-changing requests a browser sends from another origin, which
CORS lets run."""

from flask_cors_asgi.audit import CHECKS, Problem, audit, printable
from flask_cors_asgi.decorator import cross_origin
from flask_cors_asgi.middleware import CORSMiddleware
from flask_cors_asgi.protection import (
    PROTECTION_CHECKS,
    CrossOriginProtection,
    ProtectionConfigError,
    ProtectionProblem,
    protection_problems,
)

__all__ = [
    "CHECKS",
    "PROTECTION_CHECKS",
    "CORSMiddleware",
    "CrossOriginProtection",
    "Problem",
    "ProtectionConfigError",
    "ProtectionProblem",
    "audit",
    "cross_origin",
    "printable",
    "protection_problems",
]

"""Flask-CORS 6.0.5's behaviour for Starlette and FastAPI: `CORSMiddleware` (the `CORS(app)`
extension, `config=` its `app.config`), `cross_origin` (the view decorator) and `cors_blueprint`
(`CORS(blueprint)`), with Flask-CORS's option names, types and defaults; `resolve_options` is its
layering of defaults, app config, arguments and resource options; `audit` lists what is broken or
unsafe in an option set. `profile="fetch"` picks the strict Fetch-standard profile instead
(`flask_cors_asgi.fetch`, jub0bs/cors's answers). `CrossOriginProtection` (opt-in, independent of
CORS) refuses the state-changing requests a browser sends from another origin, which CORS lets run.

The second group of names is for tools built on the engine (the toolkit, the service's settings, the
benchmarks): Flask-CORS's option table and its reading, the compiled policy and the pure decision,
and the routing the middleware sees. They are public so that nobody reaches into the modules."""

# The one source of the version: the distribution's metadata (pyproject.toml) and the toolkit read it.
__version__ = "0.1.0"

from flask_cors_asgi.audit import CHECKS, Problem, audit, printable
from flask_cors_asgi.blueprint import cors_blueprint
from flask_cors_asgi.decision import CORSRequest, cors_headers, match_resource
from flask_cors_asgi.decorator import CrossOrigin, cross_origin
from flask_cors_asgi.dynamic import OriginCheck, dynamic_origins
from flask_cors_asgi.fetch import FetchConfigError, FetchCORSMiddleware, StrictProposal, strict_equivalent
from flask_cors_asgi.middleware import ROUTE_POLICY, CORSMiddleware
from flask_cors_asgi.options import (
    CONFIG_KEYS,
    DEFAULTS,
    ROUTE_OPTION_NAMES,
    Policy,
    Resource,
    compile_options,
    config_key,
    is_regex,
    resolve_options,
    resource_sort_key,
    unknown_names,
)
from flask_cors_asgi.protection import (
    PROTECTION_CHECKS,
    CrossOriginProtection,
    ProtectionConfigError,
    ProtectionProblem,
    protection_problems,
)
from flask_cors_asgi.routing import find_router, tried_routes
from flask_cors_asgi.validation import OptionsRefused

__all__ = [
    "CHECKS",
    "CONFIG_KEYS",
    "DEFAULTS",
    "PROTECTION_CHECKS",
    "ROUTE_OPTION_NAMES",
    "ROUTE_POLICY",
    "CORSMiddleware",
    "CORSRequest",
    "CrossOrigin",
    "CrossOriginProtection",
    "FetchCORSMiddleware",
    "FetchConfigError",
    "OptionsRefused",
    "OriginCheck",
    "Policy",
    "Problem",
    "ProtectionConfigError",
    "ProtectionProblem",
    "Resource",
    "StrictProposal",
    "__version__",
    "audit",
    "compile_options",
    "config_key",
    "cors_blueprint",
    "cors_headers",
    "cross_origin",
    "dynamic_origins",
    "find_router",
    "is_regex",
    "match_resource",
    "printable",
    "protection_problems",
    "resolve_options",
    "resource_sort_key",
    "strict_equivalent",
    "tried_routes",
    "unknown_names",
]

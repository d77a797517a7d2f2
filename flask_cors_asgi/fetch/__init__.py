"""The fetch profile: jub0bs/cors v1.0.2's strict, Fetch-standard answers, with Flask-CORS's option
names. `CORSMiddleware(app, profile="fetch", ...)` and `cross_origin(profile="fetch", ...)` build
it; `compile_fetch` and `decide` are its pure core."""

from flask_cors_asgi.fetch.config import (
    CHECKS,
    FORBIDDEN_METHODS,
    FORBIDDEN_REQUEST_HEADERS,
    NORMALIZED_METHODS,
    OPTION_NAMES,
    SAFELISTED_METHODS,
    FetchConfig,
    FetchConfigError,
    FetchProblem,
    compile_fetch,
    fetch_problems,
)
from flask_cors_asgi.fetch.decision import Decision, decide
from flask_cors_asgi.fetch.decorator import FetchCrossOrigin
from flask_cors_asgi.fetch.middleware import FetchCORSMiddleware
from flask_cors_asgi.fetch.proposal import StrictProposal, strict_equivalent, translate_regex

__all__ = [
    "CHECKS",
    "FORBIDDEN_METHODS",
    "FORBIDDEN_REQUEST_HEADERS",
    "NORMALIZED_METHODS",
    "OPTION_NAMES",
    "SAFELISTED_METHODS",
    "Decision",
    "FetchCORSMiddleware",
    "FetchConfig",
    "FetchConfigError",
    "FetchCrossOrigin",
    "FetchProblem",
    "StrictProposal",
    "compile_fetch",
    "decide",
    "fetch_problems",
    "strict_equivalent",
    "translate_regex",
]

"""Flask-CORS 6.0.5's behaviour for ASGI: `CORSMiddleware` (the `CORS(app)` extension) and
`cross_origin` (the view decorator), with Flask-CORS's option names, types and defaults."""

from flask_cors_asgi.decorator import cross_origin
from flask_cors_asgi.middleware import CORSMiddleware

__all__ = ["CORSMiddleware", "cross_origin"]

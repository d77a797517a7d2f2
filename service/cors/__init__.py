"""Flask-CORS 6.0.5's behaviour for ASGI: `CORSMiddleware` (the `CORS(app)` extension) and
`cross_origin` (the view decorator), with Flask-CORS's option names, types and defaults."""

from service.cors.decorator import cross_origin
from service.cors.middleware import CORSMiddleware

__all__ = ["CORSMiddleware", "cross_origin"]

"""Conformance toolkit: probe, explain and diff the CORS behaviour of any app or live URL."""

# The toolkit ships in the engine's distribution (the `conformance` extra), so it has its version.
from flask_cors_asgi import __version__

__all__ = ["__version__"]

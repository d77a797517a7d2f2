"""Conformance toolkit: probe, explain and diff the CORS behaviour of any app or live URL."""

# The one place the toolkit's version is written (the CLI's --version reads it).
__version__ = "0.1.0"

__all__ = ["__version__"]

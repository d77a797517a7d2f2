"""Conformance toolkit: probe, explain and diff the CORS behaviour of any app or live URL."""

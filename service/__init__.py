"""The /api/foo service: the Flask + Flask-CORS app, ported to Starlette."""

"""Peers to compare with: Starlette's own `CORSMiddleware`, configured as closely as it can be to
the original app's intended Flask-CORS policy, serving the same /api/foo."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware as StockCORSMiddleware
from starlette.routing import Route

from service.api import Foo
from settings.environments import SEED_ORIGINS, TestSettings


def create_stock_app() -> Starlette:
    """/api/foo behind `starlette.middleware.cors.CORSMiddleware` (no per-path resources there:
    it applies to every path)."""
    settings = TestSettings(_env_file=None)  # type: ignore[call-arg]
    app = Starlette(
        routes=[Route("/api/foo", Foo(settings.max_body_bytes, settings.body_timeout), methods=["POST"])],
        middleware=[
            Middleware(
                StockCORSMiddleware,
                allow_origins=SEED_ORIGINS,
                allow_methods=["GET", "POST", "PUT", "DELETE"],
                allow_headers=["Content-Type", "Authorization"],
            )
        ],
    )
    return app

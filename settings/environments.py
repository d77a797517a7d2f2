"""One small class per environment; each changes defaults only (cookiecutter-django's layout)."""

from __future__ import annotations

from typing import ClassVar

from settings.base import BaseAppSettings, Environment, ProtectionMode, StrList

# The original app's intended policy (its CORS(app, resources={r"/api/*": {...}}) call).
SEED_ORIGINS = ["http://localhost:3000", "https://yourapp.com"]


class DevelopmentSettings(BaseAppSettings):
    env: ClassVar[Environment] = "development"
    cors_origins: StrList = SEED_ORIGINS


class TestSettings(BaseAppSettings):
    __test__ = False  # not a pytest test class
    env: ClassVar[Environment] = "test"
    cors_origins: StrList = SEED_ORIGINS


class StagingSettings(BaseAppSettings):
    """No default origins: start-up is refused until CORS_ORIGINS is set."""

    env: ClassVar[Environment] = "staging"
    # As in production, so that staging shows what production will refuse.
    cross_origin_protection: ProtectionMode = "on"


class ProductionSettings(BaseAppSettings):
    """No default origins: start-up is refused until CORS_ORIGINS is set. Cross-origin protection is
    on: browsers' cross-site form posts are refused (the CORS origins stay trusted)."""

    env: ClassVar[Environment] = "production"
    cross_origin_protection: ProtectionMode = "on"


ENVIRONMENTS: dict[str, type[BaseAppSettings]] = {
    cls.env: cls for cls in (DevelopmentSettings, TestSettings, StagingSettings, ProductionSettings)
}

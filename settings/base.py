"""The settings every environment shares. Per-environment modules only change defaults.

Variables are named as Flask-CORS's config keys (`CORS_ORIGINS`, ...), so a team's existing
`app.config` values carry over. Lists may be JSON arrays or comma-separated (a deliberate
difference: Flask-CORS takes `CORS_ORIGINS="a,b"` as one literal origin that never matches).
"""

from __future__ import annotations

import json
from typing import Annotated, Any, ClassVar, Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from flask_cors_asgi import CONFIG_KEYS, protection_problems, resolve_options

Environment = Literal["development", "test", "staging", "production"]
# CROSS_ORIGIN_PROTECTION: off, on (refuse cross-origin state-changing requests) or report (log them).
ProtectionMode = Literal["off", "on", "report"]
StrList = Annotated[list[str] | None, NoDecode]
# A timeout: finite, positive, at most an hour.
Seconds = Annotated[float, Field(gt=0, le=3600, allow_inf_nan=False)]

# The setting fields that are Flask-CORS options (cors_<option>), one per Flask-CORS option: the
# variables are the engine's map of Flask-CORS's CORS_* config keys.
CORS_FIELDS = tuple(CONFIG_KEYS.values())
# CORS_PROFILE picks the engine's profile: Flask-CORS's (the default) or the strict fetch profile.
CORS_VARIABLES = frozenset(CONFIG_KEYS) | {"CORS_PROFILE"}
# The variables the fetch profile reads; the others are Flask-CORS's alone.
FETCH_FIELDS = ("origins", "supports_credentials", "methods", "allow_headers", "expose_headers", "max_age")


def split_list(value: Any) -> Any:
    """A JSON array, or comma-separated text; empty text means an empty list."""
    if not isinstance(value, str):
        return value
    text = value.strip()
    if text.startswith("["):
        return json.loads(text)
    return [item.strip() for item in text.split(",") if item.strip()]


def as_text(value: Any) -> str:
    """A setting's value as one would write its variable: `true`, `10`, `2.5`, comma-separated
    lists (JSON when an item holds a comma or spaces at its ends), JSON for the rest; regexes
    keep their single backslashes wherever JSON is not needed."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, (str, int)):
        return str(value)
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        text = ",".join(value)
        if not any("," in item or item != item.strip() or not item for item in value) and text[:1] != "[":
            return text
    return json.dumps(value)


class BaseAppSettings(BaseSettings):
    """Base settings. `env` names the environment; subclasses set their own defaults."""

    model_config = SettingsConfigDict(
        env_file_encoding="utf-8",
        extra="ignore",  # unknown CORS_* variables are reported by the checks, with hints
        frozen=True,
    )
    env: ClassVar[Environment]

    # Each field's description and example are the service's documentation of its variable
    # (`python -m service --help`) and the hint of a value that does not parse (E100).
    max_body_bytes: int = Field(
        default=1024 * 1024, gt=0, description="larger request bodies get 413", examples=[65536]
    )
    # Slow and oversized clients (service/server.py, and the body read in service/api.py). A client
    # holds a connection for at most header_timeout + body_timeout before its request runs.
    header_timeout: Seconds = Field(
        default=10,
        description="seconds for a request line and headers to arrive, else 408 (guarded protocol only)",
        examples=[10],
    )
    body_timeout: Seconds = Field(
        default=15,
        description="seconds for a whole request body to arrive, else 408 and close",
        examples=[15],
    )
    max_header_bytes: int = Field(
        default=16 * 1024,
        ge=1024,
        description="larger request heads get 431, longer URLs 414 (guarded protocol only)",
        examples=[16384],
    )

    cors_profile: Literal["flask_cors", "fetch"] = Field(
        default="flask_cors",
        description="flask_cors (Flask-CORS's answers, the default) or fetch (the strict Fetch profile)",
        examples=["fetch"],
    )
    cors_origins: StrList = Field(
        default=None,
        description="origins allowed to read answers: JSON array or comma-separated, literals or regexes",
        examples=["https://app.example.com"],
    )
    cors_methods: StrList = Field(default=["GET", "POST", "PUT", "DELETE"], examples=["GET,POST"])
    cors_allow_headers: StrList = Field(default=["Content-Type", "Authorization"], examples=["Content-Type"])
    cors_expose_headers: StrList = Field(default=None, examples=["X-Request-Id"])
    cors_supports_credentials: bool | None = Field(default=None, examples=["true"])
    # Kept as text: the checks explain a bad value better than a type error can.
    cors_max_age: str | None = Field(default=None, examples=["600"])
    cors_send_wildcard: bool | None = Field(default=None, examples=["false"])
    cors_always_send: bool | None = Field(default=None, examples=["true"])
    cors_vary_header: bool | None = Field(default=None, examples=["true"])
    cors_automatic_options: bool | None = Field(default=None, examples=["true"])
    cors_allow_private_network: bool | None = Field(default=None, examples=["false"])
    cors_intercept_exceptions: bool | None = Field(default=None, examples=["true"])
    cors_resources: Annotated[Any, NoDecode] = Field(
        default="/api/*",
        description="paths under the CORS policy: a pattern, a JSON list, or JSON {pattern: {options}}",
        examples=['{"/api/*": {"origins": ["https://app.example.com"]}}'],
    )

    cross_origin_protection: ProtectionMode = Field(
        default="off",
        description="refuse state-changing requests browsers send from other origins (CORS does not): "
        "off, on, or report (log what would be refused, refuse nothing)",
        examples=["on"],
    )
    cross_origin_trusted_origins: StrList = Field(
        default=None,
        description="origins whose requests the cross-origin protection lets through, matched exactly "
        "(unset: the exact origins of CORS_ORIGINS)",
        examples=["https://app.example.com"],
    )

    @field_validator("cross_origin_trusted_origins", mode="before")
    @classmethod
    def _trusted_list(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("cross_origin_protection", mode="before")
    @classmethod
    def _mode(cls, value: Any) -> Any:
        return value.strip().lower() if isinstance(value, str) else value

    @field_validator(
        "cors_origins", "cors_methods", "cors_allow_headers", "cors_expose_headers", mode="before"
    )
    @classmethod
    def _lists(cls, value: Any) -> Any:
        return split_list(value)

    @field_validator("cors_max_age", mode="before")
    @classmethod
    def _strip(cls, value: Any) -> Any:
        return value.strip() if isinstance(value, str) else value

    @field_validator("cors_resources", mode="before")
    @classmethod
    def _resources(cls, value: Any) -> Any:
        """JSON (a pattern, a list of patterns or an object of pattern -> options); plain text that
        is not JSON is taken as one pattern."""
        if not isinstance(value, str):
            return value
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            if value.lstrip()[:1] in ("[", "{", '"'):
                raise ValueError("not valid JSON") from None
            return value

    def fetch_options(self) -> dict[str, Any]:
        """The fetch profile's options (CORS_PROFILE=fetch) from the same variables: origins
        required, max_age in whole seconds, and every Flask-CORS-only variable the user set,
        which the profile then refuses by name."""
        options: dict[str, Any] = {"origins": self.cors_origins or []}
        for name in FETCH_FIELDS[1:]:
            value = getattr(self, f"cors_{name}")
            if value is not None:
                options[name] = value
        max_age = options.get("max_age")
        if isinstance(max_age, str) and max_age.lstrip("-").isdigit():
            options["max_age"] = int(max_age)
        for name in CORS_FIELDS:
            if name not in FETCH_FIELDS and f"cors_{name}" in self.model_fields_set:
                options[name] = getattr(self, f"cors_{name}")
        return options

    def cors_options(self) -> dict[str, Any]:
        """The Flask-CORS options for `CORSMiddleware`; unset variables keep Flask-CORS's defaults.
        The variables are an app config of `CORS_*` keys, read as Flask-CORS reads `app.config`
        (unset ones, None, are left out), by the engine's `resolve_options`, without the defaults.
        max_age stays text, as Flask-CORS sends a config string: "0" is sent, 0 is not."""
        config = {key: getattr(self, f"cors_{name}") for key, name in CONFIG_KEYS.items()}
        return resolve_options(config=config, where="CORS settings", defaults=False)

    def cross_origin_protection_options(self) -> dict[str, Any] | None:
        """`CrossOriginProtection`'s options, None when CROSS_ORIGIN_PROTECTION=off. Unset trusted
        origins are CORS_ORIGINS' exact origins: a page allowed to read the API may also write to it;
        regexes and '*' are left out, since trust is exact (and '*' would turn the protection off)."""
        if self.cross_origin_protection == "off":
            return None
        trusted = self.cross_origin_trusted_origins
        if trusted is None:
            trusted = [o for o in self.cors_origins or () if not protection_problems(trusted_origins=[o])]
        return {"trusted_origins": trusted, "report_only": self.cross_origin_protection == "report"}

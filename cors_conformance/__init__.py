"""Conformance toolkit: probe, explain and diff the CORS behaviour of any app or live URL."""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

# The toolkit ships in the engine's distribution (the `conformance` extra), so it has its version.
from flask_cors_asgi import __version__

if TYPE_CHECKING:
    from cors_conformance.targets import Request, Response

# The exchange types are defined beside the targets, which need httpx (the `conformance` extra), so
# they are imported on first use: `import cors_conformance` (which the `cors-conformance` command
# does before it checks for httpx) must work without it.
_LAZY = {"Request": "cors_conformance.targets", "Response": "cors_conformance.targets"}

__all__ = ["Request", "Response", "__version__"]


def __getattr__(name: str) -> Any:
    if name not in _LAZY:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value

"""The `cors-conformance` command's entry point. The command is installed with the distribution,
but the toolkit needs httpx, which only the `conformance` extra brings: without it the command says
so in one line and exits 2 (bad usage), instead of a traceback from an import."""

from __future__ import annotations

import sys
from collections.abc import Sequence
from importlib.util import find_spec

MISSING = "cors-conformance: error: the toolkit needs httpx: pip install 'flask-cors-asgi[conformance]'"


def main(argv: Sequence[str] | None = None) -> int:
    if find_spec("httpx") is None:
        print(MISSING, file=sys.stderr)
        return 2
    # Imported only once httpx is known to be there: the CLI's modules import it at their top.
    from cors_conformance.cli import main as run

    return run(argv)

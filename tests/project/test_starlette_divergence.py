"""Starlette's stock CORSMiddleware against Flask-CORS for the original app's policy: the
browser-level differences are pinned, so a Starlette upgrade that changes them is noticed, and the
committed document must be what the script generates today."""

from __future__ import annotations

import importlib.util
from types import ModuleType

from settings.environments import SEED_ORIGINS
from testing_support import ROOT


def script() -> ModuleType:
    spec = importlib.util.spec_from_file_location(
        "starlette_divergence", ROOT / "scripts" / "starlette_divergence.py"
    )
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


# Starlette's middleware has no per-path resources: it answers for "/" too, which the original
# app's policy (resources /api/*) leaves without CORS headers. At /api/foo a browser sees no
# difference (Starlette's 400 preflights and Flask-CORS's silently dropped headers both block).
PINNED_BROWSER_DIFFERENCES = {
    ("/", origin, case, "blocked", "allowed")
    for origin in SEED_ORIGINS
    for case in ("GET", "POST text/plain", "POST JSON", "POST JSON + Authorization", "PUT", "DELETE")
}


def test_browser_level_differences_are_the_pinned_ones() -> None:
    differences = script().divergences()
    browser = {
        (
            d.a.probe.path,
            d.a.probe.origin,
            d.a.probe.case.name,
            "allowed" if d.a.verdict.allowed else "blocked",
            "allowed" if d.b.verdict.allowed else "blocked",
        )
        for d in differences
        if d.kind == "browser"
    }
    assert browser == PINNED_BROWSER_DIFFERENCES
    assert any(d.kind == "cache" for d in differences)  # Starlette's Vary differs almost everywhere


def test_the_committed_document_is_current() -> None:
    module = script()
    committed = (ROOT / "docs" / "starlette-cors-divergence.md").read_text()
    assert committed == module.document(module.divergences()), "run scripts/starlette_divergence.py"

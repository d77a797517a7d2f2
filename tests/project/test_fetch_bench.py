"""`./scripts/bench --parts profiles`, smoke-tested at a tiny size: the apps it times allow its
requests, and it prints figures and ratios (no timing is asserted: speed is the benchmark's)."""

from __future__ import annotations

import pytest

from bench import profiles
from bench.__main__ import main


def test_the_profile_benchmark_apps_allow_its_requests() -> None:
    assert profiles.check() == []


def test_the_profile_benchmark_prints_figures_and_ratios(
    capsys: pytest.CaptureFixture[str], tmp_path: object
) -> None:
    status = main(["--parts", "profiles", "--requests", "20", "--repeats", "1", "--out", str(tmp_path)])
    out = capsys.readouterr().out
    assert status == 0
    for kind in ("POST", "preflight"):
        assert f"  {kind}:" in out
    assert out.count("fetch / flask_cors, decision") == 2
    assert "stock preflight_response" in out

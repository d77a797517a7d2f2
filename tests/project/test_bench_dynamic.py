"""The benchmark's dynamic part keeps working: every app it times allows the benchmark request
(else it would time a refusal), and a tiny run reports every figure and ratio (not asserted)."""

from __future__ import annotations

import math

from bench import dynamic


def test_every_timed_app_allows_the_benchmark_request() -> None:
    assert dynamic.check() == []


def test_a_tiny_run_reports_each_app_and_ratio() -> None:
    results = dynamic.measure(50, 1)
    assert set(results["us"]) == set(dynamic.apps())
    assert len(results["ratios"]) == 5
    assert all(math.isfinite(value) and value > 0 for value in results["ratios"].values())
    assert "callable, cached / static list (target <= 1.2)" in dynamic.render_text(results)
    assert dynamic.render_markdown(results).count("\n|") == 2 + len(results["us"]) + 5

"""The protection part of ./scripts/bench keeps working: every variant it times is answered as it
says (figures are never asserted: speed is the benchmark's to print)."""

from __future__ import annotations

from bench import protection


def test_every_variant_is_answered_as_the_benchmark_expects() -> None:
    assert protection.check() == []


def test_a_tiny_run_prints_a_cost_and_a_ratio_per_variant() -> None:
    results = protection.measure_protection(50, 1)
    assert set(results["variants"]) == {
        "pass-through layer (reference)",
        *(f"protection, {name}" for name in protection.VARIANTS),
    }
    text = protection.render_text(results)
    assert all(name in text for name in results["variants"])
    assert "CORS engine, allowed POST" in text


def test_the_part_is_listed() -> None:
    from bench.__main__ import PARTS

    assert "protection" in PARTS

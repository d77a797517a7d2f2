"""The CORS benchmark keeps working: one tiny run, in a subprocess (figures are not asserted:
speed is measured by the script itself, never by tests)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_bench_cors_runs_and_writes_json(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    result = subprocess.run(
        [sys.executable, "scripts/bench_cors.py", "--requests", "200", "--repeats", "1", "--json", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "engine added / stock added" in result.stdout
    figures = json.loads(out.read_text())
    assert figures["results"]["POST"]["apps"]["engine"]["median_us"] > 0

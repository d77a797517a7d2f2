"""WSGI application factories as targets (`wsgi-factory:`, mirroring `asgi-factory:`), and the
apps' own output (logs, tracebacks, prints) captured and summarised rather than streamed."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from cors_conformance.cli import main
from testing_support import ROOT

FACTORY = "wsgi-factory:testing_support.cors_corpus:create_flask_app"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_a_flask_factory_is_a_target_and_its_blueprint_policy_is_probed(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, err = run(capsys, "probe", FACTORY, "--json")
    document = json.loads(out)
    assert err == ""
    assert document["coverage"]["paths"]["items"] == ["/api/boom", "/api/items/1"]
    # CORS(blueprint) inside the factory was recorded: its origin is probed without --origin.
    (pattern,) = document["coverage"]["configured_patterns"]
    assert pattern == {
        "pattern": "https://shop.example",
        "origins": ["https://shop.example"],
        "exercised": True,
        "allowed": ["https://shop.example"],
    }
    assert status == 0


@pytest.mark.parametrize(
    ("target", "message"),
    [
        (
            "wsgi:testing_support.cors_corpus:create_flask_app",
            "builds a Flask (WSGI) app; write wsgi-factory:",
        ),
        (
            "wsgi-factory:testing_support.seed_app:seed",
            "not a factory; write wsgi:testing_support.seed_app:seed",
        ),
        ("wsgi-factory:service.app:create_app", "an ASGI app: write asgi-factory:service.app:create_app"),
        ("wsgi-factory:testing_support.misconfigured:anchored_regex", "write asgi:"),
        ("wsgi-factory:testing_support.cors_corpus:LOCALHOST_ANY_PORT", "is a str, not an app"),
    ],
)
def test_the_wrong_kind_says_what_to_write(
    capsys: pytest.CaptureFixture[str], target: str, message: str
) -> None:
    status, out, err = run(capsys, "probe", target)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert message in err


def test_the_apps_output_is_summarised_in_the_report(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, err = run(capsys, "probe", FACTORY, "--json")
    assert err == ""
    output = json.loads(out)["app_output"]
    assert output["tracebacks"] > 0  # /api/boom raised, once per request
    assert output["log_records"] >= output["tracebacks"]
    assert output["lines"] > 0  # the view's print()
    assert "Exception on /api/boom" in output["first_line"]
    _, out, _ = run(capsys, "diff", FACTORY, FACTORY)
    assert f"{FACTORY} logged " in out
    assert "lines, captured; first: ERROR factory_app: Exception on /api/boom [GET]" in out


def test_nothing_of_the_apps_output_reaches_the_terminal() -> None:
    # In a process of its own: log handlers bound to the real stderr are captured too.
    result = subprocess.run(
        [sys.executable, "-m", "cors_conformance", "diff", FACTORY, FACTORY, "--json"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    document = json.loads(result.stdout)  # stdout is the report alone: the app's prints are not in it
    assert document["app_output"]["a"]["tracebacks"] > 0


def test_a_blueprints_policy_reads_no_app_config(capsys: pytest.CaptureFixture[str]) -> None:
    # As Flask-CORS does: CORS(blueprint) allows every origin even with app.config['CORS_ORIGINS'] set.
    _, out, _ = run(capsys, "probe", "wsgi:testing_support.cors_corpus:blueprint_ignores_config", "--json")
    document = json.loads(out)
    assert document["coverage"]["configured_patterns"] == []  # "*": nothing to derive origins from
    unrelated = [o for o in document["observations"] if o["origin"] == "https://attacker.example"]
    assert unrelated
    assert all(o["allowed"] for o in unrelated if o["case"] == "GET")

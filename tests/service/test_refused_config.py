"""Every refused configuration stops the real service process: the Procfile's `web:` command (two
workers, so a worker restart loop would show), plain `uvicorn service.app:create_app --factory`
(one process: uvicorn takes WEB_CONCURRENCY as its worker count, and its supervisor restarts a
worker that exits with create_app's status 1 for ever) and gunicorn with service.worker's class
(two workers; gunicorn too boots a worker that exits with 1 again, for ever) exit non-zero within a
bound, list exactly the expected problems with their ids, never start serving and print no
traceback.

The cases are parametrized over the check ids found in settings/ (`Problem("E0xx", ...)`) and the
engine's audit (`flask_cors_asgi.CHECKS`), so a new check fails here until REFUSALS has a
configuration that triggers it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from flask_cors_asgi import CHECKS
from testing_support import ROOT, clean_env, free_port, run_bounded, uvicorn_command
from tests.service.test_gunicorn import gunicorn_command
from tests.service.test_procfile import web_command

ORIGIN = "https://app.example.com"

# id -> (variables on top of APP_ENV=production, every id the refusal must list)
REFUSALS: dict[str, tuple[dict[str, str], set[str]]] = {
    "E000": ({"APP_ENV": "prod"}, {"E000"}),  # unknown APP_ENV
    "E001": ({"CORS_ORIGINS": ORIGIN, "CORS_HEADERS": "Content-Type"}, {"E001"}),
    "E002": ({"CORS_ORIGINS": "app.example.com"}, {"E002"}),  # no scheme
    "E003": ({"CORS_ORIGINS": r"^https://(app\.example\.com$"}, {"E003"}),
    "E004": ({"CORS_ORIGINS": r"^https://app\.example\.com"}, {"E004"}),  # not anchored at the end
    "E005": ({"CORS_ORIGINS": "*"}, {"E005"}),
    "E006": ({"CORS_ORIGINS": f"{ORIGIN},null"}, {"E006"}),
    "E007": ({"CORS_ORIGINS": "http://app.example.com"}, {"E007"}),
    # Wildcard origins with credentials: the wildcard is refused on its own too.
    "E008": ({"CORS_ORIGINS": "*", "CORS_SUPPORTS_CREDENTIALS": "true"}, {"E005", "E008"}),
    "E009": ({"CORS_ORIGINS": ORIGIN, "CORS_MAX_AGE": "1.5"}, {"E009"}),
    "E010": ({}, {"E010"}),  # production without origins
    "E011": ({"CORS_ORIGINS": ORIGIN, "CORS_RESOURCES": "5"}, {"E011"}),  # a resource of the wrong type
    "E012": ({"CORS_ORIGINS": "^https://app.example.com$"}, {"E012"}),  # "." matches any character
    "E030": ({"CORS_ORIGINS": ORIGIN, "CROSS_ORIGIN_TRUSTED_ORIGINS": "app.example.com"}, {"E030"}),
    "E100": ({"CORS_ORIGINS": ORIGIN, "CORS_SUPPORTS_CREDENTIALS": "maybe"}, {"E100"}),
}


def check_ids() -> list[str]:
    """Every problem id the settings can report: their own (from their source) and the audit's."""
    found = set(CHECKS)
    for source in (ROOT / "settings").glob("*.py"):
        found |= set(re.findall(r'Problem\(\s*"(E\d{3})"', source.read_text()))
    return sorted(found)


COMMANDS = {
    "procfile": lambda port: ["bash", "-c", web_command()],
    "uvicorn": lambda port: uvicorn_command("service.app:create_app", port, "--factory"),
    "gunicorn": gunicorn_command,  # two workers of service.worker's class
}


def test_the_ids_are_found() -> None:
    assert {"E000", "E001", "E008", "E010", "E100"} <= set(check_ids())


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize("check_id", check_ids())
def test_a_refused_configuration_stops_the_service(check_id: str, command: str, tmp_path: Path) -> None:
    if check_id not in REFUSALS:
        pytest.fail(f"no refused configuration for {check_id}: add one that triggers it to REFUSALS")
    variables, expected = REFUSALS[check_id]
    port = free_port()
    env = clean_env(HOST="127.0.0.1", PORT=str(port), **{"APP_ENV": "production", **variables})
    if command == "procfile":
        env["WEB_CONCURRENCY"] = "2"
    else:
        env.pop("WEB_CONCURRENCY", None)
    status, output = run_bounded(COMMANDS[command](port), env, tmp_path)  # tmp_path: no .env files

    assert status != 0, output
    errors = re.findall(r"^ {2}error: .* \[(E\d{3})\]", output, re.MULTILINE)
    assert set(errors) == expected, output
    assert "invalid configuration:" in output
    assert "Traceback" not in output
    assert "Uvicorn running" not in output  # nothing ever listened (gunicorn's master did: not its workers)
    assert "Application startup complete" not in output  # no worker ever served

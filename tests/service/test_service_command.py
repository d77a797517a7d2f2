"""`python -m service`: uvicorn's command line with the app fixed and the deployed defaults; its
help tells the service's story first, and its usage line offers only what it accepts."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import click
import pytest

from service.__main__ import APP, command
from service.deployed import PROTOCOL
from settings.base import BaseAppSettings
from testing_support import ROOT, clean_env

VARIABLES = ["APP_ENV", *(name.upper() for name in BaseAppSettings.model_fields)]


def parsed(*args: str) -> dict[str, Any]:
    """The parameters `python -m service ARGS` would serve with (parsed, not run)."""
    return command().make_context("python -m service", list(args)).params


def run_command(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "service", *args],
        cwd=ROOT,
        env=clean_env(),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.fixture(scope="module")
def help_text() -> str:
    result = run_command("--help")
    assert result.returncode == 0, result.stderr
    return result.stdout


def test_help_usage_offers_no_app_argument(help_text: str) -> None:
    assert help_text.splitlines()[0] == "Usage: python -m service [OPTIONS]"


def test_help_tells_the_service_story_before_uvicorns_options(help_text: str) -> None:
    story, options = help_text.split("\nOptions:\n")
    assert "/api/foo" in story
    assert APP in story
    assert PROTOCOL in story
    assert "--host TEXT" in options


@pytest.mark.parametrize("variable", VARIABLES)
def test_help_names_every_variable_of_the_service(help_text: str, variable: str) -> None:
    story = help_text.split("\nOptions:\n")[0]
    assert f"\n  {variable} " in story


def sample_arguments(param: click.Option, existing_file: Path) -> list[str]:
    """A value of the option's type, after its name."""
    name = param.opts[0]
    if param.is_flag:
        return [name]
    if isinstance(param.type, click.Choice):
        return [name, str(param.type.choices[0])]
    if isinstance(param.type, click.Path):
        return [name, str(existing_file)]
    sample = {"integer": "1", "float": "1.5", "boolean": "true"}.get(param.type.name, "x")
    return [name, sample]


def options() -> list[click.Option]:
    return [p for p in command().params if isinstance(p, click.Option) and not p.hidden and not p.is_eager]


@pytest.mark.parametrize("option", options(), ids=lambda option: option.opts[0])
def test_every_offered_option_is_accepted(option: click.Option, tmp_path: Path, help_text: str) -> None:
    assert f"  {option.opts[0]}" in help_text  # offered
    existing = tmp_path / "file"
    existing.write_text("")
    parsed(*sample_arguments(option, existing))  # raises click.UsageError if refused


def test_an_app_argument_is_refused_without_offering_one() -> None:
    result = run_command("other:app")
    assert result.returncode == 2
    assert "Usage: python -m service [OPTIONS]\n" in result.stderr
    assert "unexpected extra argument" in result.stderr


def test_deployed_defaults() -> None:
    params = parsed()
    assert (params["http"], params["timeout_graceful_shutdown"], params["server_header"]) == (
        PROTOCOL,
        20,
        False,
    )


def test_an_option_given_wins_over_a_default() -> None:
    assert parsed("--http", "h11", "--server-header")["http"] == "h11"
    assert parsed("--server-header")["server_header"] is True


def test_uvicorns_variable_wins_over_a_default(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN", "3")
    assert parsed()["timeout_graceful_shutdown"] == 3

"""cors-conformance refuses mistyped input with one line and exit status 2, rather than passing a
CI gate on a probe that tested nothing: a --origin no browser sends, a --path every target answers
404; and `--version` prints the toolkit's version."""

from __future__ import annotations

import subprocess
import sys

import pytest

import cors_conformance
from cors_conformance.cli import main
from testing_support import ROOT

APP = "asgi:testing_support.misconfigured:suffix"
SEED = "wsgi:testing_support.seed_app:seed"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        ("shop.example", "has no scheme"),  # the mistake the issue saw: it gave a "blocked" verdict
        ("https://shop.example/", "not an origin a browser sends"),  # a path
        ("https://shop.example:443", "not an origin a browser sends"),  # the default port
        ("ftp://shop.example", "not an origin a browser sends"),
    ],
)
@pytest.mark.parametrize("command", ["probe", "diff", "explain"])
def test_a_malformed_origin_is_one_line_and_status_2(
    capsys: pytest.CaptureFixture[str], command: str, origin: str, message: str
) -> None:
    argv = {
        "probe": ["probe", APP, "--path", "/api/data"],
        "diff": ["diff", APP, APP, "--path", "/api/data"],
        "explain": ["explain", APP, "--path", "/api/data", "--method", "GET"],
    }[command]
    status, out, err = run(capsys, *argv, "--origin", origin)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert message in err
    assert repr(origin) in err


def test_an_origin_in_upper_case_is_taken_as_a_browser_sends_it(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "explain", APP, "--path", "/api/data", "--method", "GET",
                         "--origin", "HTTPS://Shop.Example")  # fmt: skip
    assert status == 0
    assert "from https://shop.example" in out


@pytest.mark.parametrize("command", ["probe", "diff"])
def test_a_path_every_target_answers_404_is_status_2(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    argv = ["probe", APP] if command == "probe" else ["diff", APP, SEED]
    status, out, err = run(capsys, *argv, "--path", "/api/data", "--path", "/nope")
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert "--path /nope" in err
    assert "404" in err


def test_a_path_one_side_serves_is_probed(capsys: pytest.CaptureFixture[str]) -> None:
    # /api/foo is 404 on the misconfigured app but served by the seed app: a real difference.
    status, out, err = run(capsys, "diff", APP, SEED, "--path", "/api/foo")
    assert err == ""
    assert status == 1
    assert "[browser] /api/foo" in out


def test_allow_404_probes_a_missing_path_on_purpose(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "probe", APP, "--path", "/nope", "--allow-404", "--json")
    assert (status, err) == (0, "")


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exited:
        main(["--version"])
    assert exited.value.code == 0
    assert capsys.readouterr().out == f"cors-conformance {cors_conformance.__version__}\n"


def test_version_from_the_command_line() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cors_conformance", "--version"],
        cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
    )  # fmt: skip
    assert (result.returncode, result.stderr) == (0, "")
    assert result.stdout.split() == ["cors-conformance", cors_conformance.__version__]


def test_a_reader_that_goes_away_gets_no_traceback() -> None:
    # `cors-conformance probe ... | head -1`: the pipe closes while the report is being written.
    process = subprocess.Popen(
        [sys.executable, "-m", "cors_conformance", "probe", APP, "--origin", "https://shop.example",
         "--every-origin"],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    assert process.stdout is not None
    assert process.stdout.readline().startswith("FAIL: ")
    process.stdout.close()
    _, err = process.communicate(timeout=120)
    assert "Traceback" not in err
    assert err == ""

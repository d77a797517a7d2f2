"""cors-conformance end to end: its commands on the original Flask app and on the service, its
errors, and a live server over a real socket."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from cors_conformance.cli import main
from tests.servers import free_port, serving, uvicorn_command

ROOT = Path(__file__).resolve().parent.parent
SEED = "wsgi:tests.seed_app:seed"
SEED_INTENDED = "wsgi:tests.seed_app:seed_without_decorator"
SERVICE = "asgi-factory:service.app:create_app"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nonsense", "unknown target 'nonsense'"),
        ("wsgi:no_such_module:app", "cannot import no_such_module"),
        ("wsgi:tests.seed_app:missing", "has no attribute 'missing'"),
        ("asgi:tests.seed_app", "expected package.module:attribute"),
        ("http://", "no host"),
    ],
)
def test_bad_targets_are_one_line_errors_with_status_2(
    capsys: pytest.CaptureFixture[str], target: str, message: str
) -> None:
    status, out, err = run(capsys, "probe", target)
    assert status == 2
    assert out == ""
    assert err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err


def test_unreachable_url_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "probe", f"http://127.0.0.1:{free_port()}")
    assert status == 2
    assert "cannot reach" in err
    assert err.count("\n") == 1


def test_from_flask_reports_what_flask_cors_ignores_and_the_open_route(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "from-flask", SEED, "--json")
    report = json.loads(out)
    assert status == 0
    assert any("origin=" in line and "/api/foo" in line for line in report["ignored"])
    assert any("CORS_HEADERS" in line and "CORS_ALLOW_HEADERS" in line for line in report["ignored"])
    assert any(line.startswith("/api/foo is open to every origin") for line in report["wider"])
    resources = json.loads(report["settings"]["CORS_RESOURCES"])
    assert resources["/api/*"]["origins"] == ["http://localhost:3000", "https://yourapp.com"]


def test_from_flask_settings_load_into_the_service(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from settings import load_settings

    status, out, _ = run(capsys, "from-flask", SEED_INTENDED, "--json")
    for name, value in json.loads(out)["settings"].items():
        monkeypatch.setenv(name, value)
    assert status == 0
    options = load_settings().settings.cors_options()
    assert options["resources"] == {
        "/api/*": {
            "origins": ["http://localhost:3000", "https://yourapp.com"],
            "methods": ["GET", "POST", "PUT", "DELETE"],
            "allow_headers": ["Content-Type", "Authorization"],
        }
    }


def test_from_flask_refuses_a_non_wsgi_target(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "from-flask", SERVICE)
    assert status == 2
    assert "from-flask takes wsgi:" in err


def test_diff_original_app_against_the_service_finds_browser_differences(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, "diff", SEED, SERVICE, "--path", "/api/foo", "--json")
    document = json.loads(out)
    assert status == 1
    assert document["counts"]["browser"] > 0
    allowed_only_by_seed = {
        (d["a"]["origin"], d["a"]["case"])
        for d in document["differences"]
        if d["a"]["allowed"] and not d["b"]["allowed"]
    }
    assert ("https://unrelated.example", "POST JSON") in allowed_only_by_seed


def test_diff_intended_app_against_the_service_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    paths = ["--path", "/api/foo", "--path", "/api/nope", "--path", "/"]
    status, out, _ = run(capsys, "diff", SEED_INTENDED, SERVICE, *paths, "--strict", "--json")
    assert json.loads(out)["differences"] == []
    assert status == 0


def test_probe_shows_the_original_app_open_to_every_origin(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "probe", SEED, "--path", "/api/foo", "--json")
    policy = {row["origin"]: row for row in json.loads(out)["policy"]}
    assert status == 0
    assert policy["https://unrelated.example"]["JSON POST"] == "yes"
    assert policy["http://localhost:3000"]["simple requests"] == "yes"
    assert (
        policy["https://unrelated.example"]["simple requests"] == "no"
    )  # error answers use the app's policy
    assert "http://localhost:3000.evil.example" in policy  # adversarial suffix of a discovered origin


def test_probe_markdown_and_table(capsys: pytest.CaptureFixture[str]) -> None:
    _, markdown, _ = run(capsys, "probe", SERVICE, "--path", "/api/foo", "--markdown")
    assert markdown.startswith("| path | origin |")
    _, table, _ = run(capsys, "probe", SERVICE, "--path", "/api/foo")
    assert "Effective CORS policy of asgi-factory:service.app:create_app" in table


@pytest.mark.parametrize(
    ("headers", "verdict"),
    [
        (["Content-Type: application/json"], "browser verdict: allowed"),
        (
            ["Content-Type: application/json", "X-Custom: 1"],
            "blocked: X-Custom is not in Access-Control-Allow-Headers",
        ),
    ],
)
def test_explain_gives_the_browser_verdict(
    capsys: pytest.CaptureFixture[str], headers: list[str], verdict: str
) -> None:
    argv = ["explain", SERVICE, "--path", "/api/foo", "--origin", "http://localhost:3000", "--method", "POST"]
    status, out, _ = run(capsys, *argv, *(arg for h in headers for arg in ("--header", h)))
    assert status == 0
    assert "preflight: OPTIONS /api/foo -> 200" in out
    assert verdict in out


def test_explain_refuses_what_fetch_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "explain", SERVICE, "--origin", "http://a.example", "--method", "CONNECT")
    assert status == 2
    assert "fetch() would refuse" in err


@pytest.fixture(scope="module")
def live_service() -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(uvicorn_command("service.app:create_app", port, "--factory"), f"{url}/healthz"):
        yield url


def test_live_url_equals_the_in_process_app(capsys: pytest.CaptureFixture[str], live_service: str) -> None:
    status, out, _ = run(capsys, "diff", live_service, SERVICE, "--path", "/api/foo", "--strict", "--json")
    assert json.loads(out)["differences"] == []
    assert status == 0


def test_module_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cors_conformance", "diff", SEED_INTENDED, SERVICE, "--path", "/api/foo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "0 browser, 0 cache, 0 cosmetic" in result.stdout

"""cors-conformance end to end: its commands on the original Flask app, on the service and on other
apps, route discovery, its errors and exit statuses, and a live server over a real socket."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from dotenv import dotenv_values

from cors_conformance.cli import main
from cors_conformance.discover import paths
from cors_conformance.targets import Target
from testing_support import ROOT, clean_env, free_port, serving, uvicorn_command

SEED = "wsgi:testing_support.seed_app:seed"
SEED_INTENDED = "wsgi:testing_support.seed_app:seed_without_decorator"
SERVICE = "asgi-factory:service.app:create_app"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


# --- bad targets: one line, exit 2 ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "message"),
    [
        ("nonsense", "unknown target 'nonsense'"),
        ("wsgi:no_such_module:app", "cannot import no_such_module"),
        (
            "wsgi:testing_support.seed_app:sed",
            "has no attribute 'sed'; did you mean testing_support.seed_app:seed?",
        ),
        ("asgi:testing_support.seed_app", "expected asgi:package.module:attribute"),
        ("http://", "no host"),
        # The wrong kind: what was found, and what to write instead.
        (
            "asgi:testing_support.seed_app:seed",
            "is a Flask (WSGI) app; write wsgi:testing_support.seed_app:seed",
        ),
        ("asgi:service.app:create_app", "builds an app; write asgi-factory:service.app:create_app"),
        (
            "wsgi:service.app:create_app",
            "builds an ASGI app (Service); write asgi-factory:service.app:create_app",
        ),
        ("wsgi:testing_support.misconfigured:anchored_regex", "is an ASGI app (Starlette); write asgi:"),
        ("asgi-factory:testing_support.misconfigured:anchored_regex", "not a factory; write asgi:"),
        ("asgi-factory:testing_support.seed_app:seed", "is a Flask (WSGI) app; write wsgi:"),
        ("asgi:testing_support.misconfigured:FRONT_END", "is a str, not an app"),
    ],
)
@pytest.mark.parametrize("command", ["probe", "diff"])
def test_bad_targets_are_one_line_errors_with_status_2(
    capsys: pytest.CaptureFixture[str], command: str, target: str, message: str
) -> None:
    argv = ["probe", target] if command == "probe" else ["diff", SEED_INTENDED, target]
    status, out, err = run(capsys, *argv)
    assert (status, out) == (2, "")
    assert err.count("\n") == 1
    assert message in err
    assert "Traceback" not in err


def test_unreachable_url_is_a_one_line_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "probe", f"http://127.0.0.1:{free_port()}")
    assert status == 2
    assert "cannot reach" in err
    assert err.count("\n") == 1


def test_an_app_answering_only_5xx_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, _, err = run(
        capsys, "probe", "asgi:testing_support.misconfigured:anchored_regex", "--path", "/boom", "--allow-404"
    )
    assert status == 0  # a 404 is an answer, probed on purpose
    broken = "asgi:tests.toolkit.test_conformance_cli:always_500"
    status, _, err = run(capsys, "probe", broken, "--path", "/")
    assert status == 2
    assert "answered every request with 500" in err


async def always_500(scope: dict[str, object], receive: object, send: object) -> None:
    raise RuntimeError("broken app")


# --- route discovery ------------------------------------------------------------------------------


def test_flask_routes_are_found_with_sample_values() -> None:
    assert [str(p) for p in paths(Target("wsgi:testing_support.misconfigured:flask_unanchored"))] == [
        "/v1/orders/1"
    ]
    assert [str(p) for p in paths(Target("wsgi:tests.toolkit.test_conformance_cli:dispatcher"))] == [
        "/",
        "/api/items/1/1",
        "/api/items/a",
        "/api/v1/v1/orders/1",
    ]


def dispatcher_app() -> object:
    import flask
    from werkzeug.middleware.dispatcher import DispatcherMiddleware

    from testing_support.misconfigured import flask_unanchored

    outer, inner = flask.Flask("outer"), flask.Flask("inner")
    outer.add_url_rule("/", "root", lambda: "root")
    inner.add_url_rule("/items/<any(a, b):kind>", "kind", lambda kind: kind)
    inner.add_url_rule("/items/<name>/<path:rest>", "rest", lambda name, rest: name)
    return DispatcherMiddleware(outer, {"/api": DispatcherMiddleware(inner, {"/v1": flask_unanchored})})


dispatcher = dispatcher_app()


def test_starlette_and_fastapi_routes_are_found() -> None:
    found = [str(p) for p in paths(Target(SERVICE))]
    assert found == ["/api/foo", "/healthz", "/openapi.json"]
    mounted = [str(p) for p in paths(Target("asgi:tests.toolkit.test_conformance_cli:mounted"))]
    assert mounted == [
        "/api/items/1",
        "/api/things/1/1",
        "api.example/hosted",
        "/legacy/v1/orders/1",
        "/root",
    ]


def mounted_app() -> object:
    from fastapi import APIRouter, FastAPI
    from starlette.applications import Starlette
    from starlette.routing import Host, Route, Router

    app = FastAPI(docs_url=None, redoc_url=None, openapi_url=None)
    router = APIRouter(prefix="/api")

    @router.get("/items/{item_id}")
    def item(item_id: int) -> dict[str, int]:
        return {"item": item_id}

    @router.get("/things/{name}/{rest:path}")
    def thing(name: str, rest: str) -> dict[str, str]:
        return {"name": name}

    app.include_router(router)

    async def root(request: object) -> None:
        return None

    app.router.routes.append(Route("/root", root))  # type: ignore[arg-type]
    app.mount("/legacy", Starlette(routes=[Route("/v1/orders/{order_id:int}", root)]))
    app.router.routes.append(Host("api.example", Router(routes=[Route("/hosted", root)])))  # type: ignore[arg-type]
    return app


mounted = mounted_app()


def test_without_paths_diff_probes_both_sides_routes(capsys: pytest.CaptureFixture[str]) -> None:
    # Without --path, diff used to probe "/" only and report no difference between the original
    # app (open to every origin on /api/foo) and the service.
    status, out, _ = run(capsys, "diff", SEED, SERVICE, "--json")
    document = json.loads(out)
    assert status == 1
    assert document["counts"]["browser"] > 0
    assert {d["path"] for d in document["differences"] if d["kind"] == "browser"} == {"/api/foo"}
    routes = {(d["path"], d["details"][0]) for d in document["differences"] if d["origin"] is None}
    assert routes == {("/healthz", "route exists only in B"), ("/openapi.json", "route exists only in B")}


def test_nothing_to_probe_is_an_error(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "probe", "asgi:tests.toolkit.test_conformance_cli:always_500")
    assert status == 2
    assert "no paths found" in err
    assert "--path" in err


@pytest.fixture(scope="module")
def live_service() -> Iterator[str]:
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    with serving(uvicorn_command("service.app:create_app", port, "--factory"), f"{url}/healthz"):
        yield url


def test_a_live_url_is_probed_on_the_paths_of_its_openapi_document(
    capsys: pytest.CaptureFixture[str], live_service: str
) -> None:
    assert [str(p) for p in paths(Target(live_service))] == ["/api/foo", "/healthz"]
    status, out, _ = run(capsys, "diff", live_service, SERVICE, "--strict", "--json")
    document = json.loads(out)
    # /openapi.json is not in its own document: a route the in-process side declares, the only difference.
    assert [(d["path"], d["details"]) for d in document["differences"]] == [
        ("/openapi.json", ["route exists only in B"])
    ]
    assert status == 1


def test_live_url_equals_the_in_process_app(capsys: pytest.CaptureFixture[str], live_service: str) -> None:
    status, out, _ = run(capsys, "diff", live_service, SERVICE, "--path", "/api/foo", "--strict", "--json")
    assert json.loads(out)["differences"] == []
    assert status == 0


# --- in-process targets reveal every configured origin -------------------------------------------


def test_every_configured_origin_is_probed_not_only_the_first(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "probe", SEED_INTENDED, "--json")
    origins = {row["origin"] for row in json.loads(out)["policy"]}
    # always_send leaks only the first literal; the configuration names both.
    assert {"http://localhost:3000", "https://yourapp.com"} <= origins
    assert "https://yourapp.com.attacker.example" in origins


# --- probe, explain, diff output -----------------------------------------------------------------


def test_probe_shows_the_original_app_open_to_every_origin(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "probe", SEED, "--path", "/api/foo", "--json")
    document = json.loads(out)
    policy = {row["origin"]: row for row in document["policy"]}
    assert policy["https://attacker.example"]["JSON POST"] == "yes"
    # /api/foo serves only JSON POSTs: a simple GET or text/plain POST gets only an error answer to read.
    assert policy["http://localhost:3000"]["simple"] == "readable 405, 415"
    assert policy["https://attacker.example"]["simple"] == "no"  # error answers use the app's policy
    # Open to every origin (C01), and another site's text/plain POST reaches /api/foo, which turns
    # it down itself (a 415, as for a trusted origin: X01, low).
    found = [(f["id"], f["severity"], f["origin"]) for f in document["findings"]]
    assert found == [("C01", "low", "https://attacker.example"), ("X01", "low", "https://attacker.example")]
    assert status == 0  # open to every origin without credentials: low findings


@pytest.mark.parametrize(
    ("headers", "verdict", "status"),
    [
        (["Content-Type: application/json"], "browser verdict: allowed", 0),
        (
            ["Content-Type: application/json", "X-Custom: 1"],
            "blocked: X-Custom is not in Access-Control-Allow-Headers",
            1,
        ),
    ],
)
def test_explain_gives_the_browser_verdict_and_its_exit_status(
    capsys: pytest.CaptureFixture[str], headers: list[str], verdict: str, status: int
) -> None:
    argv = ["explain", SERVICE, "--path", "/api/foo", "--origin", "http://localhost:3000", "--method", "POST"]
    result, out, _ = run(capsys, *argv, *(arg for h in headers for arg in ("--header", h)))
    assert result == status
    assert "preflight: OPTIONS /api/foo -> 200" in out
    assert verdict in out


def test_explain_refuses_what_fetch_refuses(capsys: pytest.CaptureFixture[str]) -> None:
    status, _, err = run(capsys, "explain", SERVICE, "--origin", "http://a.example", "--method", "CONNECT")
    assert status == 2
    assert "fetch() would refuse" in err


def test_diff_reads_well_at_100_columns(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "diff", SEED, SERVICE, "--path", "/api/foo", "--path", "/api/nope", "--allow-404"
    )
    assert status == 1
    assert max(len(line) for line in out.splitlines()) <= 100
    blocks = out.split("\n\n")
    assert any(
        block.startswith("[browser] /api/foo, from https://attacker.example, POST JSON") for block in blocks
    )
    assert "same lines" not in out
    assert "access-control-allow-origin missing on B (A: https://attacker.example)" in out


def test_a_status_difference_is_app_visible(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "diff", SEED_INTENDED, SERVICE, "--path", "/healthz", "--json")
    kinds = {d["kind"] for d in json.loads(out)["differences"]}
    assert kinds == {"app-visible"}
    assert status == 0  # app-visible differences pass the default gate (browser)
    status, _, _ = run(
        capsys, "diff", SEED_INTENDED, SERVICE, "--path", "/healthz", "--fail-on-difference", "app-visible"
    )
    assert status == 1


def test_diff_intended_app_against_the_service_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    paths = ["--path", "/api/foo", "--path", "/api/nope", "--path", "/", "--allow-404"]
    status, out, _ = run(capsys, "diff", SEED_INTENDED, SERVICE, *paths, "--strict", "--json")
    assert json.loads(out)["differences"] == []
    assert status == 0


def test_diff_markdown(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "diff", SEED, SERVICE, "--path", "/api/foo", "--markdown")
    assert out.startswith(f"### CORS: `{SEED}` (A) vs `{SERVICE}` (B)")
    assert "| browser | /api/foo |" in out


# --- from-flask ---------------------------------------------------------------------------------


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


def test_from_flask_judges_each_rule_by_its_own_resource(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "from-flask", "wsgi:testing_support.misconfigured:flask_wider_rule", "--json"
    )
    assert [line.split(" ", 1)[0] for line in json.loads(out)["wider"]] == ["/v1/export"]
    assert status == 0


def test_from_flask_compares_a_literal_resource_with_the_whole_path(
    capsys: pytest.CaptureFixture[str],
) -> None:
    # As Flask-CORS does: only a pattern with regex characters is a regex (matched from the start).
    status, out, _ = run(
        capsys, "from-flask", "wsgi:testing_support.misconfigured:flask_literal_resource", "--json"
    )
    assert json.loads(out)["wider"] == []
    assert status == 0


def test_from_flask_audits_the_recorded_options(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "from-flask", "wsgi:testing_support.misconfigured:flask_unanchored", "--json"
    )
    problems = {(p["id"], p["option"]) for p in json.loads(out)["problems"]}
    assert ("E004", "resources['/v1/*'].origins") in problems
    assert status == 0


def from_flask_env(capsys: pytest.CaptureFixture[str], app: str, directory: Path) -> Path:
    status, out, _ = run(capsys, "from-flask", app)
    assert status == 0
    path = directory / ".env.production"
    path.write_text(out)
    return path


@pytest.mark.parametrize("app", [SEED_INTENDED, "wsgi:testing_support.misconfigured:flask_unanchored"])
def test_from_flask_env_reads_alike_in_dotenv_and_in_a_shell(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, app: str
) -> None:
    path = from_flask_env(capsys, app, tmp_path)
    script = f"set -a; . {path}; env -0"
    shell = subprocess.run(["bash", "-c", script], capture_output=True, env={}, check=True).stdout
    exported = dict(item.split("=", 1) for item in shell.decode().split("\0") if item.startswith("CORS_"))
    assert exported == dotenv_values(path)
    resources = json.loads(exported["CORS_RESOURCES"])
    assert all("\\" not in o or "\\." in o for r in resources.values() for o in r.get("origins", []))


def test_a_safe_flask_policy_migrates_to_a_production_configuration(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    from_flask_env(capsys, "wsgi:testing_support.misconfigured:flask_safe", tmp_path)
    check = subprocess.run(
        [sys.executable, "-m", "settings", "--check"],
        cwd=tmp_path,
        env={**clean_env(APP_ENV="production"), "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert check.returncode == 0, check.stderr


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


def test_module_entry_point_runs() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "cors_conformance", "diff", SEED_INTENDED, SERVICE, "--path", "/api/foo"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ},
    )
    assert result.returncode == 0, result.stderr
    assert "0 browser, 0 app-visible, 0 cache, 0 cosmetic" in result.stdout

"""The engine and the toolkit as other teams get them: each built as its own wheel from this
repository and installed into a fresh virtual environment at the lock's versions. The engine brings
Starlette (and what Starlette needs) and nothing else; the toolkit adds httpx; neither installs nor
imports the service or its settings; both ship py.typed; and both work once installed."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from importlib.metadata import distribution
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

from tests.servers import ROOT

BUILD_TIMEOUT = 180  # seconds, per pip command
NEVER = {"service", "settings", "uvicorn", "pydantic_settings", "httptools", "uvloop", "flask"}


def closure(*names: str) -> set[str]:
    """The distributions `names` need, themselves included, as this environment resolved them."""
    environment = default_environment()
    found: set[str] = set()
    pending = list(names)
    while pending:
        name = canonicalize_name(pending.pop())
        if name in found:
            continue
        found.add(name)
        for text in distribution(name).requires or ():
            requirement = Requirement(text)
            if requirement.marker is None or requirement.marker.evaluate({**environment, "extra": ""}):
                pending.append(requirement.name)
    return found


def run(*command: str | Path, cwd: Path | None = None) -> str:
    done = subprocess.run(
        [str(part) for part in command], cwd=cwd, capture_output=True, text=True, timeout=BUILD_TIMEOUT
    )
    assert done.returncode == 0, f"{command}\n{done.stdout}\n{done.stderr}"
    return done.stdout


@pytest.fixture(scope="module")
def wheels(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Both wheels, built from a copy of what they are made of (the checkout stays clean)."""
    source = tmp_path_factory.mktemp("source")
    for part in ("flask_cors_asgi", "cors_conformance", "distributions"):
        shutil.copytree(
            ROOT / part, source / part, ignore=shutil.ignore_patterns("__pycache__", "*.egg-info", "build")
        )
    out = tmp_path_factory.mktemp("wheels")
    for project in ("flask-cors-asgi", "cors-conformance"):
        run(
            sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "--no-build-isolation",
            "--wheel-dir", out, source / "distributions" / project,
        )  # fmt: skip
    return {re.sub(r"-.*", "", path.name): path for path in out.glob("*.whl")}


@pytest.fixture(scope="module")
def constraints(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lock's versions, without its hashes (pip refuses hashes for the local wheels)."""
    pins = re.findall(
        r"^([A-Za-z0-9._-]+==[^\s\\;]+)", (ROOT / "requirements.lock").read_text(), re.MULTILINE
    )
    path = tmp_path_factory.mktemp("constraints") / "constraints.txt"
    path.write_text("\n".join(pins) + "\n")
    return path


def installed(python: Path) -> set[str]:
    listed = json.loads(run(python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"))
    return {canonicalize_name(item["name"]) for item in listed} - {"pip", "setuptools"}


def environment_with(wheels: list[Path], constraints: Path, where: Path) -> Path:
    """A fresh virtual environment with `wheels` installed at the lock's versions: its python."""
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    python = where / "bin" / "python"
    run(python, "-m", "pip", "install", "--quiet", "--disable-pip-version-check", "-c", constraints, *wheels)
    return python


@pytest.fixture(scope="module")
def engine_python(
    wheels: dict[str, Path], constraints: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return environment_with([wheels["flask_cors_asgi"]], constraints, tmp_path_factory.mktemp("engine-venv"))


@pytest.fixture(scope="module")
def toolkit_python(
    wheels: dict[str, Path], constraints: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    both = [wheels["flask_cors_asgi"], wheels["cors_conformance"]]
    return environment_with(both, constraints, tmp_path_factory.mktemp("toolkit-venv"))


@pytest.mark.parametrize(
    ("wheel", "package"), [("flask_cors_asgi", "flask_cors_asgi"), ("cors_conformance", "cors_conformance")]
)
def test_each_wheel_holds_its_package_only_with_py_typed(
    wheels: dict[str, Path], wheel: str, package: str
) -> None:
    names = zipfile.ZipFile(wheels[wheel]).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {package}
    assert f"{package}/py.typed" in names


def test_the_engine_brings_starlette_and_nothing_else(engine_python: Path) -> None:
    assert installed(engine_python) == {"flask-cors-asgi"} | closure("starlette")


def test_the_toolkit_brings_httpx_and_the_engine(toolkit_python: Path) -> None:
    assert installed(toolkit_python) == {"cors-conformance", "flask-cors-asgi"} | closure(
        "starlette", "httpx"
    )


ENGINE_SCRIPT = """
import asyncio, importlib.util, sys
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from flask_cors_asgi import CORSMiddleware, audit, cross_origin

async def hello(request):
    return PlainTextResponse("hello")

app = Starlette(
    routes=[Route("/api/hello", cross_origin(origins=["https://b.example"])(hello))],
    middleware=[Middleware(CORSMiddleware, resources={r"/api/*": {"origins": ["https://a.example"]}})],
)
sent = []

async def main():
    async def receive():
        return {"type": "http.request", "body": b""}
    async def send(message):
        sent.append(message)
    scope = {"type": "http", "method": "GET", "path": "/api/hello", "root_path": "", "query_string": b"",
             "headers": [(b"origin", b"https://b.example")]}
    await app(scope, receive, send)

asyncio.run(main())
print(dict(sent[0]["headers"])[b"access-control-allow-origin"].decode())
print(",".join(p.id for p in audit(origins="*", supports_credentials=True)))
print(",".join(sorted(m for m in sys.argv[1:] if importlib.util.find_spec(m) is not None)) or "-")
"""


def test_the_installed_engine_works_alone(engine_python: Path, tmp_path: Path) -> None:
    output = run(engine_python, "-c", ENGINE_SCRIPT, *sorted(NEVER), cwd=tmp_path).split()
    assert output == ["https://b.example", "E005,E008", "-"]


def test_the_installed_toolkit_runs_its_command(toolkit_python: Path, tmp_path: Path) -> None:
    (tmp_path / "target.py").write_text(
        "from starlette.applications import Starlette\n"
        "from starlette.middleware import Middleware\n"
        "from flask_cors_asgi import CORSMiddleware\n"
        "app = Starlette(middleware=[Middleware(CORSMiddleware, origins=['https://a.example'])])\n"
    )
    command = toolkit_python.parent / "cors-conformance"
    output = run(
        command,
        "explain",
        "asgi:target:app",
        "--origin",
        "https://a.example",
        "--method",
        "GET",
        cwd=tmp_path,
    )
    assert "browser verdict: allowed" in output
    imported = run(
        toolkit_python,
        "-c",
        f"import sys, cors_conformance.cli; print(sorted(set({sorted(NEVER)!r}) & set(sys.modules)))",
    )
    assert imported.strip() == "[]"

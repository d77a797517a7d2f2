"""The distribution as other teams get it: `python -m build` on a copy of the checkout makes an sdist,
then a wheel from that sdist (build's default), and the wheel installs into fresh virtual environments
at the lock's versions. The engine brings Starlette (and what Starlette needs) and nothing else; the
`conformance` extra adds httpx for the toolkit; neither installs nor imports the service or its
settings; the wheel ships both packages typed, the licence and complete metadata; both work once
installed, and the toolkit's command without its extra says what to install."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tarfile
import venv
import zipfile
from email.parser import HeaderParser
from importlib.metadata import distribution
from pathlib import Path

import pytest
from packaging.markers import default_environment
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

import flask_cors_asgi
from testing_support import ROOT
from tests.project.test_runtime import checkout_copy

BUILD_TIMEOUT = 180  # seconds, per build or pip command
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
def built(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """The sdist, and the wheel built from it, from a copy of the checkout (which stays clean).
    Without build isolation: the lock pins the backend, and the test needs no index for it."""
    source = checkout_copy(tmp_path_factory.mktemp("checkout"))
    out = tmp_path_factory.mktemp("dist")
    run(sys.executable, "-m", "build", "--no-isolation", "--outdir", out, source)
    (sdist,) = out.glob("*.tar.gz")
    (wheel,) = out.glob("*.whl")
    return {"sdist": sdist, "wheel": wheel}


@pytest.fixture(scope="module")
def constraints(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The lock's versions, without its hashes (pip refuses hashes for the local wheel)."""
    pins = re.findall(
        r"^([A-Za-z0-9._-]+==[^\s\\;]+)", (ROOT / "requirements.lock").read_text(), re.MULTILINE
    )
    path = tmp_path_factory.mktemp("constraints") / "constraints.txt"
    path.write_text("\n".join(pins) + "\n")
    return path


def installed(python: Path) -> set[str]:
    listed = json.loads(run(python, "-m", "pip", "list", "--format=json", "--disable-pip-version-check"))
    return {canonicalize_name(item["name"]) for item in listed} - {"pip", "setuptools"}


def environment_with(requirement: str, constraints: Path, where: Path) -> Path:
    """A fresh virtual environment with `requirement` installed at the lock's versions: its python."""
    venv.EnvBuilder(with_pip=True, clear=True).create(where)
    python = where / "bin" / "python"
    run(
        python,
        "-m",
        "pip",
        "install",
        "--quiet",
        "--disable-pip-version-check",
        "-c",
        constraints,
        requirement,
    )
    return python


@pytest.fixture(scope="module")
def engine_python(
    built: dict[str, Path], constraints: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    return environment_with(str(built["wheel"]), constraints, tmp_path_factory.mktemp("engine-venv"))


@pytest.fixture(scope="module")
def toolkit_python(
    built: dict[str, Path], constraints: Path, tmp_path_factory: pytest.TempPathFactory
) -> Path:
    requirement = f"{built['wheel']}[conformance]"
    return environment_with(requirement, constraints, tmp_path_factory.mktemp("toolkit-venv"))


def metadata(wheel: Path) -> tuple[HeaderParser, dict[str, list[str]]]:
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist() if n.endswith(".dist-info/METADATA")]
        message = HeaderParser().parsestr(archive.read(name).decode())
    fields: dict[str, list[str]] = {}
    for key, value in message.items():
        fields.setdefault(key, []).append(value)
    return message, fields


def test_the_sdist_holds_the_libraries_the_licence_and_nothing_of_the_application(
    built: dict[str, Path],
) -> None:
    with tarfile.open(built["sdist"]) as archive:
        names = {name.split("/", 1)[1] for name in archive.getnames() if "/" in name}
    assert {"pyproject.toml", "LICENSE", "README.md", "PKG-INFO"} <= names
    assert {"flask_cors_asgi/__init__.py", "flask_cors_asgi/py.typed"} <= names
    assert {"cors_conformance/cli.py", "cors_conformance/py.typed"} <= names
    application = {"service", "settings", "testing_support", "tests", "bench", "scripts"}
    assert not {name.split("/")[0] for name in names} & application


def test_the_wheel_holds_both_packages_typed_and_the_licence(built: dict[str, Path]) -> None:
    names = zipfile.ZipFile(built["wheel"]).namelist()
    top = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert top == {"flask_cors_asgi", "cors_conformance"}
    assert {"flask_cors_asgi/py.typed", "cors_conformance/py.typed"} <= set(names)
    (licence,) = [name for name in names if name.endswith(".dist-info/licenses/LICENSE")]
    assert zipfile.ZipFile(built["wheel"]).read(licence) == (ROOT / "LICENSE").read_bytes()


def test_the_wheel_has_complete_metadata(built: dict[str, Path]) -> None:
    message, fields = metadata(built["wheel"])
    assert message["Name"] == "flask-cors-asgi"
    assert message["Version"] == flask_cors_asgi.__version__
    assert message["License-Expression"] == "MIT"
    assert message["Description-Content-Type"] == "text/markdown"
    assert message.get_payload().startswith((ROOT / "README.md").read_text().splitlines()[0])
    assert message["Author"]
    assert {url.split(",")[0] for url in fields["Project-URL"]} >= {
        "Documentation",
        "Repository",
        "Changelog",
    }
    assert "Typing :: Typed" in fields["Classifier"]
    requirements = {Requirement(text).name: Requirement(text) for text in fields["Requires-Dist"]}
    assert set(requirements) == {"starlette", "httpx"}
    assert requirements["starlette"].marker is None
    assert str(requirements["httpx"].marker) == 'extra == "conformance"'


def test_the_engine_brings_starlette_and_nothing_else(engine_python: Path) -> None:
    assert installed(engine_python) == {"flask-cors-asgi"} | closure("starlette")


def test_the_conformance_extra_adds_httpx(toolkit_python: Path) -> None:
    assert installed(toolkit_python) == {"flask-cors-asgi"} | closure("starlette", "httpx")


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
    output = run(engine_python, "-c", ENGINE_SCRIPT, *sorted(NEVER | {"httpx"}), cwd=tmp_path).split()
    assert output == ["https://b.example", "E005,E008", "-"]


def test_the_toolkits_command_without_its_extra_says_what_to_install(
    engine_python: Path, tmp_path: Path
) -> None:
    for command in ([engine_python.parent / "cors-conformance"], [engine_python, "-m", "cors_conformance"]):
        done = subprocess.run(
            [*command, "probe", "http://127.0.0.1:9"], cwd=tmp_path, capture_output=True, text=True
        )
        assert done.returncode == 2
        assert done.stdout == ""
        assert done.stderr.splitlines() == [
            "cors-conformance: error: the toolkit needs httpx: pip install 'flask-cors-asgi[conformance]'"
        ]


def test_both_packages_report_the_distributions_version(toolkit_python: Path, tmp_path: Path) -> None:
    code = "import flask_cors_asgi as e, cors_conformance as t; print(e.__version__, t.__version__)"
    assert run(toolkit_python, "-c", code, cwd=tmp_path).split() == [flask_cors_asgi.__version__] * 2


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

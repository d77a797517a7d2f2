"""Every install command the README and the docs show works exactly as written: each `pip install`
line of their `sh` blocks is run by bash in a fresh virtual environment, in a copy of the checkout (the
directory the docs tell the reader to be in), with pip's ordinary configuration, so build isolation
fetches the build backend from the index as it would for a user. Then what it installed must work."""

from __future__ import annotations

import os
import re
import subprocess
import venv
from pathlib import Path

import pytest

from testing_support import ROOT
from tests.project.test_runtime import checkout_copy

TIMEOUT = 300  # seconds per command: a build backend and the dependencies may be downloaded
SH_BLOCK = re.compile(r"^```sh\n(.*?)^```", re.MULTILINE | re.DOTALL)
PAGES = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]


def install_lines() -> set[str]:
    found = set()
    for page in PAGES:
        for block in SH_BLOCK.findall(page.read_text()):
            found |= {line.strip() for line in block.splitlines() if line.startswith("pip install")}
    return found


# What each command must give: the modules it must make importable, and whether the toolkit's
# command must run (it does only with the conformance extra; without it, it says so and exits 2).
EXPECTED = {
    "pip install .": ({"flask_cors_asgi", "starlette"}, False),
    "pip install '.[conformance]'": ({"flask_cors_asgi", "cors_conformance", "httpx"}, True),
    "pip install build && python -m build": ({"build"}, False),
}


def command_of(line: str) -> str:
    return line.split("  #", 1)[0].strip()


def test_the_docs_show_only_commands_tested_here() -> None:
    assert {command_of(line) for line in install_lines()} == set(EXPECTED)


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return checkout_copy(tmp_path_factory.mktemp("checkout"))


@pytest.mark.parametrize("command", sorted(EXPECTED))
def test_an_install_command_works_as_written(command: str, checkout: Path, tmp_path: Path) -> None:
    environment = tmp_path / "venv"
    venv.EnvBuilder(with_pip=True).create(environment)
    bin_dir = environment / "bin"
    env = {
        **os.environ,
        "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
        "VIRTUAL_ENV": str(environment),
    }
    env.pop("PYTHONPATH", None)
    done = subprocess.run(
        ["bash", "-c", command], cwd=checkout, env=env, capture_output=True, text=True, timeout=TIMEOUT
    )
    assert done.returncode == 0, done.stdout + done.stderr
    modules, toolkit = EXPECTED[command]
    code = f"import {', '.join(sorted(modules))}"
    subprocess.run([bin_dir / "python", "-c", code], cwd=tmp_path, check=True, timeout=60)
    if command.endswith("python -m build"):
        assert sorted(path.suffix for path in (checkout / "dist").iterdir()) == [".gz", ".whl"]
        return
    toolkit_run = subprocess.run(
        [bin_dir / "cors-conformance", "--help"], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    assert (toolkit_run.returncode == 0) is toolkit

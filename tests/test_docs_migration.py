"""docs/migration.md, run as written: each section is a pair of fenced Python blocks, the Flask
original and its port, each a module defining `app`. Both get the same requests; the status and
every Access-Control-* line must be equal."""

from __future__ import annotations

import re
import sys
import types
from pathlib import Path
from typing import Any

import pytest

from tests.differential import Req, send_asgi, send_flask

PAGE = Path(__file__).resolve().parent.parent / "docs" / "migration.md"
FRONT = "https://front.example"
PARTNER = "https://partner.example"
OTHER = "https://other.example"

SHAPES = [
    "`CORS(app)`",
    "`resources`",
    "`init_app` with an app factory",
    "`app.config`",
    "`CORS(blueprint)`",
    "`@cross_origin(...)` with arguments",
    "`@cross_origin()` without arguments",
    "Path parameters",
    "FastAPI",
    "Error handlers",
    "Request hooks",
    "Quart",
]


def _preflight(path: str, origin: str, **extra: str) -> Req:
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST", **extra}
    return Req("OPTIONS", path, headers)


def _requests() -> dict[str, Req]:
    requests: dict[str, Req] = {}
    paths = ("/api/items", "/api/partner", "/health", "/api/fail", "/api/missing")
    for path in (*paths, "/api/items/7", "/api/items/7/share", "/api/items/x"):
        for origin in (FRONT, PARTNER, OTHER):
            requests[f"preflight {path} from {origin}"] = _preflight(
                path, origin, **{"Access-Control-Request-Headers": "content-type"}
            )
            requests[f"GET {path} from {origin}"] = Req("GET", path, {"Origin": origin})
        requests[f"GET {path} without Origin"] = Req("GET", path)
        requests[f"PUT {path} (405 on a GET/POST route)"] = Req("PUT", path, {"Origin": FRONT})
    # The hooks section's key, where other apps ignore it.
    with_key = {"Origin": FRONT, "X-Api-Key": "secret"}
    requests["GET /api/items with a key"] = Req("GET", "/api/items", with_key)
    requests["POST /api/items with a key"] = Req("POST", "/api/items", with_key)
    return requests


REQUESTS = _requests()
# The origin each example lets in, and a path it lets it into, where not FRONT on /api/items.
FRONT_END = {"Quart": (PARTNER, "/api/partner"), "Path parameters": (FRONT, "/api/items/7")}


def sections() -> dict[str, tuple[str, str]]:
    """Each "## " section's (flask_source, port_source): its two fenced Python blocks."""
    parts = re.split(r"^## (.+)$", PAGE.read_text(), flags=re.MULTILINE)
    pairs = {}
    for title, text in zip(parts[1::2], parts[2::2], strict=True):
        blocks = re.findall(r"```python\n(.*?)```", text, re.DOTALL)
        assert len(blocks) == 2, f"{title}: the Flask original and its port, not {len(blocks)} blocks"
        pairs[title] = (blocks[0], blocks[1])
    return pairs


def run_module(source: str, name: str) -> Any:
    """An example's `app`, run as a module of its own (Flask names its app after `__name__`)."""
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(source, str(PAGE), "exec"), module.__dict__)
    return module.app


def _slug(title: str) -> str:
    return re.sub(r"\W+", "_", title.lower()).strip("_")


def test_the_page_has_a_section_per_shape() -> None:
    assert list(sections()) == SHAPES


@pytest.mark.parametrize("shape", SHAPES)
async def test_the_port_answers_as_the_flask_original(shape: str) -> None:
    flask_source, port_source = sections()[shape]
    original = run_module(flask_source, f"docs_migration_flask_{_slug(shape)}")
    port = run_module(port_source, f"docs_migration_port_{_slug(shape)}")
    problems = []
    for name, request in REQUESTS.items():
        expected = send_flask(original, request)
        seen = await send_asgi(port, request)
        if (expected.status, expected.cors) != (seen.status, seen.cors):
            flask_answer = f"flask {expected.status} {expected.cors}"
            problems.append(f"{name}: {flask_answer}, port {seen.status} {seen.cors}")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("shape", SHAPES)
async def test_the_front_end_gets_what_it_needs(shape: str) -> None:
    # Equal to Flask is not enough if both said nothing: each example allows a front end.
    _, port_source = sections()[shape]
    port = run_module(port_source, f"docs_migration_port_{_slug(shape)}")
    origin, path = FRONT_END.get(shape, (FRONT, "/api/items"))
    preflight = await send_asgi(port, _preflight(path, origin))
    assert preflight.status in (200, 204)
    assert preflight.header("access-control-allow-origin") in ([origin], ["*"])


async def test_a_blueprint_port_leaves_its_404_and_405_without_headers() -> None:
    # The reason the blueprint section decorates each view instead of mounting a sub-app with a
    # middleware: Flask-CORS's blueprint hook never sees these requests.
    flask_source, port_source = sections()["`CORS(blueprint)`"]
    original = run_module(flask_source, "docs_migration_flask_blueprint_check")
    port = run_module(port_source, "docs_migration_port_blueprint_check")
    for name in ("GET /api/missing from https://front.example", "PUT /api/items (405 on a GET/POST route)"):
        expected = send_flask(original, REQUESTS[name])
        seen = await send_asgi(port, REQUESTS[name])
        assert (expected.status, expected.cors) == (seen.status, ())
        assert seen.status in (404, 405)

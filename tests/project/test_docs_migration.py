"""docs/migration.md, run as written: each section is a pair of fenced Python blocks, the Flask
original and its port, each a module defining `app`. Both get the same requests; the status and
every Access-Control-* line must be equal."""

from __future__ import annotations

import re
import sys
import types
from typing import Any

import pytest

from testing_support import ROOT, Req, send_asgi, send_flask

PAGE = ROOT / "docs" / "migration.md"
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
    for origin in (FRONT, OTHER):
        with_key = {"Origin": origin, "X-Api-Key": "secret"}
        requests[f"GET /api/items with a key from {origin}"] = Req("GET", "/api/items", with_key)
        requests[f"POST /api/items with a key from {origin}"] = Req("POST", "/api/items", with_key)
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


async def test_the_blueprint_404s_and_405s_carry_no_cors_headers() -> None:
    # Flask-CORS's blueprint hook never sees these requests (no blueprint rule matched), and
    # cors_blueprint decorates the blueprint's routes, not its prefix.
    flask_source, port_source = sections()["`CORS(blueprint)`"]
    original = run_module(flask_source, "docs_migration_flask_blueprint_check")
    port = run_module(port_source, "docs_migration_port_blueprint_check")
    statuses = set()
    for name, request in REQUESTS.items():
        if not request.path.startswith("/api/"):
            continue
        expected = send_flask(original, request)
        if expected.status not in (404, 405):
            continue
        seen = await send_asgi(port, request)
        assert (seen.status, seen.cors, expected.cors) == (expected.status, (), ()), name
        statuses.add(expected.status)
    assert statuses == {404, 405}


@pytest.mark.parametrize(
    ("shape", "path"),
    [("`app.config`", "/api/partner"), ("`@cross_origin()` without arguments", "/api/items")],
)
async def test_cross_origin_without_arguments_takes_the_app_config(shape: str, path: str) -> None:
    # Without the config, the decorator would allow every origin: the config's origin is let in,
    # another is not, by the Flask original and its port alike.
    flask_source, port_source = sections()[shape]
    assert "@cross_origin()\n" in flask_source
    assert "@cross_origin()\n" in port_source
    original = run_module(flask_source, f"docs_migration_flask_{_slug(shape)}_config_check")
    port = run_module(port_source, f"docs_migration_port_{_slug(shape)}_config_check")
    for request, allowed in [
        (Req("GET", path, {"Origin": FRONT}), [FRONT]),
        (_preflight(path, FRONT), [FRONT]),
        (Req("GET", path, {"Origin": OTHER}), []),
        (_preflight(path, OTHER), []),
    ]:
        expected = send_flask(original, request)
        seen = await send_asgi(port, request)
        acao = "access-control-allow-origin"
        assert expected.header(acao) == seen.header(acao) == allowed, (request, expected, seen)


async def test_difference_a_before_request_hook_that_rejects_preflights() -> None:
    # Flask runs before_request for its automatic OPTIONS answer; the port's CORSMiddleware answers
    # that preflight before a middleware inside it, so the rejection is Flask's alone.
    flask_source, port_source = sections()["Request hooks"]
    rejecting_flask = flask_source.replace('request.method != "OPTIONS" and ', "")
    rejecting_port = port_source.replace(' or scope["method"] == "OPTIONS"', "")
    assert rejecting_flask != flask_source
    assert rejecting_port != port_source
    original = run_module(rejecting_flask, "docs_migration_flask_rejecting_hook")
    port = run_module(rejecting_port, "docs_migration_port_rejecting_hook")
    request = _preflight("/api/items", FRONT)
    expected = send_flask(original, request)
    seen = await send_asgi(port, request)
    # Flask's 403 (which the after_request hook leaves alone), the port's preflight answer (turned
    # into 204 by the hook outside); both with the CORS headers.
    assert (expected.status, seen.status) == (403, 204)
    acao = "access-control-allow-origin"
    assert expected.header(acao) == seen.header(acao) == [FRONT]


def test_the_links_into_the_reference_land_on_its_sections() -> None:
    reference = PAGE.with_name("engine-shapes.md").read_text()
    anchors = {heading_id(title) for title in re.findall(r"^#+ (.+)$", reference, flags=re.MULTILINE)}
    links = re.findall(r"\(engine-shapes\.md#([^)]+)\)", PAGE.read_text())
    assert links
    assert set(links) <= anchors


def heading_id(title: str) -> str:
    """The id MkDocs (Python-Markdown's toc) gives a heading: code marks dropped, then only word
    characters, spaces and hyphens kept, lower-cased, spaces made hyphens."""
    text = re.sub(r"[^\w\s-]", "", title.replace("`", "")).strip().lower()
    return re.sub(r"[-\s]+", "-", text)

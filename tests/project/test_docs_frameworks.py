"""docs/frameworks.md, run as written: each framework's example is the port of the page's Flask app,
and answers as Flask + Flask-CORS 6.0.5 does (status and every Access-Control-* line), except for the
framework answers the page documents."""

from __future__ import annotations

import re
import sys
import types

import flask
import pytest
from litestar import Litestar
from litestar.middleware import DefineMiddleware

from flask_cors_asgi import CORSMiddleware
from testing_support import ROOT, Observed, Req, send_asgi, send_flask

PAGE = ROOT / "docs" / "frameworks.md"
FRONT = "https://front.example"
OTHER = "https://other.example"

FRAMEWORKS = [
    "Starlette",
    "FastAPI",
    "Quart",
    "Litestar",
    "Django (ASGI)",
    "Falcon (ASGI)",
    "A bare ASGI app",
]


def _preflight(origin: str) -> Req:
    headers = {"Origin": origin, "Access-Control-Request-Method": "POST"}
    return Req("OPTIONS", "/items", {**headers, "Access-Control-Request-Headers": "content-type"})


REQUESTS = {
    "GET, allowed origin": Req("GET", "/items", {"Origin": FRONT}),
    "GET, other origin": Req("GET", "/items", {"Origin": OTHER}),
    "POST, allowed origin": Req("POST", "/items", {"Origin": FRONT}),
    "preflight, allowed origin": _preflight(FRONT),
    "preflight, other origin": _preflight(OTHER),
    "404": Req("GET", "/missing", {"Origin": FRONT}),
    "preflight to a 404": Req("OPTIONS", "/missing", _preflight(FRONT).headers),
    "405": Req("PUT", "/items", {"Origin": FRONT}),
}

# The framework answers the page documents: (framework, request) -> the port's status.
DOCUMENTED_STATUS = {
    ("Litestar", "preflight, allowed origin"): 204,
    ("Litestar", "preflight, other origin"): 204,
}


def _sections() -> dict[str, str]:
    """The page's text before its first section (key ""), and each "## " section by title."""
    parts = re.split(r"^## (.+)$", PAGE.read_text(), flags=re.MULTILINE)
    return {"": parts[0], **dict(zip(parts[1::2], parts[2::2], strict=True))}


def _python_blocks(text: str) -> list[str]:
    return re.findall(r"```python\n(.*?)```", text, re.DOTALL)


def run_module(source: str, name: str) -> types.ModuleType:
    """Run an example as a module of its own (Django imports its ROOT_URLCONF by name)."""
    module = types.ModuleType(name)
    sys.modules[name] = module
    exec(compile(source, str(PAGE), "exec"), module.__dict__)
    return module


def _slug(title: str) -> str:
    return "docs_frameworks_" + re.sub(r"\W+", "_", title.lower()).strip("_")


def flask_reference() -> flask.Flask:
    [source] = _python_blocks(_sections()[""])
    app: flask.Flask = run_module(source, "docs_frameworks_flask").app
    return app


def _lines(observed: Observed) -> tuple[int, tuple[tuple[str, str], ...]]:
    return observed.status, observed.cors


def test_the_page_has_one_example_per_framework() -> None:
    sections = _sections()
    assert [title for title in sections if title] == FRAMEWORKS
    assert all(len(_python_blocks(sections[title])) == 1 for title in FRAMEWORKS)


@pytest.mark.parametrize("framework", FRAMEWORKS)
async def test_each_example_answers_as_flask_cors(framework: str) -> None:
    [source] = _python_blocks(_sections()[framework])
    port = run_module(source, _slug(framework)).app
    reference = flask_reference()
    problems = []
    for name, request in REQUESTS.items():
        expected = send_flask(reference, request)
        seen = await send_asgi(port, request)
        status = DOCUMENTED_STATUS.get((framework, name), expected.status)
        if (seen.status, seen.cors) != (status, expected.cors):
            problems.append(f"{name}: flask {_lines(expected)}, {framework} {_lines(seen)}")
    assert not problems, "\n".join(problems)


async def test_every_example_allows_the_front_end_on_get_and_preflight() -> None:
    # Not only "equal to Flask": the answers a browser needs are there.
    for framework in FRAMEWORKS:
        [source] = _python_blocks(_sections()[framework])
        port = run_module(source, _slug(framework)).app
        for request in (REQUESTS["GET, allowed origin"], REQUESTS["preflight, allowed origin"]):
            seen = await send_asgi(port, request)
            assert seen.status in (200, 204), framework
            assert seen.header("access-control-allow-origin") == [FRONT], framework
        assert (await send_asgi(port, REQUESTS["404"])).header("access-control-allow-origin") == [FRONT]


async def test_inside_litestar_middleware_404_and_405_come_without_cors_headers() -> None:
    # The page's reason to wrap the whole Litestar app: its router refuses these before the app's
    # middleware runs, where Flask-CORS adds its headers to them.
    [source] = _python_blocks(_sections()["Litestar"])
    module = run_module(source, "docs_frameworks_litestar_inside")
    routes = [module.list_items, module.create_item]
    inside = Litestar(route_handlers=routes, middleware=[DefineMiddleware(CORSMiddleware, origins=[FRONT])])
    reference = flask_reference()
    for name in ("404", "405"):
        assert send_flask(reference, REQUESTS[name]).header("access-control-allow-origin") == [FRONT]
        assert (await send_asgi(inside, REQUESTS[name])).header("access-control-allow-origin") == []
    ok = await send_asgi(inside, REQUESTS["GET, allowed origin"])
    assert ok.header("access-control-allow-origin") == [FRONT]


async def test_falcon_errors_add_their_own_vary_token() -> None:
    [source] = _python_blocks(_sections()["Falcon (ASGI)"])
    port = run_module(source, _slug("Falcon (ASGI)")).app
    seen = await send_asgi(port, REQUESTS["404"])
    assert seen.vary == {"accept"}
    assert send_flask(flask_reference(), REQUESTS["404"]).vary == frozenset()


async def test_a_django_function_view_limited_to_its_methods_fails_preflights() -> None:
    # The page's warning about @require_http_methods: Django answers the preflight 405.
    from django.http import HttpRequest, JsonResponse
    from django.urls import clear_url_caches, path
    from django.views.decorators.http import require_http_methods

    [source] = _python_blocks(_sections()["Django (ASGI)"])
    module = run_module(source, _slug("Django (ASGI)"))

    @require_http_methods(["GET", "POST"])
    def items(request: HttpRequest) -> JsonResponse:
        return JsonResponse({"items": []})

    original = module.urlpatterns[:]
    module.urlpatterns[:] = [path("items", items)]
    clear_url_caches()
    try:
        seen = await send_asgi(module.app, REQUESTS["preflight, allowed origin"])
    finally:
        module.urlpatterns[:] = original
        clear_url_caches()
    assert seen.status == 405

"""The same route is matched across frameworks by its pattern, not by the sample values filled in:
Flask's /alert/<id> and Starlette's /alert/{id} are one route, probed with one sample value."""

from __future__ import annotations

import json

import pytest

from cors_conformance.cli import main
from cors_conformance.discover import paths
from cors_conformance.targets import Target

FLASK = "wsgi:testing_support.cors_corpus:routes_flask"
PORT = "asgi:testing_support.cors_corpus:routes_port"


def test_twin_routes_have_one_pattern_and_one_sample() -> None:
    flask_side = {p.route: p.path for p in paths(Target(FLASK))}
    port_side = {p.route: p.path for p in paths(Target(PORT))}
    shared = {"/alert/{}", "/orders/{}/lines/{}", "/files/{}"}
    assert shared <= flask_side.keys() & port_side.keys()
    assert all(flask_side[route] == port_side[route] for route in shared)


def test_a_diff_reports_only_the_routes_of_one_side(capsys: pytest.CaptureFixture[str]) -> None:
    status = main(["diff", FLASK, PORT, "--json", "--fail-on-difference", "app-visible"])
    document = json.loads(capsys.readouterr().out)
    routes = {(d["path"], d["details"][0]) for d in document["differences"] if d["origin"] is None}
    assert routes == {
        ("/only-flask/1", "route exists only in A"),
        ("/only-starlette/1", "route exists only in B"),
    }
    probed = document["coverage"]["paths"]["items"]
    # Each shared route probed once, with the same concrete path on both sides.
    assert [p for p in probed if p.startswith("/alert/")] == ["/alert/1"]
    assert status == 1  # the one-sided routes are app-visible differences


def test_equal_apps_pass_strict_without_route_differences(capsys: pytest.CaptureFixture[str]) -> None:
    flask_app, port = (
        "wsgi:testing_support.cors_corpus:regex_groups_flask",
        "asgi:testing_support.cors_corpus:regex_groups_port",
    )
    status = main(["diff", flask_app, port, "--strict", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert document["differences"] == []
    assert document["coverage"]["paths"]["items"] == ["/alert/1"]
    assert status == 0

"""The toolkit speaks for both browsers: explain --browser, both verdicts in diff and probe, and Local
Network Access for live targets on loopback or private addresses (against the differential's case
server on 127.0.0.1, whose answers each test sets)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from cors_conformance.browser import Verdict
from cors_conformance.cli import main
from cors_conformance.diff import compare
from cors_conformance.matrix import CASES, Probe
from cors_conformance.observe import Observation
from cors_conformance.report import policy_rows
from cors_conformance.targets import Response
from testing_support.browser_differential import Answer, Case, CaseServer

SERVICE = "asgi-factory:service.app:create_app"
PAGE = "http://localhost:3000"


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    status = main(list(argv))
    out = capsys.readouterr().out
    # explain exits 1 when the browser blocks the request, probe 0 below the default gate.
    blocked = argv[0] == "explain" and "browser verdict: blocked" in out
    assert status == (1 if blocked else 0)
    return out


@pytest.mark.parametrize(
    ("browser", "expected"),
    [
        ("chromium", "no preflight (a simple request)"),  # Chromium safelists the client hint DPR
        ("firefox", "blocked: DPR is not in Access-Control-Allow-Headers"),
    ],
)
def test_explain_takes_the_browser(capsys: pytest.CaptureFixture[str], browser: str, expected: str) -> None:
    out = run(capsys, "explain", SERVICE, "--path", "/api/foo", "--origin", PAGE, "--method", "GET",
              "--header", "DPR: 2", "--browser", browser)  # fmt: skip
    assert f"GET ({browser})" in out
    assert expected in out


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[CaseServer, str]]:
    server = CaseServer()
    with server.serving(0) as (port,):
        yield server, f"http://127.0.0.1:{port}"


def readable_by(origin: str) -> Case:
    return Case(response=Answer(200, (("Access-Control-Allow-Origin", origin),)))


NEEDS_PERMISSION = (
    "browser verdict: blocked: a public page cannot reach a loopback address without the user's "
    "'loopback-network' permission (Local Network Access); no response header grants it; "
    "once granted: allowed"
)


@pytest.mark.parametrize(
    ("origin", "flags", "verdict"),
    [
        ("https://app.example", [], NEEDS_PERMISSION),
        ("https://app.example", ["--local-network-permission"], "browser verdict: allowed"),
        ("http://localhost:3000", [], "browser verdict: allowed"),  # loopback to loopback
        (
            "http://app.example",
            ["--local-network-permission"],
            "browser verdict: blocked: a public page cannot reach a loopback address unless it is a secure "
            "context (Local Network Access)",
        ),
        (
            "http://app.example",
            ["--local-network-permission", "--browser", "firefox"],
            "browser verdict: allowed",
        ),
    ],
)
def test_explain_applies_local_network_access_to_a_live_target(
    capsys: pytest.CaptureFixture[str],
    live: tuple[CaseServer, str],
    origin: str,
    flags: list[str],
    verdict: str,
) -> None:
    server, url = live
    path = f"/case/{server.add(readable_by(origin))}"
    out = run(capsys, "explain", url, "--path", path, "--origin", origin, "--method", "GET", *flags)
    assert out.rstrip().endswith(verdict)
    assert "Access-Control-Request-Private-Network" not in out


def test_probe_notes_local_network_access_for_a_loopback_target(
    capsys: pytest.CaptureFixture[str], live: tuple[CaseServer, str]
) -> None:
    server, url = live
    path = f"/case/{server.add(readable_by('*'))}"
    out = run(capsys, "probe", url, "--path", path)
    assert "private network" not in out
    assert out.rstrip().endswith(
        "Local Network Access: a public page cannot reach a loopback address without the user's "
        "'loopback-network' permission (Local Network Access); no response header grants it. The verdicts "
        "above are what a page on a public origin sees once the user has granted it."
    )


def observation(chromium: bool, firefox: bool) -> Observation:
    verdicts = {
        name: Verdict(
            allowed, "response", "allowed" if allowed else "blocked: no Access-Control-Allow-Origin header"
        )
        for name, allowed in (("chromium", chromium), ("firefox", firefox))
    }
    response = Response(200, ())
    return Observation(Probe("/", CASES[0], PAGE), None, response, verdicts["chromium"], verdicts)


@pytest.mark.parametrize(
    ("a", "b", "browsers"),
    [
        ((True, True), (False, False), ("chromium", "firefox")),
        ((True, False), (True, True), ("firefox",)),
        ((True, False), (True, False), None),
    ],
)
def test_a_browser_difference_names_the_browsers_it_affects(
    a: tuple[bool, bool], b: tuple[bool, bool], browsers: tuple[str, ...] | None
) -> None:
    difference = compare(observation(*a), observation(*b))
    if browsers is None:
        assert difference is None
        return
    assert difference is not None
    assert (difference.kind, difference.browsers) == ("browser", browsers)
    assert difference.details[0].startswith(f"verdict ({', '.join(browsers)}): ")


@pytest.mark.parametrize(
    ("chromium", "firefox", "cell"),
    [
        (True, True, "yes"),
        (False, False, "no"),
        (True, False, "chromium only"),
        (False, True, "firefox only"),
    ],
)
def test_probe_cells_show_where_the_browsers_disagree(chromium: bool, firefox: bool, cell: str) -> None:
    (row,) = policy_rows([observation(chromium, firefox)])
    assert row[2] == cell  # "simple requests", from the GET case


def test_an_observation_without_verdicts_per_browser_has_the_first_browser_s() -> None:
    verdict = Verdict(True, "response", "allowed")
    assert Observation(Probe("/", CASES[0], PAGE), None, Response(200, ()), verdict).verdicts == {
        "chromium": verdict
    }

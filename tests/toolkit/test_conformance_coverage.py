"""Nothing untested: every configured origin pattern contributes origins it admits (regexes with
groups, alternations, optional parts, classes), every neighbour is an origin an attacker can
register, and the report says what was probed; a run that tested no allowed origin says so and
fails under --require-allowed-origin."""

from __future__ import annotations

import json
import re
import warnings
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cors_conformance.cli import main
from cors_conformance.origins import admitted, candidates, meant, neighbours, sendable
from cors_conformance.regex_samples import samples
from testing_support.cors_corpus import LOCALHOST_ANY_PORT

FLASK = "wsgi:testing_support.cors_corpus:regex_groups_flask"
PORT = "asgi:testing_support.cors_corpus:regex_groups_port"


def run_json(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, dict[str, Any]]:
    status = main([*argv, "--json"])
    out, err = capsys.readouterr()
    assert err == ""
    return status, json.loads(out)


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        # An optional group: with and without it.
        (LOCALHOST_ANY_PORT, {"http://localhost", "http://localhost:1"}),
        # An optional letter and an alternation: every branch.
        (
            r"^https?://(app|admin)\.shop\.example$",
            {
                "http://app.shop.example",
                "http://admin.shop.example",
                "https://app.shop.example",
                "https://admin.shop.example",
            },
        ),
        # A class with a repeat, an unanchored end (Flask-CORS matches from the start only).
        (r"https://[a-z0-9-]+\.shop\.example", {"https://a.shop.example"}),
        (r"^https://(www\.)?shop\.example$", {"https://shop.example", "https://www.shop.example"}),
        # Alternation at the top, each anchored.
        (r"^https://a\.example$|^https://b\.example$", {"https://a.example", "https://b.example"}),
        (r"http://127\.0\.0\.1:\d{4}", {"http://127.0.0.1:1111"}),
        (r"(?i)^HTTPS://SHOP\.EXAMPLE$", {"https://shop.example"}),
        (r"(a)\1", set()),  # a back-reference: nothing to build
        (r"^https://.*$", {"https://a"}),
        # ".*" stands for a scheme too: what tutorials write gives origins to probe.
        (r".*\.shop\.example", {"https://a.shop.example"}),
        (r".*shop\.example", {"https://shop.example", "https://ashop.example"}),
    ],
)
def test_regex_samples_cover_every_branch(pattern: str, expected: set[str]) -> None:
    found = samples(pattern, keep=sendable)
    assert set(found) == expected
    # Each is proof: the regex admits it as Flask-CORS matches origins.
    assert all(re.match(pattern, origin, re.IGNORECASE) for origin in found)


def test_samples_are_bounded() -> None:
    assert len(samples(r"^https://(a|b|c|d|e|f|g|h|i|j)(k|l|m|n|o|p)?\.example(:\d+)?$")) <= 8


@pytest.mark.parametrize(
    ("trusted", "cls", "neighbour"),
    [
        ("https://www.trusted.example", "reverse-substring", "https://rusted.example"),
        ("https://www.trusted.example", "suffix", "https://eviltrusted.example"),
        ("https://www.trusted.example", "unescaped-dot", "https://wwwxtrusted.example"),
        ("https://shop.example", "reverse-substring", "https://hop.example"),
        ("http://localhost:3000", "prefix", "http://localhost.attacker.example"),
        ("https://shop.example", "http-origin", "http://shop.example"),
    ],
)
def test_neighbours_are_origins_an_attacker_can_register(trusted: str, cls: str, neighbour: str) -> None:
    found = neighbours(trusted)
    assert neighbour in [c.origin for c in found if c.cls == cls]


def test_no_neighbour_but_any_subdomain_lies_under_the_victims_domain() -> None:
    # The issue saw https://ww.trusted.example tried: a host of the victim, proving nothing.
    found = neighbours("https://www.trusted.example")
    # (The http twin is the victim's host too, but a network attacker's to answer for.)
    deliberate = ("any-subdomain", "http-origin")
    own = [c for c in found if c.origin.endswith(".trusted.example") and c.cls not in deliberate]
    assert own == []


def test_a_regex_with_groups_is_probed_with_origins_it_admits(capsys: pytest.CaptureFixture[str]) -> None:
    status, document = run_json(capsys, "probe", FLASK)
    coverage = document["coverage"]
    (pattern,) = coverage["configured_patterns"]
    assert pattern["pattern"] == LOCALHOST_ANY_PORT
    assert pattern["exercised"] is True
    assert set(pattern["allowed"]) == {"http://localhost", "http://localhost:1"}
    # The credentialed read from an admitted origin was tried and allowed.
    credentialed = [
        o for o in document["observations"]
        if o["origin"] == "http://localhost:1" and o["case"] == "GET, credentials"
    ]  # fmt: skip
    assert credentialed
    assert all(o["allowed"] for o in credentialed)
    assert coverage["tested_allowed_origin"] is True
    assert status == 0


def test_the_diff_of_a_regex_app_and_its_port_tests_allowed_origins(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, document = run_json(capsys, "diff", FLASK, PORT, "--require-allowed-origin")
    coverage = document["coverage"]
    assert {"http://localhost", "http://localhost:1"} <= set(coverage["allowed_origins"]["items"])
    assert document["counts"]["browser"] == 0
    assert status == 0


def test_the_report_counts_what_was_probed(capsys: pytest.CaptureFixture[str]) -> None:
    _, document = run_json(
        capsys, "probe", "asgi:testing_support.misconfigured:suffix", "--origin", "https://shop.example"
    )
    coverage = document["coverage"]
    assert document["schema_version"] == 1
    assert coverage["paths"] == {"count": 1, "items": ["/api/data"]}
    observed = document["observations"]
    assert coverage["probes"] == len(observed)
    assert coverage["origins"]["count"] == len({o["origin"] for o in observed})
    assert coverage["origins"]["by_class"]["trusted"] == 1
    assert coverage["origins"]["items"] == list(dict.fromkeys(o["origin"] for o in observed))
    assert sum(coverage["cases"]["by_name"].values()) == len(observed)
    assert coverage["cases"]["by_name"]["GET, credentials"] == coverage["origins"]["count"]  # every origin
    # Each probe sends its actual request, and its preflight when a browser sends one.
    assert coverage["requests"] >= len(observed) + sum(o["preflight"] is not None for o in observed)


@pytest.mark.parametrize("command", ["probe", "diff"])
def test_a_run_that_tested_no_allowed_origin_says_so(
    capsys: pytest.CaptureFixture[str], command: str
) -> None:
    target = "asgi:testing_support.cors_corpus:no_cors"
    argv = [command, target] if command == "probe" else [command, target, target]
    status, document = run_json(capsys, *argv)
    assert document["coverage"]["tested_allowed_origin"] is False
    assert "no allowed origin was tested" in document["summary"]
    assert status == 0
    status, _ = run_json(capsys, *argv, "--require-allowed-origin")
    assert status == 1
    main(argv)
    assert "WARNING: no origin was allowed anywhere" in capsys.readouterr().out


def test_a_hand_written_localhost_prefix_check_is_caught(capsys: pytest.CaptureFixture[str]) -> None:
    # Found allowed (http://localhost, tried for every target), it contributes its neighbours.
    status, document = run_json(capsys, "probe", "asgi:testing_support.misconfigured:localhost_prefix")
    found = {(f["id"], f["origin"]) for f in document["findings"]}
    assert ("C03", "http://localhost.attacker.example") in found
    assert status == 1


ORIGIN_REGEX_CHARACTERS = "ahtps:/.*+?()[]{}|^$\\-0-9wdbxe"


def _compiles(text: str) -> bool:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", FutureWarning)
            re.compile(text)
    except re.error:
        return False
    return True


@settings(max_examples=300, deadline=None)
@given(
    st.text(alphabet=ORIGIN_REGEX_CHARACTERS, max_size=24)
    .map(lambda tail: "https://" + tail)
    .filter(_compiles)
)
def test_samples_of_any_regex_are_admitted_sendable_origins(pattern: str) -> None:
    # Never an exception or a warning (warnings are errors here), and every sample is proof.
    for origin in samples(pattern, keep=sendable):
        assert re.match(pattern, origin, re.IGNORECASE)
        assert sendable(origin)


def test_a_pattern_re_warns_about_gives_no_warning() -> None:
    # "[[" is a possible nested set to re (a FutureWarning); "[" cannot be in a host anyway.
    assert samples(r"^https://[[a]\.example$", keep=sendable) == ["https://a.example"]


def test_a_configured_regex_contributes_only_what_it_was_meant_to_admit() -> None:
    # https://ashop.example matches ".*shop\.example" too: an attacker's name, probed as a neighbour
    # (and found allowed, a finding), never trusted.
    assert admitted(r".*shop\.example") == ["https://shop.example"]
    sloppy = r".*shop\.example"
    assert "https://evilshop.example" in [c.origin for c in candidates(admitted(sloppy), meant([sloppy]))]

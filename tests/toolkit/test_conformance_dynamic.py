"""The toolkit on apps whose origins a function decides at request time: `explain` says when the
function decided, `probe` and `diff` say the policy was sampled, not read."""

from __future__ import annotations

import json

import pytest

from cors_conformance.cli import main
from tests.toolkit.dynamic_origins_app import LISTED, TENANT

DYNAMIC = "asgi:tests.toolkit.dynamic_origins_app:app"
STATIC = "asgi:tests.toolkit.dynamic_origins_app:static_app"


EXPLAIN = ("explain", DYNAMIC, "--method", "GET", "--path", "/api/data")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str]:
    status = main(list(argv))
    return status, capsys.readouterr().out


def test_explain_says_the_function_decided(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(
        capsys, "explain", DYNAMIC, "--origin", TENANT, "--method", "GET", "--path", "/api/data"
    )
    assert status == 0
    assert "decided at request time by dynamic_origins(registered_tenant, cache_size=1024, ttl=5" in out


def test_explain_is_silent_where_a_listed_origin_decided(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(
        capsys, "explain", DYNAMIC, "--origin", LISTED, "--method", "GET", "--path", "/api/data"
    )
    assert status == 0
    assert "request time" not in out


def test_explain_json_names_the_function_for_a_refusal_too(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = run(capsys, *EXPLAIN, "--origin", "https://evil.example", "--json")
    assert status == 1
    assert json.loads(out)["decided_by"].startswith("dynamic_origins(registered_tenant,")


def test_probe_says_the_policy_was_sampled(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "probe", DYNAMIC, "--path", "/api/data", "--origin", TENANT)
    assert f"{DYNAMIC} decides origins at request time (dynamic_origins(registered_tenant" in out
    assert "sampled with the origins above, not read" in out
    _, out = run(capsys, "probe", DYNAMIC, "--path", "/api/data", "--origin", TENANT, "--json")
    assert "not read" in json.loads(out)["sampled"]


def test_probe_of_a_static_policy_reads_it(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "probe", STATIC, "--path", "/api/data", "--json")
    assert json.loads(out)["sampled"] is None


def test_diff_says_which_side_was_sampled(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = run(capsys, "diff", STATIC, DYNAMIC, "--path", "/api/data", "--origin", TENANT)
    assert f"{DYNAMIC} decides origins at request time" in out
    assert f"{STATIC} decides" not in out

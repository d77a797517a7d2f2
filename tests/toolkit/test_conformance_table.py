"""The probe table's cells mean exactly what they say: "yes" is a readable 2xx answer; an answer a
page may read that is an error says so; a request that was not made says "not tried"."""

from __future__ import annotations

import json

import pytest

from cors_conformance.cli import main

# A route serving only GET: from https://shop.example the POST's 405 is readable and the GET's 200
# blocked (the issue saw the table claim "yes" from such a 405 alone).
TARGET = "asgi:testing_support.cors_corpus:get_blocked_post_readable"


def policy(capsys: pytest.CaptureFixture[str], *argv: str) -> dict[str, dict[str, str]]:
    main(["probe", TARGET, "--json", "--every-origin", *argv])
    document = json.loads(capsys.readouterr().out)
    return {row["origin"]: row for row in document["policy"]}


def test_a_readable_error_answer_is_not_a_yes(capsys: pytest.CaptureFixture[str]) -> None:
    row = policy(capsys, "--origin", "https://shop.example")["https://shop.example"]
    assert row["simple"] == "readable 405"


def test_a_readable_2xx_answer_is_a_yes(capsys: pytest.CaptureFixture[str]) -> None:
    row = policy(capsys, "--origin", "https://reader.example")["https://reader.example"]
    assert row["simple"] == "yes"


def test_requests_not_made_say_not_tried(capsys: pytest.CaptureFixture[str]) -> None:
    # Adversarial origins get only the attack cases: no method or header requests from them.
    row = policy(capsys, "--origin", "https://shop.example")["https://shop.example.attacker.example"]
    assert row["other methods"] == "not tried"
    assert row["request headers"] == "not tried"
    assert "-" not in row.values()


def test_the_text_table_explains_its_cells(capsys: pytest.CaptureFixture[str]) -> None:
    main(["probe", TARGET, "--origin", "https://shop.example"])
    out = capsys.readouterr().out
    assert "not tried: no such request was made from this origin" in " ".join(out.split())

"""The engine's audit of an option set: ids and where each problem was written, never wording."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

import pytest

from flask_cors_asgi import CHECKS, CORSMiddleware, audit

EXACT = "https://app.example.com"


def found(**options: Any) -> set[tuple[str, str]]:
    return {(p.id, p.where) for p in audit(**options)}


AUDIT = [
    # Sound configurations: nothing to say.
    pytest.param({"origins": [EXACT], "supports_credentials": True}, set(), id="exact https + credentials"),
    pytest.param({"origins": [r"^https://[a-z0-9-]+\.example\.com$"]}, set(), id="anchored escaped regex"),
    pytest.param({"origins": "*"}, {("E005", "origins")}, id="explicit wildcard"),
    pytest.param({}, set(), id="Flask-CORS's defaults: public, no credentials"),
    pytest.param({"origins": ["http://localhost:3000", "http://127.0.0.1:8080"]}, set(), id="localhost http"),
    pytest.param({"origins": [r"^https://[a-z.]+\.example\.com$"]}, set(), id="dot in a character class"),
    pytest.param({"max_age": 600}, set(), id="max_age int"),
    pytest.param({"max_age": "600"}, set(), id="max_age text"),
    pytest.param({"max_age": timedelta(minutes=10)}, set(), id="max_age timedelta"),
    # Origins.
    pytest.param({"origins": ["app.example.com"]}, {("E002", "origins")}, id="no scheme"),
    pytest.param({"origins": [EXACT + "/"]}, {("E002", "origins")}, id="trailing slash"),
    pytest.param({"origins": ["https://*.example.com"]}, {("E002", "origins")}, id="glob"),
    pytest.param({"origins": ["^https://(a$"]}, {("E003", "origins")}, id="invalid regex"),
    pytest.param({"origins": [r"https://a\.example\.com"]}, {("E004", "origins")}, id="unanchored"),
    pytest.param(
        {"origins": [re.compile(r"https://a\.example\.com")]}, {("E004", "origins")}, id="compiled unanchored"
    ),
    pytest.param({"origins": ["null"]}, {("E006", "origins")}, id="null"),
    pytest.param({"origins": ["http://app.example.com"]}, {("E007", "origins")}, id="plain http"),
    pytest.param({"origins": ["^https://www.shop.example$"]}, {("E012", "origins")}, id="unescaped dot"),
    pytest.param(
        {"origins": "https://.*\\.shop\\.example", "supports_credentials": True},
        {("E004", "origins")},
        id="unanchored regex with credentials (no wildcard)",
    ),
    # Credentials with every origin: the default "*" too, stated once.
    pytest.param({"supports_credentials": True}, {("E008", "origins")}, id="default origins + credentials"),
    pytest.param(
        {"origins": "*", "supports_credentials": True},
        {("E005", "origins"), ("E008", "origins")},
        id="wildcard + credentials",
    ),
    # Resources: each problem where it was written; only origins that some resource uses.
    pytest.param(
        {"resources": {"/api/*": {"origins": [EXACT]}}, "supports_credentials": True},
        set(),
        id="every resource lists its origins (no E008 from the unused default)",
    ),
    pytest.param(
        {"resources": {"/api/*": {"origins": "*", "supports_credentials": True}}},
        {("E005", "resources['/api/*'].origins"), ("E008", "resources['/api/*'].supports_credentials")},
        id="resource wildcard + credentials",
    ),
    pytest.param(
        {"origins": "*", "resources": {"/api/*": {"origins": [EXACT]}}},
        set(),
        id="app-level wildcard no resource uses",
    ),
    pytest.param(
        {"origins": "*", "resources": {"/api/*": {"origins": [EXACT]}, "/public/*": {}}},
        {("E005", "origins")},
        id="app-level wildcard a resource uses",
    ),
    pytest.param(
        {"resources": {"/api/*": {"origins": ["null"]}, "/v2/*": {"origins": ["null"]}}},
        {("E006", "resources['/api/*'].origins"), ("E006", "resources['/v2/*'].origins")},
        id="each resource's own",
    ),
    pytest.param(
        {"origins": ["^https://(a$"], "resources": {"/api/*": {"origins": [EXACT]}}},
        {("E003", "origins")},
        id="an unused invalid regex still refuses",
    ),
    # max_age as Flask-CORS sends it: str(value).
    pytest.param({"max_age": "10.5"}, {("E009", "max_age")}, id="max_age fraction"),
    pytest.param({"max_age": -5}, {("E009", "max_age")}, id="max_age negative"),
    pytest.param({"max_age": "abc"}, {("E009", "max_age")}, id="max_age text"),
    pytest.param(
        {"resources": {"/a/*": {"max_age": 1.5}}}, {("E009", "resources['/a/*'].max_age")}, id="resource"
    ),
    # What the engine refuses is a problem, never an exception.
    pytest.param({"origin": [EXACT]}, {("E011", "origin")}, id="misspelled option"),
    pytest.param({"resources": 5}, {("E011", "resources")}, id="resources of the wrong type"),
    pytest.param({"supports_credentials": "false"}, {("E011", "supports_credentials")}, id="wrong type"),
    # App-level options every resource overrides are still validated, by Flask-CORS and the engine.
    pytest.param(
        {"origins": [""], "resources": {"/a/*": {"origins": [EXACT]}}},
        {("E011", "origins")},
        id="overridden app-level origins still refused",
    ),
    pytest.param(
        {"max_age": "1\n", "resources": {"/a/*": {"max_age": 600}}},
        {("E011", "max_age")},
        id="overridden app-level max_age still refused",
    ),
]


@pytest.mark.parametrize(("options", "expected"), AUDIT)
def test_audit(options: dict[str, Any], expected: set[tuple[str, str]]) -> None:
    assert found(**options) == expected


@pytest.mark.parametrize(("options", "expected"), AUDIT)
def test_the_engine_refuses_exactly_what_the_audit_calls_e003_or_e011(
    options: dict[str, Any], expected: set[tuple[str, str]]
) -> None:
    refused = any(problem_id in ("E003", "E011") for problem_id, _ in expected)
    try:
        CORSMiddleware(lambda scope, receive, send: None, **options)  # type: ignore[arg-type, return-value]
    except (TypeError, ValueError):
        assert refused
    else:
        assert not refused


def test_every_id_has_a_title_and_is_exercised() -> None:
    exercised = {problem_id for param in AUDIT for problem_id, _ in param.values[1]}  # type: ignore[union-attr]
    assert exercised == set(CHECKS)


def test_values_are_shown_as_written() -> None:
    (problem,) = audit(origins=[r"https://a\.example\.com"])
    assert r"'https://a\.example\.com'" in str(problem)


def test_control_characters_never_break_the_line() -> None:
    (problem,) = audit(origins=["https://a.example/\n\x1b[31mforged"])
    assert "\n" not in str(problem)
    assert "\x1b" not in str(problem)

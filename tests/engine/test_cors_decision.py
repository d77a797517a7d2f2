"""The pure decision functions, as plain data: compiled options and request fields in, headers out.
Expected values are what Flask-CORS 6.0.5 sends (the scenario and differential tests check
the same behaviour against the real Flask-CORS), not the code's output."""

from __future__ import annotations

import re
from typing import Any

import flask_cors.core as flask_cors_core
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from flask_cors_asgi.decision import (
    CORSRequest,
    allowed_request_headers,
    cors_headers,
    match_resource,
    origin_allowed,
)
from flask_cors_asgi.options import DEFAULTS, Policy, combined, compile_policy, compile_resources

A = "http://a.com"


def policy(**options: Any) -> Policy:
    return compile_policy({**DEFAULTS, **options})


@pytest.mark.parametrize(
    ("options", "origin", "allowed"),
    [
        ({"origins": [A]}, "HTTP://A.com", True),  # literals compare case-insensitively
        ({"origins": [A]}, "http://a.com:80", False),  # no default-port normalisation
        ({"origins": [A]}, "http://a.com/", False),
        ({"origins": [r"https://.*\.a\.com"]}, "https://x.a.com.evil.net", True),  # prefix match
        ({"origins": [r"https://.*\.a\.com$"]}, "https://x.a.com.evil.net", False),  # anchored by the user
        ({"origins": [re.compile(r"http://a\.com")]}, "HTTP://A.COM", False),  # compiled keeps its flags
        ({"origins": ["https://*.example.com"]}, "https://sub.example.com", False),  # not a glob
        ({"origins": "*"}, "null", True),
        ({"origins": []}, A, False),
    ],
)
def test_origin_allowed(options: dict[str, Any], origin: str, allowed: bool) -> None:
    assert origin_allowed(policy(**options), origin) is allowed


@pytest.mark.parametrize(
    ("allow_headers", "requested", "expected"),
    [
        ("*", "X-B, x-a,Content-Type", "Content-Type, X-B, x-a"),  # sorted case-sensitively
        ("*", "b, a,, a ,B", ", B, a, a, b"),  # empty and duplicate items kept
        (["Content-Type", r"X-Co-.*"], "x-co-abc, CONTENT-TYPE, X-Other, x-cox", "CONTENT-TYPE, x-co-abc"),
        ("X-A", "X-A-B, x-a", "x-a"),
        (r"X-A\b", "X-A-B", "X-A-B"),
        ("X-*", "XYZ, x-foo, Y", "XYZ, x-foo"),
        (["X-A"], "X-B", ""),
    ],
)
def test_allowed_request_headers(allow_headers: Any, requested: str, expected: str) -> None:
    assert allowed_request_headers(policy(allow_headers=allow_headers), requested) == expected


ACAO, ACAM, VARY = "Access-Control-Allow-Origin", "Access-Control-Allow-Methods", "Vary"
ALL7 = "DELETE, GET, HEAD, OPTIONS, PATCH, POST, PUT"


@pytest.mark.parametrize(
    ("options", "request_", "expected"),
    [
        ({}, CORSRequest("GET", origin=A), [(ACAO, A), (VARY, "Origin")]),
        ({}, CORSRequest("GET"), [(ACAO, "*")]),
        ({}, CORSRequest("GET", origin=""), [(ACAO, "*")]),
        ({"supports_credentials": True}, CORSRequest("GET"), []),
        ({"always_send": False}, CORSRequest("GET"), []),
        ({"origins": [A]}, CORSRequest("GET", origin="http://b.com"), []),
        ({"origins": ["http://b.com", A]}, CORSRequest("GET"), [(ACAO, A), (VARY, "Origin")]),
        ({"origins": [A]}, CORSRequest("GET"), [(ACAO, A)]),
        ({"send_wildcard": True}, CORSRequest("GET", origin=A), [(ACAO, "*")]),
        (
            {"expose_headers": ["X-Z", "X-A"], "max_age": 600, "supports_credentials": True},
            CORSRequest("OPTIONS", origin=A, request_method="put", request_private_network="true"),
            [
                (ACAO, A),
                ("Access-Control-Expose-Headers", "X-A, X-Z"),
                ("Access-Control-Allow-Credentials", "true"),
                ("Access-Control-Allow-Private-Network", "false"),
                ("Access-Control-Max-Age", "600"),
                (ACAM, ALL7),
                (VARY, "Origin"),
            ],
        ),
        (
            {"methods": ["post", "get"]},
            CORSRequest("OPTIONS", origin=A, request_method="T, P"),
            [(ACAO, A), (ACAM, "GET, POST"), (VARY, "Origin")],
        ),
        (
            {"methods": ["post", "get"]},
            CORSRequest("OPTIONS", origin=A, request_method="PUT"),
            [(ACAO, A), (VARY, "Origin")],
        ),
        ({"vary_header": False}, CORSRequest("GET", origin=A), [(ACAO, A)]),
        ({}, CORSRequest("GET", origin=A, request_private_network="True"), [(ACAO, A), (VARY, "Origin")]),
        ({}, CORSRequest("GET", origin=A, request_method="PUT"), [(ACAO, A), (VARY, "Origin")]),
    ],
)
def test_cors_headers(
    options: dict[str, Any], request_: CORSRequest, expected: list[tuple[str, str]]
) -> None:
    assert cors_headers(policy(**options), request_) == expected


def test_match_resource_uses_specificity_order_and_double_decoding() -> None:
    resources = compile_resources(
        {
            **DEFAULTS,
            "resources": {
                "/*": {},
                "/api/*": {},
                "/api/exact": {},
                "/api/v1/.*": {},
                re.compile("/a/b/c"): {},
                "/x": {},
            },
        },
        "test",
    )

    def source(pattern: str | re.Pattern[str]) -> str:
        return pattern if isinstance(pattern, str) else pattern.pattern

    assert [source(r.pattern) for r in resources] == [
        "/api/exact",
        "/x",
        "/a/b/c",
        "/api/v1/.*",
        "/api/*",
        "/*",
    ]

    def chosen(path: str) -> str | None:
        resource = match_resource(resources, path)
        return None if resource is None else source(resource.pattern)

    assert chosen("/api/exact") == "/api/exact"
    assert chosen("/%61pi/exact") == "/api/exact"  # the server decodes "%2561" to "%61"; unquoted again
    assert chosen("/api%2Fexact") == "/api/exact"
    assert chosen("/api/exact/") == "/api/*"  # a literal is exact; the regex takes the rest
    assert chosen("/API/x") == "/*"  # paths are case-sensitive
    assert match_resource(compile_resources({**DEFAULTS, "resources": ["/api"]}, "test"), "/x") is None


# Requested header lists of any length (many names take the set-based path), from a small alphabet
# so that duplicates, case variants, empty items and stray whitespace are common.
_NAME = st.text(alphabet="aAbB-xX \t\xa0\x1c", max_size=4)
_ALLOW = st.lists(st.sampled_from(["a", "B", "x-.*", "^a-?b$", "*", "[ab]+", "A-B"]), max_size=3)


@settings(max_examples=400, deadline=None)
@given(allow=_ALLOW, requested=st.lists(_NAME, min_size=1, max_size=60).map(",".join))
def test_allowed_request_headers_equals_flask_cors_for_any_list(allow: list[str], requested: str) -> None:
    options = {**DEFAULTS, "allow_headers": allow}
    expected = flask_cors_core.get_allow_headers(flask_cors_core.serialize_options(options), requested)
    # Flask-CORS answers None for an empty header (the decision never asks then): "" here.
    assert allowed_request_headers(compile_policy(options), requested) == (expected or "")


_PATTERNS = st.sampled_from(
    [
        r"^https://a\.com$",
        r"https://.*\.b\.com",
        "x-.*",
        r"(a)\1",
        "(?P<n>a)b",
        "c|d",
        "^$",
        "[ab]+",
        r"\d{2}",
    ]
)


@settings(max_examples=300, deadline=None)
@given(patterns=st.lists(_PATTERNS, max_size=4), text=st.text(alphabet="abcdx-.:/htps1 ", max_size=24))
def test_regexes_combined_match_what_each_matches(patterns: list[str], text: str) -> None:
    regexes = tuple(re.compile(p, re.IGNORECASE) for p in patterns)
    assert any(c.match(text) for c in combined(regexes)) == any(r.match(text) for r in regexes)

"""The browser model's last gaps, found by real-browser differentials on held-out random cases
(each is pinned against the real browser in tests/browsers/test_browser_differential.py): Firefox takes a
Range position of 2**63 - 1 as simple and a Content-Type with a non-ASCII byte as unsafe; without
the Local Network Access permission a browser sends nothing, not even a preflight."""

from __future__ import annotations

import pytest

from cors_conformance.browser import (
    BrowserRequest,
    is_safelisted_header,
    needs_preflight,
    sends_preflight,
)

INT64_MAX = 2**63 - 1


@pytest.mark.parametrize(
    ("value", "chromium", "firefox"),
    [
        (f"bytes={INT64_MAX}-", False, True),  # Chromium saturates there and refuses; Firefox takes it
        (f"bytes=0-{INT64_MAX}", False, True),
        (f"bytes={INT64_MAX - 1}-", True, True),
        (f"bytes={INT64_MAX + 1}-", False, False),  # past 64 bits: neither
    ],
)
def test_range_at_the_largest_position(value: str, chromium: bool, firefox: bool) -> None:
    assert is_safelisted_header("Range", value, browser="chromium") is chromium
    assert is_safelisted_header("Range", value, browser="firefox") is firefox


@pytest.mark.parametrize(
    ("value", "chromium", "firefox"),
    [
        ("text/plain;a=\u00e9", True, False),  # a byte above ASCII in a parameter
        ("text/plain;charset=utf-8", True, True),
        ("text/pl\u00e9in", False, False),  # not a safelisted type anyway
    ],
)
def test_content_type_with_a_non_ascii_byte(value: str, chromium: bool, firefox: bool) -> None:
    assert is_safelisted_header("Content-Type", value, browser="chromium") is chromium
    assert is_safelisted_header("Content-Type", value, browser="firefox") is firefox


@pytest.mark.parametrize("browser", ["chromium", "firefox"])
def test_no_preflight_leaves_without_the_local_network_permission(browser: str) -> None:
    put = BrowserRequest("https://public.example", "PUT", page_space="public", target_space="loopback")
    assert needs_preflight(put, browser=browser)  # type: ignore[arg-type]
    assert not sends_preflight(put, browser=browser)  # type: ignore[arg-type]
    granted = BrowserRequest(
        "https://public.example",
        "PUT",
        page_space="public",
        target_space="loopback",
        local_network_permission=True,
    )
    assert sends_preflight(granted, browser=browser)  # type: ignore[arg-type]

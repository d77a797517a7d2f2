"""The engine's documented examples as code: the fenced Python blocks of a page's section, and the
`app` a block defines. The docs tests check the examples' answers; the engine's nested-policies
tests compare the first one with its Flask original."""

from __future__ import annotations

import re
from typing import Any

from testing_support.servers import ROOT


def blocks(path: str, heading: str) -> list[str]:
    """The fenced Python blocks of `path` (relative to the repository) under `heading`, up to the
    next second-level heading."""
    text = (ROOT / path).read_text()
    section = text[text.index(heading) :]
    section = section[: section.index("\n## ", len(heading))]
    return re.findall(r"```python\n(.*?)```", section, re.DOTALL)


def examples() -> list[str]:
    """The engine reference's examples: Starlette, then FastAPI."""
    return blocks("docs/engine.md", "## Examples")


def app_of(source: str) -> Any:
    namespace: dict[str, Any] = {"__name__": "readme_example"}
    exec(compile(source, "example", "exec"), namespace)
    return namespace["app"]

"""What the real-browser tests do in a page, whichever browser drives it: evaluate a script, and
make fetch() calls from the page's origin."""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Sequence
from typing import Any

# fetch() every request at once; each outcome is {"outcome": "response", status, body} or
# {"outcome": "error", error} (the TypeError a CORS failure gives). `init.body` is a string, or
# {"kind": "params" | "blob", ...} for the bodies whose type fetch() derives a Content-Type from.
_FETCH_ALL = """(async (requests) => {
    const body = (b) => b === undefined || b === null || typeof b === "string" ? b
        : b.kind === "params" ? new URLSearchParams(b.value)
        : new Blob([b.value], b.type === null ? {} : {type: b.type});
    return Promise.all(requests.map(async ([url, init]) => {
        try {
            const response = await fetch(url, {...init, body: body(init.body)});
            return {outcome: "response", status: response.status, body: await response.text()};
        } catch (error) {
            return {outcome: "error", error: error.name + ": " + error.message};
        }
    }));
})"""


class Page(ABC):
    @abstractmethod
    def evaluate(self, expression: str) -> Any:
        """The value of a JavaScript expression (awaited when it is a promise), as JSON data."""

    def fetch_all(self, requests: Sequence[tuple[str, dict[str, Any]]]) -> list[dict[str, Any]]:
        """fetch(url, init) for every (url, init), concurrently, in one evaluation."""
        value = self.evaluate(f"{_FETCH_ALL}({json.dumps([list(r) for r in requests])})")
        assert isinstance(value, list)
        return value

    def fetch(self, url: str, init: dict[str, Any]) -> dict[str, Any]:
        (outcome,) = self.fetch_all([(url, init)])
        return outcome

"""Render observations and differences as a terminal table, JSON or Markdown."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from cors_conformance.diff import Difference
from cors_conformance.observe import Observation
from cors_conformance.targets import Response


def table(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    widths = [max(len(str(r[i])) for r in [head, *rows]) for i in range(len(head))]
    lines = [head, ["-" * w for w in widths], *rows]
    return "\n".join(
        "  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=True)).rstrip() for line in lines
    )


def markdown(head: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    def cells(row: Sequence[str]) -> str:
        return "| " + " | ".join(str(c).replace("|", "\\|") for c in row) + " |"

    return "\n".join([cells(head), "|" + "---|" * len(head), *(cells(r) for r in rows)])


HEADER_CASES = (("Authorization", "POST JSON + Authorization"), ("X-Custom", "POST JSON + X-Custom"))
METHOD_CASES = ("PUT", "DELETE", "PATCH", "patch (lower-case)")


def _mark(allowed: bool) -> str:
    return "yes" if allowed else "no"


def policy_rows(observations: Sequence[Observation]) -> list[list[str]]:
    """The effective policy, per path and origin: what a page on that origin can do."""
    grouped: dict[tuple[str, str], dict[str, Observation]] = {}
    for o in observations:
        grouped.setdefault((o.probe.path, o.probe.origin), {})[o.probe.case.name] = o
    rows = []
    for (path, origin), by_case in grouped.items():

        def ok(name: str, by_case: dict[str, Observation] = by_case) -> bool:
            return name in by_case and by_case[name].verdict.allowed

        rows.append(
            [
                path,
                origin,
                _mark(ok("GET") or ok("POST text/plain")),
                _mark(ok("POST JSON")),
                _mark(ok("GET, credentials") or ok("POST JSON, credentials")),
                ", ".join(m for m in METHOD_CASES if ok(m)) or "-",
                ", ".join(header for header, case in HEADER_CASES if ok(case)) or "-",
                _mark(ok("GET, private network")),
            ]
        )
    return rows


POLICY_HEAD = [
    "path",
    "origin",
    "simple requests",
    "JSON POST",
    "with credentials",
    "other methods",
    "request headers",
    "private network",
]


def observation_json(o: Observation) -> dict[str, Any]:
    def response(r: Response | None) -> Any:
        return None if r is None else {"status": r.status, "headers": [list(h) for h in r.headers]}

    return {
        "path": o.probe.path,
        "origin": o.probe.origin,
        "case": o.probe.case.name,
        "allowed": o.verdict.allowed,
        "stage": o.verdict.stage,
        "reason": o.verdict.reason,
        "preflight": response(o.preflight),
        "response": response(o.response),
    }


DIFF_HEAD = ["kind", "path", "origin", "request", "difference"]


def diff_rows(differences: Sequence[Difference]) -> list[list[str]]:
    return [
        [d.kind, d.a.probe.path, d.a.probe.origin, d.a.probe.case.name, "; ".join(d.details)]
        for d in differences
    ]


def diff_json(differences: Sequence[Difference], a: str, b: str) -> dict[str, Any]:
    counts = {kind: sum(d.kind == kind for d in differences) for kind in ("browser", "cache", "cosmetic")}
    return {
        "a": a,
        "b": b,
        "counts": counts,
        "differences": [
            {
                "kind": d.kind,
                "details": list(d.details),
                "a": observation_json(d.a),
                "b": observation_json(d.b),
            }
            for d in differences
        ],
    }


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)

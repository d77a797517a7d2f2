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


def _mark(allowed: set[str], browsers: int) -> str:
    """yes / no, or the browsers that allow it when they disagree."""
    if not allowed or len(allowed) == browsers:
        return "yes" if allowed else "no"
    return f"{', '.join(sorted(allowed))} only"


def _listed(names: dict[str, set[str]], browsers: int) -> str:
    return (
        ", ".join(n if len(b) == browsers else f"{n} ({_mark(b, browsers)})" for n, b in names.items() if b)
        or "-"
    )


def policy_rows(observations: Sequence[Observation]) -> list[list[str]]:
    """The effective policy, per path and origin: what a page on that origin can do."""
    grouped: dict[tuple[str, str], dict[str, Observation]] = {}
    for o in observations:
        grouped.setdefault((o.probe.path, o.probe.origin), {})[o.probe.case.name] = o
    rows = []
    for (path, origin), by_case in grouped.items():

        def ok(name: str, by_case: dict[str, Observation] = by_case) -> set[str]:
            """The browsers that allow the case."""
            o = by_case.get(name)
            return {b for b, v in o.verdicts.items() if v.allowed} if o else set()

        count = max(len(o.verdicts) for o in by_case.values())
        rows.append(
            [
                path,
                origin,
                _mark(ok("GET") | ok("POST text/plain"), count),
                _mark(ok("POST JSON"), count),
                _mark(ok("GET, credentials") | ok("POST JSON, credentials"), count),
                _listed({m: ok(m) for m in METHOD_CASES}, count),
                _listed({header: ok(case) for header, case in HEADER_CASES}, count),
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
        "browsers": {
            name: {"allowed": v.allowed, "stage": v.stage, "reason": v.reason}
            for name, v in o.verdicts.items()
        },
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
                "browsers": list(d.browsers),
                "details": list(d.details),
                "a": observation_json(d.a),
                "b": observation_json(d.b),
            }
            for d in differences
        ],
    }


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)

"""Render findings, observations and differences as terminal text (100 columns), JSON or Markdown."""

from __future__ import annotations

import json
import textwrap
from collections.abc import Sequence
from typing import Any, Literal

from cors_conformance.coverage import Coverage
from cors_conformance.diff import KINDS, Difference, Kind, at_least
from cors_conformance.findings import SEVERITIES, Finding, Severity
from cors_conformance.observe import Observation
from cors_conformance.targets import Response

WIDTH = 100
# The JSON documents' shape (docs/toolkit.md): raised when a field is removed or changes meaning.
SCHEMA_VERSION = 1


# --- the summary a report starts with ----------------------------------------------------------------


def _severity_counts(found: Sequence[Finding]) -> str:
    if not found:
        return "no findings"
    return ", ".join(f"{n} {s}" for s in SEVERITIES if (n := sum(f.severity == s for f in found)))


def _untested(cov: Coverage) -> str:
    return "" if cov.tested_allowed_origin else "; WARNING: no allowed origin was tested"


def probe_summary(
    found: Sequence[Finding], fail_on: Severity | Literal["none"], cov: Coverage, status: int
) -> str:
    """One line: pass or fail, why, and what to do first."""
    gated = [f for f in found if f.at_least(fail_on)]
    verdict = "FAIL" if status else "PASS"
    first = f"; first: {gated[0].id} {gated[0].title} ({gated[0].origin}): {gated[0].fix}" if gated else ""
    return f"{verdict}: {_severity_counts(found)} (gate --fail-on {fail_on}){_untested(cov)}{first}"


def diff_summary(
    differences: Sequence[Difference],
    fail_on_difference: Kind,
    found: dict[str, list[Finding]],
    fail_on: Severity | Literal["none"],
    cov: Coverage,
    status: int,
) -> str:
    """One line: pass or fail, the differences and both sides' findings, the first to look at."""
    gated = [d for d in differences if at_least(d.kind, fail_on_difference)]
    verdict = "FAIL" if status else "PASS"
    counts = ", ".join(f"{n} {k}" for k, n in diff_counts(differences).items() if n) or "no differences"
    first = (
        f"; first: [{gated[0].kind}] {gated[0].path} {gated[0].origin or ''} {gated[0].request or ''}"
        if gated
        else ""
    )
    sides = f"findings A: {_severity_counts(found['a'])}, B: {_severity_counts(found['b'])}"
    return (
        f"{verdict}: {counts} (gate --fail-on-difference {fail_on_difference}); {sides} "
        f"(gate --fail-on {fail_on}){_untested(cov)}{first.rstrip()}"
    )


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


def wrap(lines: Sequence[str]) -> str:
    """Lines of prose at WIDTH columns, continuation lines indented."""
    return "\n".join(_wrapped(line, "") for line in lines)


def _wrapped(text: str, indent: str = "  ") -> str:
    return textwrap.fill(
        text,
        WIDTH,
        initial_indent=indent,
        subsequent_indent=indent + "  ",
        break_long_words=True,
        break_on_hyphens=False,
    )


# --- the policy table ------------------------------------------------------------------------------

HEADER_CASES = (("Authorization", "POST JSON + Authorization"), ("X-Custom", "POST JSON + X-Custom"))
METHOD_CASES = ("PUT", "DELETE", "PATCH", "patch (lower-case)")
POLICY_HEAD = [
    "path",
    "origin",
    "simple",
    "JSON POST",
    "credentials",
    "other methods",
    "request headers",
]


NOT_TRIED = "not tried"
# What the table's cells mean, printed under it.
POLICY_LEGEND = (
    "yes: a browser lets the page read a 2xx answer; no: it blocks the answer; 'readable 405': it "
    "lets the page read only an error answer (the request is not served); 'firefox only': the "
    "browsers disagree; not tried: no such request was made from this origin"
)


def _mark(allowed: set[str], browsers: int) -> str:
    """yes / no, or the browsers that allow it when they disagree."""
    if not allowed or len(allowed) == browsers:
        return "yes" if allowed else "no"
    return f"{', '.join(sorted(allowed))} only"


def _cell(cases: Sequence[Observation], browsers: int) -> str:
    """What a page on that origin gets from these requests: a readable 2xx answer ("yes", or the
    browsers that allow it), only readable error answers ("readable 405"), "no", or "not tried"."""
    if not cases:
        return NOT_TRIED
    served: set[str] = {
        b for o in cases if 200 <= o.response.status < 300 for b, v in o.verdicts.items() if v.allowed
    }
    if served:
        return _mark(served, browsers)
    errors = sorted({o.response.status for o in cases if any(v.allowed for v in o.verdicts.values())})
    return f"readable {', '.join(map(str, errors))}" if errors else "no"


def _listed(cells: dict[str, str]) -> str:
    """The names whose cell is not "no": plain when "yes", with their cell otherwise."""
    if all(cell == NOT_TRIED for cell in cells.values()):
        return NOT_TRIED
    shown = [
        name if cell == "yes" else f"{name} ({cell})"
        for name, cell in cells.items()
        if cell not in ("no", NOT_TRIED)
    ]
    return ", ".join(shown) or "none"


def policy_rows(observations: Sequence[Observation], *, every_origin: bool = True) -> list[list[str]]:
    """The effective policy, per path and origin: what a page on that origin can do. Without
    `every_origin`, adversarial origins that can do nothing, or nothing more than an unrelated
    site (https://attacker.example, on a path open to any origin), are left out."""
    grouped: dict[tuple[str, str], dict[str, Observation]] = {}
    for o in observations:
        grouped.setdefault((o.probe.path, o.probe.origin), {})[o.probe.case.name] = o
    rows = []
    for (path, origin), by_case in grouped.items():
        count = max(len(o.verdicts) for o in by_case.values())

        def cell(*names: str, by_case: dict[str, Observation] = by_case, count: int = count) -> str:
            return _cell([by_case[n] for n in names if n in by_case], count)

        cls = next(iter(by_case.values())).probe.cls
        row = [
            path,
            origin,
            cell("GET", "POST text/plain"),
            cell("POST JSON"),
            cell("GET, credentials", "POST JSON, credentials"),
            _listed({m: cell(m) for m in METHOD_CASES}),
            _listed({header: cell(case) for header, case in HEADER_CASES}),
        ]
        anything = any(v.allowed for o in by_case.values() for v in o.verdicts.values())
        rows.append((cls, row, anything))
    unrelated = {row[0]: row[2:] for cls, row, _ in rows if cls == "reflect-any"}
    return [
        row
        for cls, row, anything in rows
        if every_origin
        or cls in ("trusted", "given", "reflect-any", "har")
        or (anything and unrelated.get(row[0]) != row[2:])
    ]


# --- findings --------------------------------------------------------------------------------------

FINDINGS_HEAD = ["severity", "id", "class", "origin", "request", "credentials", "paths"]


def finding_json(f: Finding) -> dict[str, Any]:
    return {
        "id": f.id,
        "class": f.cls,
        "title": f.title,
        "severity": f.severity,
        "origin": f.origin,
        "request": f.request,
        "credentials_exposed": f.credentials,
        "paths": list(f.paths),
        "browsers": list(f.browsers),
        "fix": f.fix,
        "source": f.source,
        "where": f.where or None,
    }


def findings_text(findings: Sequence[Finding]) -> str:
    if not findings:
        return "Findings: none"
    counts = ", ".join(f"{sum(f.severity == s for f in findings)} {s}" for s in SEVERITIES)
    lines = [f"Findings: {counts}"]
    for f in findings:
        paths = ", ".join(f.paths[:4]) + (f" (+{len(f.paths) - 4} more)" if len(f.paths) > 4 else "")
        exposed = "; credentialed answers exposed" if f.credentials else ""
        lines.append(_wrapped(f"{f.severity.upper()} {f.id} {f.title}: {f.origin}{exposed}", ""))
        if f.source == "configuration":
            lines.append(_wrapped(f"shown by: the configuration ({f.where})"))
        else:
            lines.append(_wrapped(f"shown by: {f.request} on {paths} ({', '.join(f.browsers)})"))
        lines.append(_wrapped(f"fix: {f.fix}"))
    return "\n".join(lines)


def findings_markdown(findings: Sequence[Finding]) -> str:
    if not findings:
        return "**Findings:** none"
    rows = [
        [
            f.severity,
            f.id,
            f.title,
            f"`{f.origin}`",
            f.request,
            "yes" if f.credentials else "no",
            ", ".join(f.paths),
        ]
        for f in findings
    ]
    return "**Findings**\n\n" + markdown(FINDINGS_HEAD, rows)


# --- observations and differences ------------------------------------------------------------------


def observation_json(o: Observation) -> dict[str, Any]:
    def response(r: Response | None) -> Any:
        return None if r is None else {"status": r.status, "headers": [list(h) for h in r.headers]}

    return {
        "path": o.probe.path,
        "origin": o.probe.origin,
        "origin_class": o.probe.cls,
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
    return [[d.kind, d.path, d.origin or "-", d.request or "-", "; ".join(d.details)] for d in differences]


def diff_counts(differences: Sequence[Difference]) -> dict[str, int]:
    return {kind: sum(d.kind == kind for d in differences) for kind in KINDS}


def diff_text(differences: Sequence[Difference]) -> str:
    """One block per difference, wrapped at WIDTH columns."""
    blocks = []
    for d in differences:
        where = d.path if d.origin is None else f"{d.path}, from {d.origin}, {d.request}"
        lines = [textwrap.fill(f"[{d.kind}] {where}", WIDTH, subsequent_indent="    ")]
        lines += [_wrapped(detail) for detail in d.details]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


def diff_json(differences: Sequence[Difference], a: str, b: str) -> dict[str, Any]:
    return {
        "a": a,
        "b": b,
        "counts": diff_counts(differences),
        "differences": [
            {
                "kind": d.kind,
                "browsers": list(d.browsers),
                "path": d.path,
                "origin": d.origin,
                "request": d.request,
                "details": list(d.details),
                "a": observation_json(d.a) if d.a is not None else None,
                "b": observation_json(d.b) if d.b is not None else None,
            }
            for d in differences
        ],
    }


def dumps(document: Any) -> str:
    return json.dumps(document, indent=2, ensure_ascii=False)

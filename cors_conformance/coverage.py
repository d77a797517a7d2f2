"""What a probe or diff tested: the paths, origins and requests, with counts, and which configured
origin patterns it exercised, so that "no findings" or "no differences" can be told from "tested
nothing that matters". A run that tested no origin the target allows says so (and fails under
--require-allowed-origin)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from cors_conformance.observe import Observation


@dataclass(frozen=True)
class Pattern:
    """One configured origin value (a literal or a regex) and the origins it contributed."""

    pattern: str
    origins: tuple[str, ...]
    probed: tuple[str, ...]  # those of its origins that were probed
    allowed: tuple[str, ...]  # those found allowed (some browser, some request)

    @property
    def exercised(self) -> bool:
        return bool(self.probed)


@dataclass(frozen=True)
class Coverage:
    paths: tuple[str, ...]
    origins: Mapping[str, int]  # origin class -> how many origins of it were probed
    origin_items: tuple[str, ...]  # every origin probed
    cases: Mapping[str, int]  # request (matrix case) -> how many times it was probed
    probes: int  # fetch() calls modelled (per target)
    requests: int  # HTTP requests sent, all targets together
    patterns: tuple[Pattern, ...]
    allowed: tuple[str, ...]  # origins some browser was allowed to read an answer from

    @property
    def tested_allowed_origin(self) -> bool:
        return bool(self.allowed)

    def json(self) -> dict[str, Any]:
        return {
            "paths": {"count": len(self.paths), "items": list(self.paths)},
            "origins": {
                "count": sum(self.origins.values()),
                "by_class": dict(self.origins),
                "items": list(self.origin_items),
            },
            "cases": {"count": len(self.cases), "by_name": dict(self.cases)},
            "probes": self.probes,
            "requests": self.requests,
            "allowed_origins": {"count": len(self.allowed), "items": list(self.allowed)},
            "tested_allowed_origin": self.tested_allowed_origin,
            "configured_patterns": [
                {
                    "pattern": p.pattern,
                    "origins": list(p.origins),
                    "exercised": p.exercised,
                    "allowed": list(p.allowed),
                }
                for p in self.patterns
            ],
        }

    def text(self) -> list[str]:
        """A few lines for the top of the text report."""
        classes = ", ".join(f"{n} {cls}" for cls, n in self.origins.items())
        paths = ", ".join(self.paths[:6]) + (f" (+{len(self.paths) - 6} more)" if len(self.paths) > 6 else "")
        lines = [
            f"Probed: {len(self.paths)} paths ({paths}); {sum(self.origins.values())} origins ({classes}); "
            f"{len(self.cases)} kinds of request; {self.probes} requests a page could make, "
            f"{self.requests} HTTP requests sent",
        ]
        if self.allowed:
            lines.append(f"Origins allowed somewhere: {len(self.allowed)} ({', '.join(self.allowed[:4])}"
                         + (", ..." if len(self.allowed) > 4 else "") + ")")  # fmt: skip
        else:
            lines.append(
                "WARNING: no origin was allowed anywhere: nothing that the target allows was tested "
                "(give --origin, or check the paths)"
            )
        for p in self.patterns:
            if not p.exercised:
                lines.append(
                    f"Configured origin {p.pattern!r}: not exercised (no origin it admits could be built)"
                )
            else:
                state = f"allowed: {', '.join(p.allowed)}" if p.allowed else "none allowed"
                lines.append(f"Configured origin {p.pattern!r}: probed as {', '.join(p.probed)} ({state})")
        return lines


def allowed_origins(observations: Sequence[Observation]) -> list[str]:
    return list(
        dict.fromkeys(o.probe.origin for o in observations if any(v.allowed for v in o.verdicts.values()))
    )


def coverage(
    observed: Sequence[Sequence[Observation]], patterns: Mapping[str, Sequence[str]], requests: int
) -> Coverage:
    """The coverage of one run: `observed` per target (the same probes on each), the configured
    patterns with the origins each contributed, the HTTP requests sent."""
    first = observed[0] if observed else []
    classes: dict[str, str] = {}
    for o in first:
        classes.setdefault(o.probe.origin, o.probe.cls)
    probed = set(classes)
    allowed = list(dict.fromkeys(origin for side in observed for origin in allowed_origins(side)))
    return Coverage(
        paths=tuple(dict.fromkeys(o.probe.path for o in first)),
        origins=dict(Counter(classes.values())),
        origin_items=tuple(classes),
        cases=dict(Counter(o.probe.case.name for o in first)),
        probes=len(first),
        requests=requests,
        patterns=tuple(
            Pattern(
                pattern,
                tuple(origins),
                tuple(o for o in origins if o in probed),
                tuple(o for o in origins if o in allowed),
            )
            for pattern, origins in patterns.items()
        ),
        allowed=tuple(allowed),
    )

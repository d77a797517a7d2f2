"""Findings: CORS misconfigurations, each demonstrated by a browser verdict.

A finding is derived from what the browser model decided for a probe (never from the headers
alone): an adversarial origin (`origins.py`) that a browser lets read the answer, a credentialed
read that the wildcard makes fail, a development origin a production API trusts. Its severity
follows what an attacker's page can do:

- **high**: read answers to credentialed requests (the user's cookies or HTTP auth) from an
  origin the attacker controls;
- **medium**: read answers that the API withholds from unrelated sites (its restriction is
  bypassed), without credentials; or trust that a network attacker can abuse (plain http);
- **low**: nothing more than any site can read anyway, or a broken rather than open
  configuration (`*` with credentials), or a cache hazard.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Literal

from cors_conformance.observe import Observation

Severity = Literal["high", "medium", "low"]
SEVERITIES: tuple[Severity, ...] = ("high", "medium", "low")


@dataclass(frozen=True)
class Check:
    id: str
    title: str
    fix: str


# Every class, by the origin class (origins.Candidate.cls) or condition that shows it.
CLASSES: dict[str, Check] = {
    "reflect-any": Check(
        "C01",
        "any origin is allowed (reflected)",
        "list the origins that may call the API instead of echoing the Origin header",
    ),
    "null": Check(
        "C02",
        "the 'null' origin is allowed",
        "remove 'null': sandboxed frames and local files of any site send it",
    ),
    "prefix": Check(
        "C03",
        "origins that merely start with a trusted one are allowed",
        "compare origins exactly, or anchor the regex at its end ($)",
    ),
    "suffix": Check(
        "C04",
        "origins that merely end with a trusted host are allowed",
        "compare origins exactly, or anchor the regex after the scheme (^https://(www\\.)?shop\\.example$)",
    ),
    "substring": Check(
        "C05",
        "origins that merely contain a trusted host are allowed",
        "compare origins exactly instead of searching for the host in them",
    ),
    "reverse-substring": Check(
        "C06",
        "origins contained in a trusted one are allowed",
        "compare origins exactly instead of searching for them in the trusted string",
    ),
    "unescaped-dot": Check(
        "C07",
        "a '.' in an origin regex matches any character",
        "escape the dots of origin regexes (\\.)",
    ),
    "any-subdomain": Check(
        "C08",
        "every subdomain of a trusted host is allowed",
        "list the subdomains that serve front ends; any other one (a takeover, user content) is trusted too",
    ),
    "special-characters": Check(
        "C09",
        "origins with special characters after a trusted host are allowed",
        "parse the Origin as a URL and compare its host exactly",
    ),
    "http-origin": Check(
        "C10",
        "the plain-http twin of an https origin is allowed",
        "allow https origins only: a network attacker can inject script into the http site",
    ),
    "hosting-site": Check(
        "C11",
        "an origin where anyone can publish pages is allowed",
        "remove hosting sites (github.io, codepen.io, jsfiddle.net, repl.it) from the allowed origins",
    ),
    "wildcard-credentials": Check(
        "C12",
        "'*' is sent to credentialed requests, which browsers then refuse",
        "send the request's exact origin (not '*') where credentials are allowed, or do not allow them",
    ),
    "development-origin": Check(
        "C13",
        "a development origin (localhost) is allowed",
        "allow localhost origins in development settings only",
    ),
    "missing-vary": Check(
        "C14",
        "Access-Control-Allow-Origin depends on the Origin but Vary: Origin is missing",
        "send Vary: Origin with every answer whose CORS headers depend on the Origin",
    ),
    "any-origin-credentials": Check(
        "C15",
        "every origin is configured as trusted with credentials ('*' or a match-all regex)",
        "list the origins that may send credentialed requests; keep '*' for public, credential-free APIs",
    ),
}
# Classes whose allowed reads are findings whatever the target; the others need a condition.
_BYPASSES = frozenset(
    {
        "reflect-any",
        "null",
        "prefix",
        "suffix",
        "substring",
        "reverse-substring",
        "unescaped-dot",
        "any-subdomain",
        "special-characters",
        "http-origin",
        "hosting-site",
    }
)


# Classes about the whole configuration rather than one origin: reported once, with one origin.
_CONFIGURATION_CLASSES = frozenset({"wildcard-credentials", "missing-vary"})
# A flaw that lets the first class in also lets these in, from the same trusted origin.
_IMPLIES = {"prefix": ("substring", "special-characters"), "suffix": ("any-subdomain",)}


@dataclass(frozen=True)
class Finding:
    id: str
    cls: str
    title: str
    severity: Severity
    origin: str
    request: str  # the matrix case that demonstrates it, e.g. "GET, credentials"
    credentials: bool  # whether answers to credentialed requests are exposed
    fix: str
    paths: tuple[str, ...]
    browsers: tuple[str, ...] = field(default=())  # the browsers whose verdict demonstrates it
    # "probe": shown by a browser verdict; "configuration": read from the configured origins
    # (trust.py), with `where` naming the option set.
    source: str = "probe"
    where: str = ""

    def at_least(self, severity: Severity | Literal["none"]) -> bool:
        if severity == "none":
            return False
        return SEVERITIES.index(self.severity) <= SEVERITIES.index(severity)


def _allowed(observation: Observation) -> bool:
    """Allowed by some browser: a finding names the ones it affects."""
    return any(verdict.allowed for verdict in observation.verdicts.values())


def _browsers(observation: Observation) -> tuple[str, ...]:
    return tuple(name for name, verdict in observation.verdicts.items() if verdict.allowed)


def _open_to_any(observations: Sequence[Observation], credentials: bool) -> set[str]:
    """Paths whose answers any site reads (an unrelated origin is allowed), with or without
    credentials: there every narrower bypass is implied by C01 and not reported again."""
    return {
        o.probe.path
        for o in observations
        if o.probe.cls == "reflect-any" and o.probe.case.credentials == credentials and _allowed(o)
    }


def _severity(cls: str, credentials: bool, public_path: bool, production: bool) -> Severity:
    if cls == "any-subdomain":
        # A deliberate trust of one's own subdomains: named, not alarmed; with credentials, any
        # subdomain's XSS or takeover reads the user's data.
        return "medium" if credentials else "low"
    if cls == "development-origin":
        if not production:
            return "low"
        return "high" if credentials else "medium"
    if credentials:
        return "high"
    if cls == "reflect-any" or public_path:
        return "low"  # nothing more than any site reads anyway
    return "medium"


def derive(observations: Sequence[Observation], *, production: bool = False) -> list[Finding]:
    """Every finding the observations demonstrate, most severe first, one per class and origin
    (with every path it shows on)."""
    public = _open_to_any(observations, credentials=False)
    implied = {False: public, True: _open_to_any(observations, credentials=True)}
    found: dict[tuple[str, str], Finding] = {}

    def add(cls: str, severity: Severity, o: Observation, credentials: bool) -> None:
        check = CLASSES[cls]
        # One finding per class and origin; a class about the configuration itself, once.
        key = (cls, "" if cls in _CONFIGURATION_CLASSES else o.probe.origin)
        previous = found.get(key)
        paths = tuple(dict.fromkeys([*(previous.paths if previous else ()), o.probe.path]))
        if previous is None or SEVERITIES.index(severity) < SEVERITIES.index(previous.severity):
            found[key] = Finding(
                check.id, cls, check.title, severity, o.probe.origin, o.probe.case.name, credentials,
                check.fix, paths, _browsers(o) or tuple(o.verdicts),
            )  # fmt: skip
        else:
            found[key] = replace(previous, paths=paths)

    broader = _broader_flaws(observations)
    for o in observations:
        cls, credentials = o.probe.cls, o.probe.case.credentials
        if (o.probe.path, o.probe.trusted, credentials, cls) in broader and _shaped_like_broader(o):
            continue  # the broader flaw (a prefix or suffix match) is reported instead
        if _allowed(o) and cls in _BYPASSES | {"development-origin"}:
            reflected = o.response.values("access-control-allow-origin") == [o.probe.origin]
            if cls == "reflect-any" and not credentials and not reflected:
                continue  # a public "*" without credentials: what it is meant to be
            if cls != "reflect-any" and o.probe.path in implied[credentials]:
                continue  # any origin passes there: C01 says it once
            add(cls, _severity(cls, credentials, o.probe.path in public, production), o, credentials)
        refused_wildcard = any("'*' cannot be used with credentials" in v.reason for v in o.verdicts.values())
        if credentials and not _allowed(o) and refused_wildcard:
            add("wildcard-credentials", "low", o, False)

    for o in _missing_vary(observations):
        add("missing-vary", "low", o, False)
    return sorted(found.values(), key=_report_order)


def _broader_flaws(observations: Sequence[Observation]) -> set[tuple[str, str | None, bool, str]]:
    """(path, trusted origin, credentials, class) that a broader flaw found there implies."""
    implied = set()
    for o in observations:
        if _allowed(o) and o.probe.cls in _IMPLIES:
            for cls in _IMPLIES[o.probe.cls]:
                implied.add((o.probe.path, o.probe.trusted, o.probe.case.credentials, cls))
    return implied


def _shaped_like_broader(o: Observation) -> bool:
    """Whether the origin has the broader flaw's shape: it starts with the trusted origin (prefix)
    or ends with its host (suffix); a substring elsewhere is a flaw of its own."""
    trusted = o.probe.trusted or ""
    host = trusted.split("://", 1)[-1]
    return o.probe.origin.startswith(trusted) or o.probe.origin.endswith(host)


def _missing_vary(observations: Iterable[Observation]) -> list[Observation]:
    """Allowed actual answers whose Access-Control-Allow-Origin echoes the origin while another
    origin's answer on the same path differs, without Vary: Origin (a shared cache may serve one
    origin's answer to another)."""
    by_path: dict[str, set[str]] = {}
    plain = [o for o in observations if o.probe.case.name == "GET"]
    for o in plain:
        by_path.setdefault(o.probe.path, set()).add(
            ",".join(o.response.values("access-control-allow-origin"))
        )
    return [
        o
        for o in plain
        if _allowed(o)
        and o.response.values("access-control-allow-origin") == [o.probe.origin]
        and len(by_path[o.probe.path]) > 1
        and "origin" not in o.response.vary
    ]


def _report_order(finding: Finding) -> tuple[int, str, str]:
    """Most severe first, then by id and origin: derive and merged report in this one order."""
    return SEVERITIES.index(finding.severity), finding.id, finding.origin


def merged(probed: Sequence[Finding], configured: Sequence[Finding]) -> list[Finding]:
    """Probe findings and configuration findings together, most severe first; a configuration
    finding that a probe finding already shows (same id and origin) is not repeated."""
    shown = {(f.id, f.origin) for f in probed}
    found = [*probed, *(f for f in configured if (f.id, f.origin) not in shown)]
    return sorted(found, key=_report_order)


def exit_status(findings: Iterable[Finding], fail_on: Severity | Literal["none"]) -> int:
    return 1 if any(f.at_least(fail_on) for f in findings) else 0

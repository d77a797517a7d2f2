"""`cors-conformance`: probe, explain and diff the CORS behaviour of any app or live URL, report
misconfigurations as findings, and read a Flask app's Flask-CORS configuration.

Exit status (docs/toolkit-reference.md has the full table):
- 0: nothing at or above the gate (`from-flask`: the report was printed);
- 1: `probe` found a finding at or above --fail-on; `diff` a difference at or above
  --fail-on-difference, or a finding at or above --fail-on; `probe`/`diff` with
  --require-allowed-origin tested no origin the target allows; `explain` a blocked request;
- 2: bad usage (a malformed --origin, a --path every target answers 404 with 404, an unknown
  option), or a target that cannot be imported, used or reached, or that answers only 5xx.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path as FilePath
from urllib.parse import urlsplit

from cors_conformance import (
    __version__,
    discover,
    dynamic,
    findings,
    flask_config,
    forgery,
    har,
    port,
    profiles,
    report,
    trust,
)
from cors_conformance.browser import (
    BROWSERS,
    AddressSpace,
    BrowserRequest,
    address_space,
    decide,
    local_network_check,
    needs_preflight,
    sends_preflight,
)
from cors_conformance.coverage import Coverage, coverage
from cors_conformance.diff import KINDS, Kind, diff, exit_status, on_routes_of_one_side, route_differences
from cors_conformance.matrix import Case, Location, Probe, probes
from cors_conformance.observe import Observation, observe
from cors_conformance.origins import (
    NULL,
    UNRELATED,
    Candidate,
    admitted,
    candidates,
    host_guesses,
    meant,
    neighbours,
    sendable,
    trusted_origins,
)
from cors_conformance.targets import Request, Target, TargetError

SEVERITY_GATES = ("high", "medium", "low", "none")


@dataclass(frozen=True)
class Plan:
    """What to probe: where, and from which origins; and the paths each target declares (not
    looked up when paths are given)."""

    locations: list[Location]
    candidates: list[Candidate]
    declared: list[list[discover.Path]]
    # Each configured origin value (literal or regex) and the origins it contributed.
    patterns: dict[str, list[str]] = field(default_factory=dict)
    meant_by: Callable[[str], bool] | None = None


def _locations(
    targets: Sequence[Target], declared: Sequence[list[discover.Path]], given: Sequence[str] | None
) -> list[Location]:
    if given:
        return [Location(path) for path in given]
    # One location per route, matched by pattern (Flask's /alert/<id> is Starlette's /alert/{id}).
    by_route: dict[tuple[str | None, str], discover.Path] = {}
    for p in sorted({p for paths in declared for p in paths}):
        by_route.setdefault(p.key, p)
    found = list(by_route.values())
    if not found:
        names = " or ".join(t.spec for t in targets)
        raise TargetError(f"no paths found in {names} (no routes, no /openapi.json): give --path")
    return [Location(p.path, p.host) for p in found]


def _revealed(target: Target, locations: Sequence[Location]) -> list[str]:
    """Origins the target names without being asked (always_send), from one plain GET per path."""
    requests = [Request("GET", loc.path, (("Host", loc.host),) if loc.host else ()) for loc in locations]
    return [origin for answer in target.send(requests) for origin in answer.revealed_origins]


def given_origin(text: str) -> str:
    """A --origin as a browser serialises it (lower case), or a one-line error: a value no browser
    sends (no scheme, a path, a default port) would test nothing and read as "blocked"."""
    origin = text.strip().lower()
    if origin == NULL or sendable(origin):
        return origin
    if "://" not in origin:
        hint = f"https://{origin.rstrip('/')}"
        raise TargetError(f"--origin {text!r} has no scheme: an origin is scheme://host[:port], e.g. {hint}")
    raise TargetError(
        f"--origin {text!r} is not an origin a browser sends: write scheme://host[:port] "
        "(lower case, no path, no default port), e.g. https://shop.example"
    )


def _plan(targets: Sequence[Target], args: argparse.Namespace) -> Plan:
    given = [given_origin(o) for o in args.origin or []]
    declared = [] if args.path else [discover.paths(target) for target in targets]
    locations = _locations(targets, declared, args.path)
    trusted, configured = list(given), list(given)
    patterns: dict[str, list[str]] = {}
    for target in targets:
        origins = discover.configured_origins(target)
        configured += origins
        for value in origins:
            patterns.setdefault(value, admitted(value))
            trusted += patterns[value]
        trusted += trusted_origins(_revealed(target, locations))
        if target.url is not None and not trusted:
            trusted += host_guesses(target.url)
    meant_by = meant(configured)
    return Plan(locations, candidates(dict.fromkeys(trusted), meant_by), declared, patterns, meant_by)


def _named_elsewhere(observations: Sequence[Observation], known: set[str]) -> list[str]:
    """Origins an answer named that differ from the origin asking (a configured one leaking)."""
    found = []
    for o in observations:
        for answer in (o.preflight, o.response):
            if answer is not None:
                found += [v for v in answer.revealed_origins if v != o.probe.origin and v not in known]
    return trusted_origins(dict.fromkeys(found))


# How many origins found allowed may each add their neighbours in the second pass.
_MORE_ALLOWED = 16
# The classes of the origins tried for every target (origins.fixed_candidates), less "any origin".
_FIXED_CLASSES = frozenset({"null", "hosting-site", "development-origin"})


def _second_pass(observed: Sequence[Sequence[Observation]], plan: Plan) -> list[Candidate]:
    """Origins to probe once more, the same on every target: origins an answer named that were not
    asked about (a configured one leaking), and the adversarial neighbours of every origin found
    allowed that was tried for every target without being trusted (a hand-written check that lets
    in http://localhost also lets in http://localhost.attacker.example). The neighbours of an
    adversarial origin found allowed are not tried: that origin is a finding already."""
    known = {c.origin for c in plan.candidates}
    named = list(dict.fromkeys(o for side in observed for o in _named_elsewhere(side, known)))
    # Where the unrelated origin is allowed, every origin is: no neighbour there says more.
    open_to_any = {
        (o.probe.path, o.probe.case.name)
        for side in observed
        for o in side
        if o.probe.cls == "reflect-any" and any(v.allowed for v in o.verdicts.values())
    }
    allowed = [
        o.probe.origin
        for side in observed
        for o in side
        if o.probe.cls in _FIXED_CLASSES
        and (o.probe.path, o.probe.case.name) not in open_to_any
        and any(v.allowed for v in o.verdicts.values())
    ]
    more = {c.origin: c for c in candidates(named) if c.origin not in known}
    for origin in list(dict.fromkeys(allowed))[:_MORE_ALLOWED]:
        for candidate in neighbours(origin):
            meant_by = plan.meant_by
            if candidate.origin not in known and (meant_by is None or not meant_by(candidate.origin)):
                more.setdefault(candidate.origin, candidate)
    return list(more.values())


def _run_all(targets: Sequence[Target], plan: Plan) -> list[list[Observation]]:
    """The matrix on every target, then one bounded second pass (the same on every target, so the
    observations stay comparable probe by probe)."""
    observed = [observe(target, probes(plan.locations, plan.candidates)) for target in targets]
    more = _second_pass(observed, plan)
    if more:
        for target, observations in zip(targets, observed, strict=True):
            observations += observe(target, probes(plan.locations, more))
    for target, observations in zip(targets, observed, strict=True):
        _check_answers(target, observations)
    return observed


def _check_given_paths(
    targets: Sequence[Target], observed: Sequence[Sequence[Observation]], args: argparse.Namespace
) -> None:
    """A --path that every target answers only with 404 is a typo, not a policy: refused, so that
    a CI job with a mistyped path does not pass on "no findings" (--allow-404 probes it anyway)."""
    if not args.path or args.allow_404:
        return
    for path in dict.fromkeys(args.path):
        statuses = {
            o.response.status for observations in observed for o in observations if o.probe.path == path
        }
        if statuses == {404}:
            names = " and ".join(t.spec for t in targets)
            raise TargetError(
                f"--path {path}: {names} answered every request with 404 "
                "(a typo? --allow-404 probes it anyway)"
            )


def _check_answers(target: Target, observations: Sequence[Observation]) -> None:
    statuses = {o.response.status for o in observations}
    if statuses and all(status >= 500 for status in statuses):
        raise TargetError(
            f"{target.spec} answered every request with {', '.join(map(str, sorted(statuses)))}: "
            "is it the right app, and does it start?"
        )


def _production(target: Target, args: argparse.Namespace) -> bool:
    if args.production:
        return True
    url = target.url or ""
    return url.startswith("https://") and not any(h in url for h in ("//localhost", "//127.", "//[::1]"))


def _target_space(spec: str) -> AddressSpace | None:
    """The address space of a live target's host; None for an app in this process."""
    parts = urlsplit(spec)
    return address_space(parts.hostname or "") if parts.scheme in ("http", "https") else None


def _local_network_note(spec: str) -> str | None:
    """What Local Network Access means for pages on public origins reaching a local target."""
    space = _target_space(spec)
    if space in (None, "public"):
        return None
    public_page = BrowserRequest("https://public.example", page_space="public", target_space=space)
    blocked = local_network_check(public_page)
    assert blocked is not None
    return (
        f"Local Network Access: {blocked.reason.removeprefix('blocked: ')}. The verdicts above are what a "
        "page on a public origin sees once the user has granted it."
    )


def _observations(
    targets: Sequence[Target], args: argparse.Namespace, plan: Plan | None
) -> list[list[Observation]]:
    if args.har is not None:
        entries = har.load(args.har)
        return [har.replay(target, entries) for target in targets]
    assert plan is not None
    observed = _run_all(targets, plan)
    _check_given_paths(targets, observed, args)
    return observed


def _coverage(
    targets: Sequence[Target], observed: Sequence[Sequence[Observation]], plan: Plan | None
) -> Coverage:
    return coverage(observed, plan.patterns if plan else {}, sum(t.sent for t in targets))


def _findings(
    target: Target, observations: Sequence[Observation], args: argparse.Namespace
) -> list[findings.Finding]:
    """What the probe shows, and what the configuration says (trust that is dangerous as configured)."""
    shown = findings.derive(observations, production=_production(target, args))
    return findings.merged(shown, trust.derive(discover.configured_trust(target)))


def _forgery(
    target: Target, observations: Sequence[Observation], args: argparse.Namespace
) -> list[findings.Finding]:
    """X01 from the probe's own requests and X02 from the target's protection, read without a
    request; `--forgery` sends its own requests for X01 instead (forgery.py says which)."""
    credentials = forgery.cross_site_cookie(observations)
    if args.forgery:
        return forgery.findings(target, sorted({o.probe.path for o in observations}), credentials)
    bypasses = forgery.bypass_patterns(target) if target.app is not None else []
    return [*forgery.observed_writes(observations, credentials), *forgery.broad_bypasses(bypasses)]


def _app_output(targets: Sequence[Target]) -> list[str]:
    """One line per in-process target that wrote anything (logs, tracebacks, prints) while probed."""
    lines = []
    for target in targets:
        summary = target.output.json()
        if summary["lines"] or summary["log_records"]:
            lines.append(
                f"{target.spec} logged {summary['log_records']} records ({summary['tracebacks']} tracebacks) "
                f"and wrote {summary['lines']} lines, captured; first: {summary['first_line']}"
            )
    return lines


def _coverage_status(cov: Coverage, args: argparse.Namespace) -> int:
    """1 under --require-allowed-origin when no origin the target allows was tested."""
    return 1 if args.require_allowed_origin and not cov.tested_allowed_origin else 0


def cmd_probe(args: argparse.Namespace) -> int:
    target = Target(args.target)
    plan = None if args.har is not None else _plan([target], args)
    (observations,) = _observations([target], args, plan)
    found = forgery.merged(_findings(target, observations, args), _forgery(target, observations, args))
    cov = _coverage([target], [observations], plan)  # after --forgery's requests, which it counts
    rows = report.policy_rows(observations)
    note = _local_network_note(args.target)
    status = max(findings.exit_status(found, args.fail_on), _coverage_status(cov, args))
    summary = report.probe_summary(found, args.fail_on, cov, status)
    if args.json:
        policy = [dict(zip(report.POLICY_HEAD, row, strict=True)) for row in rows]
        print(
            report.dumps(
                {
                    "schema_version": report.SCHEMA_VERSION,
                    "command": "probe",
                    "target": args.target,
                    "status": status,
                    "summary": summary,
                    "coverage": cov.json(),
                    "app_output": target.output.json(),
                    "findings": [report.finding_json(f) for f in found],
                    "policy": policy,
                    "policy_legend": report.POLICY_LEGEND,
                    "local_network": note,
                    "sampled": dynamic.sampled_note(target),
                    "observations": [report.observation_json(o) for o in observations],
                }
            )
        )
    elif args.markdown:
        print(f"### CORS policy of `{args.target}`\n\n**{summary}**\n")
        print("\n".join(f"- {line}" for line in [*cov.text(), *_app_output([target])]) + "\n")
        print(f"{report.findings_markdown(found)}\n")
        print(report.markdown(report.POLICY_HEAD, report.policy_rows(observations, every_origin=False)))
    else:
        print(report.wrap([summary]))
        print(report.wrap([*cov.text(), *_app_output([target])]) + "\n")
        print(report.findings_text(found))
        shown = report.policy_rows(observations, every_origin=args.every_origin)
        hidden = len({(r[0], r[1]) for r in rows}) - len(shown)
        print(f"\nEffective CORS policy of {args.target}\n")
        print(report.table(report.POLICY_HEAD, shown))
        print("\n" + report.wrap([report.POLICY_LEGEND]))
        if hidden:
            more = f"no more than {UNRELATED}"
            print(f"\n({hidden} rows of adversarial origins allowed nothing, or {more}: see --every-origin)")
        for text in (note, dynamic.sampled_note(target)):
            if text:
                print(f"\n{text}")
    return status


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {text!r}")
    return name.strip(), value.strip()


def cmd_explain(args: argparse.Namespace) -> int:
    args.origin = given_origin(args.origin)
    target = Target(args.target)
    page_space = address_space(urlsplit(args.origin).hostname or "")
    try:
        request = BrowserRequest(
            origin=args.origin,
            method=args.method,
            headers=tuple(args.header or ()),
            credentials=args.credentials,
            page_space=page_space,
            target_space=_target_space(args.target) or page_space,
            local_network_permission=args.local_network_permission,
        )
    except ValueError as exc:  # what fetch() would throw on, e.g. a forbidden method
        raise TargetError(f"fetch() would refuse this request: {exc}") from None
    case = Case("explain", request.method, request.headers, request.credentials)
    (observation,) = observe(target, [Probe(args.path, case, args.origin)], browsers=[args.browser])
    # The matrix knows nothing of address spaces: decide again with Local Network Access.
    preflight, response = observation.preflight, observation.response
    verdict = decide(
        request,
        (preflight.status, preflight.headers) if preflight else None,
        (response.status, response.headers),
        browser=args.browser,
    )
    observation = replace(observation, verdict=verdict, verdicts={args.browser: verdict})
    status = 0 if verdict.allowed else 1
    decided_by = dynamic.decided_by(target, args.path, args.origin)
    if args.json:
        document = {"schema_version": report.SCHEMA_VERSION, "command": "explain", "status": status}
        print(report.dumps({**document, **report.observation_json(observation), "decided_by": decided_by}))
        return status
    flags = ["credentials"] if request.credentials else []
    print(
        f"fetch({args.path!r}) from {args.origin}, "
        + ", ".join([request.method, *flags])
        + f" ({args.browser})"
    )
    if request.local_network:
        later = "" if request.local_network_permission else "; the answers below come once the user allows it"
        print(f"\nLocal Network Access: a {request.page_space} page, a {request.target_space} target{later}")
    granted = replace(request, local_network_permission=True)
    if needs_preflight(granted, browser=args.browser) and not sends_preflight(request, browser=args.browser):
        print("\nno preflight is sent now: nothing leaves the browser until the user grants the permission")
    if sends_preflight(granted, browser=args.browser) and observation.preflight is not None:
        print(f"\npreflight: OPTIONS {args.path} -> {observation.preflight.status}")
        for name, value in observation.preflight.cors or (("(no CORS headers)", ""),):
            print(f"  {name}: {value}" if value else f"  {name}")
    else:
        print("\nno preflight (a simple request)")
    if observation.verdict.stage != "preflight" or observation.verdict.allowed:
        print(f"\nresponse: {request.method} {args.path} -> {observation.response.status}")
        for name, value in observation.response.cors or (("(no CORS headers)", ""),):
            print(f"  {name}: {value}" if value else f"  {name}")
    print(f"\nbrowser verdict: {observation.verdict.reason}")
    if decided_by is not None:
        print(f"\nthe origin was decided at request time by {decided_by}: another request may differ")
    return status


def cmd_diff(args: argparse.Namespace) -> int:
    a, b = Target(args.a), Target(args.b)
    differences = []
    if args.har is not None:
        plan = None
    else:
        plan = _plan([a, b], args)
        if not args.path:
            differences += route_differences(*plan.declared)
    observed_a, observed_b = _observations([a, b], args, plan)
    cov = _coverage([a, b], [observed_a, observed_b], plan)
    differences += on_routes_of_one_side(diff(observed_a, observed_b), differences)
    found = {
        "a": _findings(a, observed_a, args),
        "b": _findings(b, observed_b, args),
    }
    fail_on_difference: Kind = "cosmetic" if args.strict else args.fail_on_difference
    status = max(
        exit_status(differences, fail_on=fail_on_difference),
        findings.exit_status([*found["a"], *found["b"]], args.fail_on),
        _coverage_status(cov, args),
    )
    summary = report.diff_summary(differences, fail_on_difference, found, args.fail_on, cov, status)
    if args.json:
        document = {
            "schema_version": report.SCHEMA_VERSION,
            "command": "diff",
            "status": status,
            "summary": summary,
            **report.diff_json(differences, args.a, args.b),
            "coverage": cov.json(),
            "app_output": {"a": a.output.json(), "b": b.output.json()},
            "sampled": [text for text in map(dynamic.sampled_note, (a, b)) if text],
        }
        document["findings"] = [
            {**report.finding_json(f), "side": side} for side, side_found in found.items() for f in side_found
        ]
        print(report.dumps(document))
    elif args.markdown:
        print(f"### CORS: `{args.a}` (A) vs `{args.b}` (B)\n\n**{summary}**\n")
        print("\n".join(f"- {line}" for line in [*cov.text(), *_app_output([a, b])]) + "\n")
        counts = report.diff_counts(differences)
        print(", ".join(f"**{n} {k}**" if k == "browser" else f"{n} {k}" for k, n in counts.items()) + "\n")
        if differences:
            print(report.markdown(report.DIFF_HEAD, report.diff_rows(differences)) + "\n")
        print(f"A {report.findings_markdown(found['a'])}\n")
        print(f"B {report.findings_markdown(found['b'])}")
    else:
        counts = report.diff_counts(differences)
        print(
            report.wrap([summary])
            + f"\n\nA = {args.a}\nB = {args.b}\n"
            + report.wrap([*cov.text(), *_app_output([a, b])])
        )
        print("Differences: " + ", ".join(f"{n} {k}" for k, n in counts.items()))
        for side, label in (("a", "A"), ("b", "B")):
            print(f"\n{label}: {report.findings_text(found[side])}")
        for text in map(dynamic.sampled_note, (a, b)):
            if text:
                print(f"\n{text}")
        if differences:
            print("\n" + report.diff_text(differences))
    return status


def cmd_from_flask(args: argparse.Namespace) -> int:
    found = flask_config.read(args.app)
    strict = profiles.from_flask(args.app)
    code = port.code(found.port, args.app)
    if args.code:
        print(code, end="")
        return 0
    problems = [{"where": where, "id": p.id, "option": p.where, "message": p.message, "hint": p.hint}
                for where, p in found.problems]  # fmt: skip
    if args.json:
        print(report.dumps({"schema_version": report.SCHEMA_VERSION, "command": "from-flask", "app": args.app,
                            "found": found.found, "code": code, "not_exact": found.not_exact,
                            "settings": found.settings, "ignored": found.ignored,
                            "wider": found.wider, "routes": found.routes, "problems": problems,
                            "strict": profiles.proposal_json(strict)}))  # fmt: skip
        return 0
    # The whole output stays a valid .env file (and shell script): everything but settings is a comment.
    print(f"# The port of {args.app}'s Flask-CORS configuration")
    heading: tuple[tuple[str, list[str]], ...] = (
        ("Found", found.found or ["no Flask-CORS configuration"]),
        ("Not translated exactly", found.not_exact),
    )
    for title, lines in heading:
        if lines:
            print(f"#\n# {title}:")
            print("\n".join(f"#   - {line}" for line in lines))
    print("#\n# Engine code for your own Starlette/FastAPI app (alone: from-flask APP --code):")
    print("\n".join(f"#   {line}".rstrip() for line in code.splitlines()))
    print("\n# Settings for this service, equivalent to the extension's configuration")
    print("# (a .env file; also valid under `set -a; . FILE`)")
    for name, value in found.settings.items():
        try:
            print(flask_config.dotenv_line(name, value))
        except ValueError as exc:
            print(f"# {exc}")
    sections = (
        (
            "Problems the engine's audit finds (settings ids)",
            [f"{where}: {p}" for where, p in found.problems],
        ),
        ("Ignored by Flask-CORS", found.ignored),
        ("Wider than configured", found.wider),
        ("Routes with their own policy (use cross_origin in code)", found.routes),
    )
    for title, lines in sections:
        if lines:
            print(f"\n# {title}:")
            print("\n".join(f"#   - {line}" for line in lines))
    print("\n".join(profiles.proposal_text(strict)))
    return 0


def _matrix_arguments(command: argparse.ArgumentParser) -> None:
    """The options of the commands that run the request matrix (probe, diff)."""
    command.add_argument(
        "--path", action="append", help="a path to try (repeatable; default: the paths the target declares)"
    )
    command.add_argument(
        "--origin",
        action="append",
        help="a trusted origin to try, besides those the target reveals (repeatable)",
    )
    command.add_argument(
        "--allow-404",
        action="store_true",
        help="probe a --path even when every target answers it 404 (default: a typo, exit 2)",
    )
    command.add_argument(
        "--har", type=FilePath, help="replay the requests of a browser's HAR export instead of the matrix"
    )
    command.add_argument(
        "--production", action="store_true", help="the target is a production API (default: an https URL is)"
    )
    command.add_argument(
        "--require-allowed-origin",
        action="store_true",
        help="exit 1 when no origin the target allows was tested (the run proved nothing about them)",
    )
    formats = command.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true")
    formats.add_argument("--markdown", action="store_true", help="for a pull-request comment")


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog="cors-conformance", description=__doc__.split("\n\n")[0])
    main_parser.add_argument("--version", action="version", version=f"%(prog)s {__version__}")
    commands = main_parser.add_subparsers(dest="command", required=True)
    targets_help = "wsgi:module:app, asgi:module:app, asgi-factory:module:function, or http(s)://host:port"

    probe = commands.add_parser("probe", help="findings and the effective CORS policy of a target")
    probe.add_argument("target", help=targets_help)
    _matrix_arguments(probe)
    probe.add_argument(
        "--fail-on",
        choices=SEVERITY_GATES,
        default="medium",
        help="exit 1 on a finding this severe (default medium)",
    )
    probe.add_argument("--every-origin", action="store_true", help="show every adversarial origin's row")
    probe.add_argument(
        "--forgery",
        action="store_true",
        help="also send each path a cross-site form POST and fetch() as browsers do, and the same from "
        "the target's own origin: X01 if they reach the app, beyond what every probe sends",
    )
    probe.set_defaults(run=cmd_probe)

    explain = commands.add_parser("explain", help="one request as a browser would make it, and its verdict")
    explain.add_argument("target", help=targets_help)
    explain.add_argument("--origin", required=True)
    explain.add_argument("--method", required=True)
    explain.add_argument("--header", action="append", type=_header, help="'Name: value' (repeatable)")
    explain.add_argument("--credentials", action="store_true", help='credentials: "include"')
    explain.add_argument(
        "--browser", choices=BROWSERS, default=BROWSERS[0], help="whose rules (default chromium)"
    )
    explain.add_argument(
        "--local-network-permission",
        action="store_true",
        help="the user has granted the page Local Network Access (matters when the target's address is "
        "more private than the origin's: loopback or private)",
    )
    explain.add_argument("--path", default="/")
    explain.add_argument("--json", action="store_true")
    explain.set_defaults(run=cmd_explain)

    compare = commands.add_parser(
        "diff", help="the same matrix against two targets, every difference classified"
    )
    compare.add_argument("a", help=targets_help)
    compare.add_argument("b", help=targets_help)
    _matrix_arguments(compare)
    compare.add_argument(
        "--fail-on-difference", choices=KINDS, default="browser",
        help="exit 1 on a difference of this kind or a more serious one (default browser)",
    )  # fmt: skip
    compare.add_argument(
        "--strict", action="store_true", help="exit 1 on any difference (--fail-on-difference cosmetic)"
    )
    compare.add_argument(
        "--fail-on", choices=SEVERITY_GATES, default="none",
        help="also exit 1 on a finding of either side this severe (default none)",
    )  # fmt: skip
    compare.set_defaults(run=cmd_diff)

    from_flask = commands.add_parser(
        "from-flask",
        help="a Flask app's Flask-CORS configuration, ported: engine code, this service's settings, audited",
    )
    from_flask.add_argument("app", help="wsgi:package.module:app or wsgi-factory:package.module:function")
    from_flask_formats = from_flask.add_mutually_exclusive_group()
    from_flask_formats.add_argument("--json", action="store_true")
    from_flask_formats.add_argument(
        "--code", action="store_true", help="print only the engine code for your own app (Python)"
    )
    from_flask.set_defaults(run=cmd_from_flask)
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # Import targets from the working directory, as uvicorn and gunicorn do.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        profiles.expand_targets(args)  # fetch:TARGET, the same app under the strict profile
        return int(args.run(args))
    except TargetError as exc:
        print(f"cors-conformance: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # The reader went away (`| head`): stop quietly, and keep Python's flush at exit from
        # raising again on the closed pipe.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1

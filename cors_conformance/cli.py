"""`cors-conformance`: probe, explain and diff the CORS behaviour of any app or live URL, report
misconfigurations as findings, and read a Flask app's Flask-CORS configuration.

Exit status: 0 nothing at or above the gate; 1 `probe` found a finding at or above --fail-on,
`diff` a difference at or above --fail-on-difference (or a finding at or above --fail-on),
`explain` a blocked request; 2 bad usage, or a target that cannot be imported, used or reached
(`from-flask` reports and exits 0, or 2).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path as FilePath
from urllib.parse import urlsplit

from cors_conformance import discover, dynamic, findings, flask_config, har, report
from cors_conformance.browser import (
    BROWSERS,
    AddressSpace,
    BrowserRequest,
    address_space,
    decide,
    local_network_check,
    needs_preflight,
)
from cors_conformance.diff import KINDS, Kind, diff, exit_status, on_routes_of_one_side, route_differences
from cors_conformance.matrix import Case, Location, Probe, probes
from cors_conformance.observe import Observation, observe
from cors_conformance.origins import UNRELATED, Candidate, candidates, host_guesses, meant, trusted_origins
from cors_conformance.targets import Request, Target, TargetError

SEVERITY_GATES = ("high", "medium", "low", "none")


@dataclass(frozen=True)
class Plan:
    """What to probe: where, and from which origins; and the paths each target declares (not
    looked up when paths are given)."""

    locations: list[Location]
    candidates: list[Candidate]
    declared: list[list[discover.Path]]


def _locations(
    targets: Sequence[Target], declared: Sequence[list[discover.Path]], given: Sequence[str] | None
) -> list[Location]:
    if given:
        return [Location(path) for path in given]
    found = sorted({p for paths in declared for p in paths})
    if not found:
        names = " or ".join(t.spec for t in targets)
        raise TargetError(f"no paths found in {names} (no routes, no /openapi.json): give --path")
    return [Location(p.path, p.host) for p in found]


def _revealed(target: Target, locations: Sequence[Location]) -> list[str]:
    """Origins the target names without being asked (always_send), from one plain GET per path."""
    requests = [Request("GET", loc.path, (("Host", loc.host),) if loc.host else ()) for loc in locations]
    return [origin for answer in target.send(requests) for origin in answer.revealed_origins]


def _plan(targets: Sequence[Target], args: argparse.Namespace) -> Plan:
    declared = [] if args.path else [discover.paths(target) for target in targets]
    locations = _locations(targets, declared, args.path)
    given = [o.lower() for o in args.origin or []]
    trusted, configured = list(given), list(given)
    for target in targets:
        origins = discover.configured_origins(target)
        configured += origins
        trusted += trusted_origins(origins)
        trusted += trusted_origins(_revealed(target, locations))
        if target.url is not None and not trusted:
            trusted += host_guesses(target.url)
    return Plan(locations, candidates(dict.fromkeys(trusted), meant(configured)), declared)


def _named_elsewhere(observations: Sequence[Observation], known: set[str]) -> list[str]:
    """Origins an answer named that differ from the origin asking (a configured one leaking)."""
    found = []
    for o in observations:
        for answer in (o.preflight, o.response):
            if answer is not None:
                found += [v for v in answer.revealed_origins if v != o.probe.origin and v not in known]
    return trusted_origins(dict.fromkeys(found))


def _run(target: Target, plan: Plan) -> list[Observation]:
    observations = observe(target, probes(plan.locations, plan.candidates))
    known = {c.origin for c in plan.candidates}
    extra = _named_elsewhere(observations, known)
    if extra:
        more = [c for c in candidates(extra) if c.origin not in known]
        observations += observe(target, probes(plan.locations, more))
    _check_answers(target, observations)
    return observations


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


def _observations(target: Target, args: argparse.Namespace, plan: Plan | None) -> list[Observation]:
    if args.har is not None:
        return har.replay(target, har.load(args.har))
    assert plan is not None
    return _run(target, plan)


def cmd_probe(args: argparse.Namespace) -> int:
    target = Target(args.target)
    plan = None if args.har is not None else _plan([target], args)
    observations = _observations(target, args, plan)
    found = findings.derive(observations, production=_production(target, args))
    rows = report.policy_rows(observations)
    note = _local_network_note(args.target)
    if args.json:
        policy = [dict(zip(report.POLICY_HEAD, row, strict=True)) for row in rows]
        print(
            report.dumps(
                {
                    "target": args.target,
                    "findings": [report.finding_json(f) for f in found],
                    "policy": policy,
                    "local_network": note,
                    "sampled": dynamic.sampled_note(target),
                    "observations": [report.observation_json(o) for o in observations],
                }
            )
        )
    elif args.markdown:
        print(f"### CORS policy of `{args.target}`\n\n{report.findings_markdown(found)}\n")
        print(report.markdown(report.POLICY_HEAD, report.policy_rows(observations, every_origin=False)))
    else:
        print(report.findings_text(found))
        shown = report.policy_rows(observations, every_origin=args.every_origin)
        hidden = len({(r[0], r[1]) for r in rows}) - len(shown)
        print(f"\nEffective CORS policy of {args.target}\n")
        print(report.table(report.POLICY_HEAD, shown))
        if hidden:
            more = f"no more than {UNRELATED}"
            print(f"\n({hidden} rows of adversarial origins allowed nothing, or {more}: see --every-origin)")
        for text in (note, dynamic.sampled_note(target)):
            if text:
                print(f"\n{text}")
    return findings.exit_status(found, args.fail_on)


def _header(text: str) -> tuple[str, str]:
    name, sep, value = text.partition(":")
    if not sep or not name.strip():
        raise argparse.ArgumentTypeError(f"expected 'Name: value', got {text!r}")
    return name.strip(), value.strip()


def cmd_explain(args: argparse.Namespace) -> int:
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
        print(report.dumps({**report.observation_json(observation), "decided_by": decided_by}))
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
    if needs_preflight(request, browser=args.browser) and observation.preflight is not None:
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
            paths_a, paths_b = ([str(p) for p in paths] for paths in plan.declared)
            differences += route_differences(paths_a, paths_b)
    observed_a, observed_b = _observations(a, args, plan), _observations(b, args, plan)
    if plan is not None and len(observed_a) != len(observed_b):
        # A second pass ran on one side only: compare what both saw.
        common = min(len(observed_a), len(observed_b))
        observed_a, observed_b = observed_a[:common], observed_b[:common]
    differences += on_routes_of_one_side(diff(observed_a, observed_b), differences)
    found = {
        "a": findings.derive(observed_a, production=_production(a, args)),
        "b": findings.derive(observed_b, production=_production(b, args)),
    }
    fail_on_difference: Kind = "cosmetic" if args.strict else args.fail_on_difference
    status = max(
        exit_status(differences, fail_on=fail_on_difference),
        findings.exit_status([*found["a"], *found["b"]], args.fail_on),
    )
    if args.json:
        document = report.diff_json(differences, args.a, args.b)
        document["sampled"] = [text for text in map(dynamic.sampled_note, (a, b)) if text]
        document["findings"] = [
            {**report.finding_json(f), "side": side} for side, side_found in found.items() for f in side_found
        ]
        print(report.dumps(document))
    elif args.markdown:
        print(f"### CORS: `{args.a}` (A) vs `{args.b}` (B)\n")
        counts = report.diff_counts(differences)
        print(", ".join(f"**{n} {k}**" if k == "browser" else f"{n} {k}" for k, n in counts.items()) + "\n")
        if differences:
            print(report.markdown(report.DIFF_HEAD, report.diff_rows(differences)) + "\n")
        print(f"A {report.findings_markdown(found['a'])}\n")
        print(f"B {report.findings_markdown(found['b'])}")
    else:
        counts = report.diff_counts(differences)
        probes_run = len(observed_a)
        print(f"A = {args.a}\nB = {args.b}\n{probes_run} probes; differences: "
              + ", ".join(f"{n} {k}" for k, n in counts.items()))  # fmt: skip
        for side, label in (("a", "A"), ("b", "B")):
            print(f"\n{label}: {report.findings_text(found[side])}")
        for text in map(dynamic.sampled_note, (a, b)):
            if text:
                print(f"\n{text}")
        if differences:
            print("\n" + report.diff_text(differences))
    return status


def cmd_from_flask(args: argparse.Namespace) -> int:
    kind, _, reference = args.app.partition(":")
    if kind != "wsgi":
        raise TargetError(f"from-flask takes wsgi:package.module:app, got {args.app!r}")
    found = flask_config.read(reference)
    problems = [{"where": where, "id": p.id, "option": p.where, "message": p.message, "hint": p.hint}
                for where, p in found.problems]  # fmt: skip
    if args.json:
        print(report.dumps({"app": args.app, "settings": found.settings, "ignored": found.ignored,
                            "wider": found.wider, "routes": found.routes, "problems": problems}))  # fmt: skip
        return 0
    print(f"# Settings for this service, equivalent to {args.app}'s Flask-CORS configuration")
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
        "--har", type=FilePath, help="replay the requests of a browser's HAR export instead of the matrix"
    )
    command.add_argument(
        "--production", action="store_true", help="the target is a production API (default: an https URL is)"
    )
    formats = command.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true")
    formats.add_argument("--markdown", action="store_true", help="for a pull-request comment")


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog="cors-conformance", description=__doc__.split("\n\n")[0])
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
        "from-flask", help="a Flask app's Flask-CORS configuration as this service's settings, audited"
    )
    from_flask.add_argument("app", help="wsgi:package.module:app")
    from_flask.add_argument("--json", action="store_true")
    from_flask.set_defaults(run=cmd_from_flask)
    return main_parser


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    # Import targets from the working directory, as uvicorn and gunicorn do.
    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return int(args.run(args))
    except TargetError as exc:
        print(f"cors-conformance: error: {exc}", file=sys.stderr)
        return 2

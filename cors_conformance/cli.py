"""`cors-conformance`: probe, explain and diff the CORS behaviour of any app or live URL, and read
a Flask app's Flask-CORS configuration.

Exit status: 0 fine; 1 `diff` found browser differences (any difference with --strict); 2 bad
usage or a target that cannot be imported or reached.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from cors_conformance import flask_config, report
from cors_conformance.browser import (
    BROWSERS,
    AddressSpace,
    BrowserRequest,
    address_space,
    decide,
    local_network_check,
    needs_preflight,
)
from cors_conformance.diff import diff, exit_status
from cors_conformance.matrix import Case, Probe, origins_for, probes
from cors_conformance.observe import discovered_origins, observe
from cors_conformance.targets import Request, Target, TargetError

DEFAULT_PATHS = ["/"]


def _discover(targets: Sequence[Target], paths: Sequence[str]) -> list[str]:
    """Origins targets reveal without being asked (always_send), from one plain GET per path."""
    found: list[str] = []
    for target in targets:
        for answer in target.send([Request("GET", path) for path in paths]):
            found += answer.revealed_origins
    return found


def _matrix(targets: Sequence[Target], paths: Sequence[str], origins: Sequence[str]) -> list[Probe]:
    return probes(paths, origins_for(origins, _discover(targets, paths)))


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


def cmd_probe(args: argparse.Namespace) -> int:
    target = Target(args.target)
    paths = args.path or DEFAULT_PATHS
    observations = observe(target, _matrix([target], paths, args.origin or []))
    # A second pass adds the origins the first one revealed (e.g. in preflight answers).
    extra = [o for o in discovered_origins(observations) if o not in {p.probe.origin for p in observations}]
    if extra:
        observations += observe(target, probes(paths, origins_for(extra)))
    rows = report.policy_rows(observations)
    note = _local_network_note(args.target)
    if args.json:
        policy = [dict(zip(report.POLICY_HEAD, row, strict=True)) for row in rows]
        observed = [report.observation_json(o) for o in observations]
        document = {"target": args.target, "policy": policy, "local_network": note, "observations": observed}
        print(report.dumps(document))
        return 0
    if args.markdown:
        print(report.markdown(report.POLICY_HEAD, rows))
    else:
        print(f"Effective CORS policy of {args.target}\n")
        print(report.table(report.POLICY_HEAD, rows))
    if note:
        print(f"\n{note}")
    return 0


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
    if args.json:
        print(report.dumps(report.observation_json(observation)))
        return 0
    flags = [flag for flag, on in (("credentials", request.credentials),) if on]
    print(
        f"fetch({args.path!r}) from {args.origin}, "
        + ", ".join([request.method, *flags])
        + f" ({args.browser})"
    )
    if request.local_network:
        print(
            f"\nLocal Network Access: a {request.page_space} page, a {request.target_space} target"
            + ("" if request.local_network_permission else "; the answers below come once the user allows it")
        )
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
    return 0


def cmd_diff(args: argparse.Namespace) -> int:
    a, b = Target(args.a), Target(args.b)
    paths = args.path or DEFAULT_PATHS
    matrix = _matrix([a, b], paths, args.origin or [])
    differences = diff(observe(a, matrix), observe(b, matrix))
    if args.json:
        print(report.dumps(report.diff_json(differences, args.a, args.b)))
    elif args.markdown:
        print(report.markdown(report.DIFF_HEAD, report.diff_rows(differences)))
    else:
        counts = {k: sum(d.kind == k for d in differences) for k in ("browser", "cache", "cosmetic")}
        print(f"A = {args.a}\nB = {args.b}\n{len(matrix)} probes; differences: "
              + ", ".join(f"{n} {k}" for k, n in counts.items()) + "\n")  # fmt: skip
        if differences:
            print(report.table(report.DIFF_HEAD, report.diff_rows(differences)))
    return exit_status(differences, strict=args.strict)


def cmd_from_flask(args: argparse.Namespace) -> int:
    kind, _, reference = args.app.partition(":")
    if kind != "wsgi":
        raise TargetError(f"from-flask takes wsgi:package.module:app, got {args.app!r}")
    found = flask_config.read(reference)
    if args.json:
        print(report.dumps({"app": args.app, "settings": found.settings, "ignored": found.ignored,
                            "wider": found.wider, "routes": found.routes}))  # fmt: skip
        return 0
    print(f"# Settings for this service, equivalent to {args.app}'s Flask-CORS configuration (.env format)")
    for name, value in found.settings.items():
        print(f"{name}={value}")
    sections = (
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
    command.add_argument("--path", action="append", help="a path to try (repeatable; default /)")
    command.add_argument(
        "--origin", action="append", help="an origin to try, besides the adversarial ones (repeatable)"
    )
    formats = command.add_mutually_exclusive_group()
    formats.add_argument("--json", action="store_true")
    formats.add_argument("--markdown", action="store_true")


def parser() -> argparse.ArgumentParser:
    main_parser = argparse.ArgumentParser(prog="cors-conformance", description=__doc__.split("\n\n")[0])
    commands = main_parser.add_subparsers(dest="command", required=True)
    targets_help = "wsgi:module:app, asgi:module:app, asgi-factory:module:function, or http(s)://host:port"

    probe = commands.add_parser("probe", help="print the effective CORS policy of a target")
    probe.add_argument("target", help=targets_help)
    _matrix_arguments(probe)
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
        "--strict", action="store_true", help="exit 1 on any difference, not only browser ones"
    )
    compare.set_defaults(run=cmd_diff)

    from_flask = commands.add_parser(
        "from-flask", help="a Flask app's Flask-CORS configuration as this service's settings"
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

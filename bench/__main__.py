"""`./scripts/bench`: the benchmark suite. Prints the tables, writes results.json, results.md and
chart.png to --out (default docs/bench), and with --docs puts the Markdown into docs/performance.md.

Parts: inprocess (µs per request, every app), hostile (crafted preflights, in process), scaling (how
the engine's cost grows with its configuration), profiles (the fetch profile's cost beside the
Flask-CORS profile's and Starlette's stock middleware's, in process), protection (the cross-origin
protection's cost per request against the CORS engine's, in process), dynamic (origins decided by a
function, and the hot path with reconfigure, against the static engine), ratios (end to end,
interleaved rounds over several runs: the service's req/s over its peers'), endtoend (req/s, latency
and memory of every server), workers (1 vs 2 uvicorn workers).

Every run is bounded: in process by request counts, end to end by wrk's fixed duration (plus a
30 s allowance per wrk run and per server start). Servers listen on 127.0.0.1 only.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import datetime
import io
import json
import os
import platform
import pstats
import re
import shutil
import subprocess
import sys
import time
from importlib.metadata import version
from pathlib import Path
from typing import Any, NoReturn

from bench import dynamic, endtoend, hostile, inprocess, peers, profiles, protection, ratios, report

ROOT = Path(__file__).resolve().parent.parent
PARTS = (
    "inprocess",
    "hostile",
    "scaling",
    "profiles",
    "protection",
    "dynamic",
    "ratios",
    "endtoend",
    "workers",
)
LOAD_PARTS = {"ratios", "endtoend", "workers"}  # the parts that need wrk
DOCS_START, DOCS_END = "<!-- bench:start -->", "<!-- bench:end -->"


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def machine() -> dict[str, Any]:
    cpu = "unknown CPU"
    with open("/proc/cpuinfo") as cpuinfo:  # Linux: the benchmark needs taskset and /proc anyway
        cpu = next((ln.split(":", 1)[1].strip() for ln in cpuinfo if ln.startswith("model name")), cpu)
    versions = {
        name: version(name)
        for name in (
            "starlette",
            "uvicorn",
            "httptools",
            "uvloop",
            "fastapi",
            "flask",
            "flask-cors",
            "gunicorn",
        )
    }
    wrk = endtoend.find_wrk()
    if wrk:
        first = subprocess.run([wrk, "--version"], capture_output=True, text=True, check=False).stdout
        versions["wrk"] = first.split()[1] if first.split()[1:] else "?"
    return {
        "date": datetime.date.today().isoformat(),
        "cpus": os.cpu_count(),
        "cpu": cpu,
        "python": platform.python_version(),
        "versions": versions,
    }


def profile_service(n: int) -> str:
    """cProfile of this service's two benchmark requests, in process, top functions by own time."""
    app = peers.in_process_apps()["this service"]
    loop = asyncio.new_event_loop()
    out = []
    try:
        for kind, request in inprocess.REQUESTS.items():
            run = inprocess.asgi_runner(app, request, loop)
            run(1000)
            profiler = cProfile.Profile()
            profiler.enable()
            run(n)
            profiler.disable()
            stream = io.StringIO()
            pstats.Stats(profiler, stream=stream).sort_stats("tottime").print_stats(20)
            out.append(f"=== this service, {kind}, {n} requests ===\n{stream.getvalue().strip()}")
    finally:
        loop.close()
    return "\n\n".join(out)


def update_docs(markdown: str, page: Path) -> None:
    text = page.read_text()
    if DOCS_START not in text or DOCS_END not in text:
        raise SystemExit(f"error: {page} has no {DOCS_START} ... {DOCS_END} section")
    # The chart's path is relative to the page (docs/performance.md), as MkDocs resolves it.
    block = f"{DOCS_START}\n{markdown}\n![benchmark chart](bench/chart.png)\n{DOCS_END}"
    pattern = re.compile(re.escape(DOCS_START) + ".*?" + re.escape(DOCS_END), re.S)
    page.write_text(pattern.sub(lambda _: block, text))


class HelpFormatter(argparse.ArgumentDefaultsHelpFormatter, argparse.RawDescriptionHelpFormatter):
    """The description as written, each option's default after its help."""


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        """One line, not the usage: the usage is --help's."""
        self.exit(2, f"{self.prog}: error: {message} (--help lists the options)\n")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = Parser(
        prog="scripts/bench",
        description=__doc__,
        formatter_class=HelpFormatter,
    )
    parser.add_argument(
        "--parts", default=",".join(PARTS), help=f"comma-separated subset of {','.join(PARTS)}"
    )
    parser.add_argument(
        "--requests", type=int, default=10000, help="in process: requests per timed run (hostile: at most)"
    )
    parser.add_argument("--repeats", type=int, default=5, help="in process: timed runs per app (median)")
    parser.add_argument("--duration", type=int, default=2, help="end to end: whole seconds per wrk run")
    parser.add_argument(
        "--warmup", type=int, default=1, help="end to end: seconds of load before measuring (0: none)"
    )
    parser.add_argument("--rounds", type=int, default=3, help="ratios: interleaved rounds per run")
    parser.add_argument("--runs", type=int, default=5, help="ratios: runs (each starts the servers anew)")
    parser.add_argument(
        "--modes", default=",".join(ratios.modes()), help="ratios: server modes, comma-separated"
    )
    parser.add_argument("--connections", type=int, default=32, help="ratios: wrk connections")
    parser.add_argument("--concurrency", default="1,32", help="endtoend: wrk connections, comma-separated")
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "bench", help="where results go")
    parser.add_argument("--docs", action="store_true", help="also replace the tables of docs/performance.md")
    parser.add_argument("--profile", action="store_true", help="only profile the service in process")
    args = parser.parse_args(argv)
    args.parts = _choices(parser, "--parts", args.parts, PARTS)
    args.modes = _choices(parser, "--modes", args.modes, tuple(ratios.modes()))
    try:
        args.concurrency = [int(c) for c in args.concurrency.split(",")]
    except ValueError:
        parser.error("--concurrency takes whole numbers, e.g. 1,32")
    if min(args.concurrency) < 1 or args.requests < 1 or args.repeats < 1 or not 1 <= args.duration <= 600:
        parser.error("--requests, --repeats and --concurrency must be >= 1; --duration in [1, 600]")
    if not 0 <= args.warmup <= 60:
        parser.error("--warmup must be in [0, 60]")
    if not (1 <= args.rounds <= 100 and 1 <= args.runs <= 100 and 1 <= args.connections <= 10000):
        parser.error("--rounds and --runs must be in [1, 100], --connections in [1, 10000]")
    if LOAD_PARTS & set(args.parts) and endtoend.find_wrk() is None:
        parser.error(
            "wrk not found: run ./scripts/install-tools (Debian's wrk), or leave out "
            + ",".join(sorted(LOAD_PARTS))
        )
    return args


def _choices(parser: argparse.ArgumentParser, option: str, value: str, allowed: tuple[str, ...]) -> list[str]:
    chosen = [p.strip() for p in value.split(",") if p.strip()]
    unknown = sorted(set(chosen) - set(allowed))
    if unknown or not chosen:
        parser.error(f"{option}: unknown {', '.join(unknown) or 'nothing'}; choose from {', '.join(allowed)}")
    return chosen


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        return run(args)
    except RuntimeError as exc:  # a server that would not start or answered wrongly, wrk failing
        print(f"error: {exc}", file=sys.stderr)
        return 1


def measure_endtoend(args: argparse.Namespace, pin: bool) -> dict[str, Any]:
    results = {}
    for server in endtoend.servers():
        progress(f"end to end: {server.name}...")
        results[server.name] = endtoend.measure_server(
            server, args.concurrency, args.duration, args.warmup, pin
        )
    return results


def measure_workers(args: argparse.Namespace) -> dict[str, Any]:
    """This service with 1 and 2 uvicorn workers, unpinned (with 2 cores, wrk shares them)."""
    service = next(s for s in endtoend.servers() if s.name == endtoend.SERVICE)
    return {
        str(count): endtoend.measure_server(
            service, [max(args.concurrency)], args.duration, args.warmup, False, count, ("POST",)
        )
        for count in (1, 2)
    }


def run(args: argparse.Namespace) -> int:
    started = time.monotonic()
    if args.profile:
        print(profile_service(args.requests))
        return 0

    problems = inprocess.check_apps() + inprocess.check_scaling_configs() + dynamic.check()
    if "hostile" in args.parts:
        problems += hostile.check_cases()
    if "protection" in args.parts:
        problems += protection.check()
    if problems:
        print(
            "error: the apps do not answer as the benchmark expects:", *problems, sep="\n  ", file=sys.stderr
        )
        return 1
    pin = (os.cpu_count() or 1) >= 2 and shutil.which("taskset") is not None
    results: dict[str, Any] = {
        "machine": machine(),
        "settings": {
            "parts": args.parts,
            "requests_per_run": args.requests,
            "repeats": args.repeats,
            "duration_s": args.duration,
            "warmup_s": args.warmup,
            "rounds": args.rounds,
            "runs": args.runs,
            "modes": args.modes,
            "connections": args.connections,
            "concurrency": args.concurrency,
            "pinned": pin,
        },
    }
    measure = {
        "inprocess": lambda: inprocess.measure_apps(args.requests, args.repeats),
        "hostile": lambda: hostile.measure_hostile(args.requests, args.repeats, progress),
        "scaling": lambda: inprocess.measure_scaling(args.requests, args.repeats),
        "profiles": lambda: profiles.measure_profiles(args.requests, args.repeats),
        "protection": lambda: protection.measure_protection(args.requests, args.repeats),
        "dynamic": lambda: dynamic.measure(args.requests, args.repeats),
        "ratios": lambda: ratios.measure_ratios(
            args.modes, args.rounds, args.runs, args.duration, args.warmup, args.connections, pin, progress
        ),
        "endtoend": lambda: measure_endtoend(args, pin),
        "workers": lambda: measure_workers(args),
    }
    seconds = {}
    for part in PARTS:
        if part in args.parts:
            progress(f"{part}...")
            began = time.monotonic()
            results[part] = measure[part]()
            seconds[part] = round(time.monotonic() - began)
    results["targets"] = report.targets(results)
    results["elapsed_s"] = {"total": round(time.monotonic() - started), **seconds}

    print(report.render_text(results))
    if "profiles" in results:
        print(profiles.render_text(results["profiles"]))
    if "protection" in results:
        print("\n" + protection.render_text(results["protection"]))
    if "dynamic" in results:
        print(dynamic.render_text(results["dynamic"]))
    args.out.mkdir(parents=True, exist_ok=True)
    markdown = report.render_markdown(results)
    if "dynamic" in results:
        markdown += dynamic.render_markdown(results["dynamic"])
    (args.out / "results.json").write_text(json.dumps(results, indent=2) + "\n")
    (args.out / "results.md").write_text(markdown)
    report.chart(results, args.out / "chart.png")
    if args.docs:
        update_docs(markdown, ROOT / "docs" / "performance.md")
    progress(
        f"\nwrote {args.out}/results.json, results.md, chart.png"
        + (" and docs/performance.md" if args.docs else "")
        + f" ({time.monotonic() - started:.0f} s)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

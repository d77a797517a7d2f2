"""End to end, interleaved and repeated: the service's requests/s divided by each peer's, every
server of a mode started with the same settings.

This machine's noise moves absolute req/s by 2x from one minute to the next, so only ratios taken
close together count. A run starts every server of a mode (each pinned to core 0, wrk to core 1, as
in bench/endtoend.py), checks their answers, warms each up (wrk for --warmup s, the request kinds
alternating), then measures rounds: in each round, for each request kind, each server in turn for
--duration s (A B C, A B C, ...). A server's figure in a run is the median of its rounds; a ratio is
the service's figure over the peer's from the same run. Over the runs: each ratio's median and range
(min-max), and each server's median req/s.

Modes:
- plain uvicorn: `uvicorn APP --http httptools --loop uvloop --no-access-log`;
- the guarded protocol: the service as `python -m service --loop uvloop --no-access-log` (which adds
  the deployed defaults: its guarded HTTP protocol, the graceful-shutdown timeout, no Server header),
  every peer under uvicorn with those same defaults, read from service.deployed.

Every server gets the service's production environment (the guarded protocol reads the settings).
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from typing import Any

from bench import peers, workload
from bench.endtoend import (
    FLASK_SYNC,
    Server,
    check_answers,
    gunicorn_argv,
    run_wrk,
    service_argv,
    started,
    uvicorn_argv,
)
from bench.inprocess import KINDS, REQUESTS
from service import UVICORN_DEFAULTS, option_words
from testing_support import PYTHON

SERVICE = "this service"
CEILING = "Starlette router (ceiling)"
# The service's own work for the benchmark's two requests with no framework at all (JSON parsed and
# written, the policy checked): what any implementation of the contract pays on top of the server.
FLOOR = "floor (bare ASGI)"
NAIVE = "naive Starlette + stock CORSMiddleware"

COMMON = ("--loop", "uvloop", "--no-access-log", "--log-level", "warning")


def deployed_options() -> list[str]:
    """`python -m service`'s defaults as uvicorn options (`--http ...`, `--no-server-header`)."""
    return [word for name, (value, _why) in UVICORN_DEFAULTS.items() for word in option_words(name, value)]


@dataclass(frozen=True)
class Mode:
    name: str
    uvicorn: tuple[str, ...]  # the options every app served by uvicorn gets, besides COMMON
    service: Callable[[int], list[str]]  # the service's command line for a port
    flask: bool  # whether Flask + Flask-CORS under gunicorn sync is a peer (POST only)

    def servers(self) -> list[tuple[Server, tuple[str, ...]]]:
        """(server, the request kinds it is measured on), the service first."""
        env, options = peers.service_env(), (*self.uvicorn, *COMMON)
        servers = [
            (Server(SERVICE, self.service, env), KINDS),
            (Server(CEILING, uvicorn_argv("bench.ceiling:app", *options), env), KINDS),
            (Server(FLOOR, uvicorn_argv("bench.floor:app", *options), env), KINDS),
            (Server(NAIVE, uvicorn_argv("bench.starlette_peer:app", *options), env), KINDS),
        ]
        if self.flask:
            servers.append((Server(FLASK_SYNC, gunicorn_argv("--worker-class", "sync"), env), ("POST",)))
        return servers

    def commands(self) -> dict[str, str]:
        """The service's command line and its peers', for the record."""
        service = " ".join(self.service(8000)).replace(PYTHON, "python")
        return {"service": service, "peers": " ".join(("uvicorn APP", *self.uvicorn, *COMMON))}


def modes() -> dict[str, Mode]:
    plain = ("--http", "httptools")
    return {
        "plain": Mode(
            "plain uvicorn",
            plain,
            uvicorn_argv("service.app:create_app", "--factory", *plain, *COMMON),
            flask=True,
        ),
        "guarded": Mode(
            "guarded protocol",
            tuple(deployed_options()),
            service_argv(*COMMON),
            flask=False,
        ),
    }


def measure_run(
    mode: Mode, rounds: int, duration: int, warmup: int, connections: int, pin: bool
) -> dict[str, Any]:
    """One run: every server of the mode started, checked, warmed up, then `rounds` interleaved
    rounds. Per kind and server: the wrk figures of each round and the median req/s; per kind and
    peer: the service's ratio."""
    servers = mode.servers()
    with ExitStack() as stack:
        urls = {}
        for server, _kinds in servers:
            url, _pid = stack.enter_context(started(server, pin))
            problems = check_answers(url)
            if problems:
                raise RuntimeError(f"{server.name} ({mode.name}) answers wrongly: " + "; ".join(problems))
            urls[server.name] = f"{url}{workload.PATH}"
        if warmup:
            for server, kinds in servers:
                run_wrk(urls[server.name], [REQUESTS[k] for k in kinds], connections, warmup, pin)
        figures: dict[str, dict[str, list[dict[str, Any]]]] = {kind: {} for kind in KINDS}
        for _ in range(rounds):
            for kind in KINDS:
                for server, kinds in servers:
                    if kind in kinds:
                        result = run_wrk(urls[server.name], [REQUESTS[kind]], connections, duration, pin)
                        figures[kind].setdefault(server.name, []).append(result)
    rates = {
        kind: {name: statistics.median(r["requests_per_s"] for r in runs) for name, runs in by_server.items()}
        for kind, by_server in figures.items()
    }
    ratios = {
        kind: {name: rate[SERVICE] / value for name, value in rate.items() if name != SERVICE}
        for kind, rate in rates.items()
    }
    return {"rounds": figures, "requests_per_s": rates, "ratios": ratios}


def spread(values: Sequence[float]) -> dict[str, Any]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values), "runs": list(values)}


def summarize(runs: Sequence[dict[str, Any]]) -> dict[str, Any]:
    """Over the runs: per kind and peer, the ratio's median and range; per kind and server, the
    median req/s and the wrk errors (all rounds of all runs)."""
    first = runs[0]
    return {
        "ratio": {
            kind: {name: spread([run["ratios"][kind][name] for run in runs]) for name in ratios}
            for kind, ratios in first["ratios"].items()
        },
        "requests_per_s": {
            kind: {
                name: statistics.median(run["requests_per_s"][kind][name] for run in runs) for name in rates
            }
            for kind, rates in first["requests_per_s"].items()
        },
        "errors": {
            kind: {
                name: sum(r["errors"] for run in runs for r in run["rounds"][kind][name]) for name in rates
            }
            for kind, rates in first["requests_per_s"].items()
        },
    }


def measure_ratios(
    names: Sequence[str],
    rounds: int,
    runs: int,
    duration: int,
    warmup: int,
    connections: int,
    pin: bool,
    progress: Callable[[str], None],
) -> dict[str, Any]:
    """Per mode: every run's figures and their summary. The modes take turns run by run, so that a
    spell of load on the machine falls on both."""
    chosen = [modes()[name] for name in names]
    measured: dict[str, list[dict[str, Any]]] = {mode.name: [] for mode in chosen}
    for run in range(runs):
        for mode in chosen:
            progress(f"ratios: {mode.name}, run {run + 1} of {runs}...")
            measured[mode.name].append(measure_run(mode, rounds, duration, warmup, connections, pin))
    return {
        mode.name: {
            "commands": mode.commands(),
            "runs": measured[mode.name],
            **summarize(measured[mode.name]),
        }
        for mode in chosen
    }

"""Reloads under load: the Procfile's `web:` service as a real process on 127.0.0.1, requests
flowing over keep-alive connections while the test rewrites its .env and sends SIGHUP, RELOADS
times, alternating two policies (and once an invalid file, which must be refused). Every answer
must be exactly the old policy's or the new one's, none may be lost, and every reload must be
logged as applied (or refused).

`pytest -s tests/service/test_reload_soak.py` prints the figures."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import subprocess
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from testing_support import clean_env, free_port, serving
from tests.service.test_procfile import web_command
from tests.service.test_soak import Answer, Kind, encode, exchange, keep_alive

RELOADS = 40
DEADLINE_SECONDS = 90.0  # the whole soak's bound; it normally takes a few seconds
CONNECTIONS = 16
A = "https://app.example.com"
B = "https://partner.example.com"
JSON = "application/json"

# Policy 1 admits A; policy 2 admits A and B and caches preflights for 600 s.
ENV_FILES = {
    1: f"CORS_ORIGINS={A}\n",
    2: f"CORS_ORIGINS={A},{B}\nCORS_MAX_AGE=600\n",
}
INVALID = "CORS_ORIGINS=*\nCORS_MAX_AGE=soon\n"  # refused in production (wildcard, not a number)
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
PREFLIGHT_ANSWER = {
    "access-control-allow-headers": "content-type",
    "access-control-allow-methods": "DELETE, GET, POST, PUT",
}


def post(origin: str) -> Kind:
    return Kind(
        "POST", {"Origin": origin, "Content-Type": JSON}, b'{"inputVar": 2}', 200, b'{"result":4}', {}
    )


def preflight(origin: str) -> Kind:
    return Kind("OPTIONS", {"Origin": origin, **PREFLIGHT}, b"", 200, b"", {})


KINDS = {"A": post(A), "B": post(B), "A preflight": preflight(A), "B preflight": preflight(B)}
# Each kind's CORS headers under each policy (several configured origins: Vary: Origin).
EXPECTED: dict[str, dict[int, dict[str, str]]] = {
    "A": {1: {"access-control-allow-origin": A}, 2: {"access-control-allow-origin": A, "vary": "Origin"}},
    "B": {1: {}, 2: {"access-control-allow-origin": B, "vary": "Origin"}},
    "A preflight": {
        1: {"access-control-allow-origin": A, **PREFLIGHT_ANSWER},
        2: {
            "access-control-allow-origin": A,
            **PREFLIGHT_ANSWER,
            "access-control-max-age": "600",
            "vary": "Origin",
        },
    },
    "B preflight": {
        1: {},
        2: {
            "access-control-allow-origin": B,
            **PREFLIGHT_ANSWER,
            "access-control-max-age": "600",
            "vary": "Origin",
        },
    },
}


@dataclass
class Tally:
    done: Counter[str] = field(default_factory=Counter)
    policies: Counter[int] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)


# Production turns the cross-origin protection on, trusting the CORS origins: under policy 1 B's
# POST is refused before it runs; the reload to policy 2 makes B trusted too.
REFUSED = {("B", 1): (403, b'{"error":"cross-origin request refused"')}


def policy_of(name: str, status: int, body: bytes, cors: list[tuple[str, str]]) -> int | None:
    """The policy the answer is exactly consistent with, None for none."""
    kind = KINDS[name]
    for policy, headers in EXPECTED[name].items():
        refused = REFUSED.get((name, policy))
        if refused is not None:
            answered = status == refused[0] and body.startswith(refused[1])
        else:
            answered = (status, body) == (kind.status, kind.answer)
        if answered and cors == sorted(headers.items()):
            return policy
    return None


async def hammer(port: int, start: int, stop: asyncio.Event, tally: Tally) -> None:
    """One connection's load until `stop`: every answer one policy's, counted by policy."""

    def judge(name: str, answer: Answer) -> None:
        status, body, cors, headers = answer
        policy = policy_of(name, status, body, cors)
        if policy is None or ("connection", "close") in headers:
            if len(tally.wrong) < 10:
                tally.wrong.append(f"{name}: {(status, body, headers)!r}")
        else:
            tally.policies[policy] += 1
        tally.done[name] += 1

    await keep_alive(port, KINDS, start, lambda: not stop.is_set(), tally.errors, judge)


@contextlib.contextmanager
def serving_logged(
    directory: Path, port: int, env: dict[str, str], log: Path
) -> Iterator[subprocess.Popen[bytes]]:
    """The Procfile's web command run in `directory` (its .env the one the test rewrites) until the
    block ends, its output in `log`, which the test reads for the reload lines."""
    with (
        log.open("wb") as output,
        serving(
            ["bash", "-c", web_command()], f"http://127.0.0.1:{port}/healthz", env=env, cwd=directory,
            output=output.fileno(),
        ) as process,
    ):  # fmt: skip
        yield process


def write_env(directory: Path, text: str) -> None:
    """Replace .env at once: a reload never reads half a file."""
    partial = directory / ".env.partial"
    partial.write_text(text)
    os.replace(partial, directory / ".env")


async def wait_for_log(log: Path, needle: str, count: int, deadline: float) -> None:
    while log.read_text(errors="replace").count(needle) < count:
        if time.monotonic() > deadline:
            raise AssertionError(f"{needle!r} logged fewer than {count} times")
        await asyncio.sleep(0.01)


async def test_reloads_under_load_answer_every_request_by_one_policy(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="1", APP_ENV="production")
    write_env(tmp_path, ENV_FILES[1])
    log = tmp_path / "server.log"
    deadline = time.monotonic() + DEADLINE_SECONDS
    tally = Tally()
    with serving_logged(tmp_path, port, env, log) as process:
        stop = asyncio.Event()
        load = asyncio.gather(*(hammer(port, n, stop, tally) for n in range(CONNECTIONS)))
        try:
            applied = refused = 0
            for n in range(RELOADS):
                await asyncio.sleep(0.05)  # requests flow under each policy
                if n == RELOADS // 2:
                    write_env(tmp_path, INVALID)
                    process.send_signal(signal.SIGHUP)
                    refused += 1
                    await wait_for_log(log, "reload refused", refused, deadline)
                    continue
                write_env(tmp_path, ENV_FILES[2 if applied % 2 == 0 else 1])  # the other policy
                process.send_signal(signal.SIGHUP)
                applied += 1
                await wait_for_log(log, "reload: CORS policy", applied, deadline)
            await asyncio.sleep(0.2)
        finally:
            stop.set()
            await load
        assert process.poll() is None  # still serving
    output_text = log.read_text(errors="replace")

    done = sum(tally.done.values())
    print(f"\nreload soak: {done} requests, {applied} reloads, {refused} refused; {dict(tally.policies)}")
    assert tally.errors == [], f"{len(tally.errors)} transport errors, e.g. {tally.errors[:5]}"
    assert tally.wrong == [], tally.wrong
    assert tally.policies[1] > 0
    assert tally.policies[2] > 0
    assert output_text.count("reload: CORS policy replaced") == applied
    assert "[E005]" in output_text  # the refusal names its problems, as start-up does
    assert "[E009]" in output_text
    assert "Traceback" not in output_text
    assert '" 5' not in output_text  # no access-log line with a 5xx status


async def test_the_documented_command_reloads_every_worker_in_place(tmp_path: Path) -> None:
    """Under uvicorn's supervisor (two workers), docs/dynamic-origins.md's pkill reaches each worker,
    and each swaps its policy without restarting (same worker processes before and after)."""
    port = free_port()
    env = clean_env(HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="2", APP_ENV="production")
    write_env(tmp_path, ENV_FILES[1])
    log = tmp_path / "server.log"
    deadline = time.monotonic() + DEADLINE_SECONDS
    with serving_logged(tmp_path, port, env, log) as process:
        await wait_for_log(log, "Application startup complete", 2, deadline)
        workers = workers_of(process.pid)
        assert len(workers) == 2
        write_env(tmp_path, ENV_FILES[2])
        command = ["pkill", "-HUP", "-P", str(process.pid), "-f", "multiprocessing.spawn"]
        assert subprocess.run(command, check=False, timeout=10).returncode == 0
        await wait_for_log(log, "reload: CORS policy replaced", 2, deadline)
        answers = set()
        for _ in range(20):  # keep-alive off: each request may reach either worker
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
            try:
                _, _, cors, _ = await exchange(reader, writer, encode(KINDS["B"], port))
            finally:
                writer.close()
                await writer.wait_closed()
            answers.add(tuple(cors))
        assert workers_of(process.pid) == workers
    assert answers == {tuple(sorted(EXPECTED["B"][2].items()))}


def workers_of(pid: int) -> set[int]:
    """The supervisor's worker processes (their command line runs multiprocessing's spawn)."""
    found = subprocess.run(
        ["pgrep", "-P", str(pid), "-f", "multiprocessing.spawn"], capture_output=True, text=True, check=False
    )
    return {int(line) for line in found.stdout.split()}

"""SIGTERM during load, against the Procfile's `web:` command as a real process on 127.0.0.1, with
one worker and with two (WEB_CONCURRENCY).

What a graceful shutdown owes: every request the server had *accepted* when the signal came gets its
normal answer. Accepted means sent completely before the signal (the bytes were in the server's
socket), or, for a request still sending its body, that the server had its headers: uvicorn then
has a request cycle for it and finishes it, answering with `Connection: close`. What it does not
owe: an answer to a request sent after the signal on a connection the server has closed.

uvicorn (server.py) notices the signal at its next 0.1 s tick (the supervisor of several workers
polls every 0.5 s and forwards SIGTERM to each worker), stops listening, closes the connections
that have no request in progress (dropping any bytes it has not read yet: the tick is what lets a
request sent before the signal be read first), lets busy ones finish, then waits for them with no
limit of its own unless `--timeout-graceful-shutdown` is given: a client that never finishes its
body holds the process until the app gives up on it or the platform's SIGKILL."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import subprocess
import time
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from service.deployed import GRACEFUL_SHUTDOWN_SECONDS as GRACEFUL_SHUTDOWN_SECONDS_DEFAULT
from service.deployed import UVICORN_DEFAULTS
from service.server import SHUTDOWN_DRAIN_SECONDS
from settings.base import BaseAppSettings
from testing_support import clean_env, free_port, serving
from tests.service.test_procfile import web_command

ORIGIN = "https://app.example.com"
BODY = b'{"inputVar": 2}'
ANSWER = (200, b'{"result":4}')
LOAD_CONNECTIONS = 32
SLOW_REQUESTS = 4
LOAD_BEFORE_SIGNAL = 1.0  # seconds of load before SIGTERM
# The slow requests finish their bodies this long after the signal: by then every worker has begun
# its shutdown (the supervisor forwards the signal within 0.5 s, a worker notices it within 0.1 s).
SLOW_BODY_DELAY = 1.5
# From the signal to the exit with nothing stalled: the 1.5 s above, the supervisor's 0.5 s poll,
# uvicorn's 0.1 s ticks and sleeps, the interpreter's exit; the rest is room for a loaded machine.
SHUTDOWN_BOUND = 10.0
ANSWER_TIMEOUT = 20.0  # a request not answered by then is never answered
# The graceful timeout the stalled-client tests run with (uvicorn's variable overrides the
# service's default); and the room, on top of it, for the rest of the exit (as above).
GRACEFUL_SHUTDOWN_SECONDS = 2
EXIT_ROOM = 5.0


Answer = tuple[int, bytes, list[tuple[str, str]]]  # status, body, header lines (lower-case names)


def request(port: int) -> bytes:
    return (
        f"POST /api/foo HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nOrigin: {ORIGIN}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(BODY)}\r\n\r\n"
    ).encode() + BODY


async def read_answer(reader: asyncio.StreamReader) -> Answer:
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").removesuffix("\r\n\r\n").split("\r\n")
    headers = [(name.lower(), value.strip()) for name, _, value in (line.partition(":") for line in lines)]
    body = await reader.readexactly(int(dict(headers)["content-length"]))
    return int(status_line.split(" ")[1]), body, headers


@dataclass
class Outcome:
    sent: float  # time.monotonic() once the whole request was in the kernel
    answer: tuple[int, bytes] | None = None
    closing: bool = False  # the answer said Connection: close
    error: str | None = None


async def keep_posting(port: int, outcomes: list[Outcome]) -> None:
    """Valid requests, one after the other on one keep-alive connection, until the server closes it."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while True:
            try:
                writer.write(request(port))
                await writer.drain()
            except OSError:  # the server had closed the connection: this request was never sent
                return
            outcome = Outcome(time.monotonic())
            outcomes.append(outcome)
            try:
                status, body, headers = await asyncio.wait_for(read_answer(reader), ANSWER_TIMEOUT)
            except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
                outcome.error = repr(exc)
                return
            outcome.answer = (status, body)
            outcome.closing = ("connection", "close") in headers
            if outcome.closing:
                return
    finally:
        writer.close()
        with contextlib.suppress(OSError):  # a reset is the outcome's business, recorded above
            await writer.wait_closed()


async def send_slowly(port: int, rest_after: asyncio.Event | None) -> Answer | str:
    """Headers and the start of the body now, the rest once `rest_after` is set (None: never); the
    answer, or what went wrong instead."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        whole = request(port)
        writer.write(whole[:-5])
        await writer.drain()
        if rest_after is not None:
            await rest_after.wait()
            writer.write(whole[-5:])
            await writer.drain()
        return await asyncio.wait_for(read_answer(reader), ANSWER_TIMEOUT)
    except (OSError, asyncio.IncompleteReadError, TimeoutError) as exc:
        return repr(exc)
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()


def start_env(port: int, workers: int, **extra: str) -> dict[str, str]:
    return clean_env(
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY=str(workers),
        APP_ENV="production",
        CORS_ORIGINS=ORIGIN,
        **extra,
    )


async def wait_for_exit(process: subprocess.Popen[bytes], since: float, bound: float) -> float | None:
    """Seconds from `since` until `process` exited, or None if it still runs `bound` s after `since`."""
    while process.poll() is None:
        if time.monotonic() - since > bound:
            return None
        await asyncio.sleep(0.05)
    return time.monotonic() - since


@contextlib.asynccontextmanager
async def procfile_server(
    tmp_path: Path, workers: int, **extra: str
) -> AsyncIterator[tuple[int, subprocess.Popen[bytes], Path]]:
    """The Procfile's web command on a free port: (port, process, its log file)."""
    port = free_port()
    log = tmp_path / "server.log"
    with (
        log.open("wb") as output,
        serving(
            ["bash", "-c", web_command()],
            f"http://127.0.0.1:{port}/healthz",
            env=start_env(port, workers, **extra),
            cwd=tmp_path,
            output=output.fileno(),
        ) as process,
    ):
        yield port, process, log


async def stall_and_terminate(
    port: int, process: subprocess.Popen[bytes], bound: float
) -> tuple[float | None, Answer | str]:
    """Start an upload whose body never ends, SIGTERM the server once it has the headers: the
    seconds until the exit (None: not within `bound`) and what the upload got."""
    stalled = asyncio.create_task(send_slowly(port, None))
    await asyncio.sleep(0.5)  # the server has its headers: a request cycle is open
    signalled = time.monotonic()
    process.send_signal(signal.SIGTERM)
    exited_after = await wait_for_exit(process, signalled, bound)
    return exited_after, await stalled


@pytest.mark.parametrize("workers", [1, 2])
async def test_sigterm_answers_every_accepted_request_and_exits(workers: int, tmp_path: Path) -> None:
    async with procfile_server(tmp_path, workers) as (port, process, log):
        outcomes: list[Outcome] = []
        finish_bodies = asyncio.Event()
        slow = [asyncio.create_task(send_slowly(port, finish_bodies)) for _ in range(SLOW_REQUESTS)]
        load = [asyncio.create_task(keep_posting(port, outcomes)) for _ in range(LOAD_CONNECTIONS)]
        await asyncio.sleep(LOAD_BEFORE_SIGNAL)
        signalled = time.monotonic()
        process.send_signal(signal.SIGTERM)
        await asyncio.sleep(SLOW_BODY_DELAY)
        finish_bodies.set()
        bodies_done = time.monotonic()
        slow_answers = await asyncio.gather(*slow)
        await asyncio.gather(*load)
        exited_after = await wait_for_exit(process, signalled, SHUTDOWN_BOUND)
    output_text = log.read_text(errors="replace")

    before = [o for o in outcomes if o.sent < signalled]
    after = [o for o in outcomes if o.sent >= signalled]
    print(
        f"\n{workers} worker(s): {len(before)} requests sent before SIGTERM, {len(after)} after "
        f"({sum(o.answer is not None for o in after)} of those answered); exit "
        f"{exited_after if exited_after is None else f'{exited_after:.2f} s'} after the signal, "
        f"{exited_after and exited_after - (bodies_done - signalled):.2f} s after the slow bodies ended"
    )
    assert exited_after is not None, f"still running {SHUTDOWN_BOUND} s after SIGTERM:\n{output_text}"
    assert process.returncode == 0, output_text
    assert len(before) > LOAD_CONNECTIONS
    lost = [(round(o.sent - signalled, 3), o.answer, o.error) for o in before if o.answer != ANSWER]
    assert lost == [], f"{len(lost)} requests sent before the signal not answered normally:\n{output_text}"
    # After the signal: the normal answer or a closed connection, never another status.
    assert all(o.answer in (None, ANSWER) for o in after)
    for answer in slow_answers:  # in flight at the signal: finished, then the connection closed
        assert not isinstance(answer, str), answer
        assert answer[:2] == ANSWER
        assert ("connection", "close") in answer[2]
    assert output_text.count("Finished server process") == workers
    assert "Traceback" not in output_text
    assert "ERROR" not in output_text


def test_the_service_has_a_graceful_timeout_longer_than_the_body_deadline() -> None:
    # An upload still arriving at SIGTERM then gets the app's 408 before uvicorn cancels anything.
    assert BaseAppSettings.model_fields["body_timeout"].default < GRACEFUL_SHUTDOWN_SECONDS_DEFAULT
    assert UVICORN_DEFAULTS["timeout_graceful_shutdown"][0] == GRACEFUL_SHUTDOWN_SECONDS_DEFAULT


@pytest.mark.parametrize("workers", [1, 2])
async def test_a_stalled_request_does_not_hold_the_exit(workers: int, tmp_path: Path) -> None:
    grace = GRACEFUL_SHUTDOWN_SECONDS
    # Only the graceful timeout may end the stalled request: not the app's body deadline.
    extra = {"UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN": str(grace), "BODY_TIMEOUT": "600"}
    async with procfile_server(tmp_path, workers, **extra) as (port, process, log):
        exited_after, stalled_answer = await stall_and_terminate(port, process, grace + EXIT_ROOM)
    output_text = log.read_text(errors="replace")

    print(
        f"\n{workers} worker(s), graceful timeout {grace} s: exit "
        f"{exited_after if exited_after is None else f'{exited_after:.2f} s'} after SIGTERM; "
        f"the stalled client got {stalled_answer if isinstance(stalled_answer, str) else stalled_answer[:2]}"
    )
    assert exited_after is not None, f"still running {grace + EXIT_ROOM} s after SIGTERM:\n{output_text}"
    assert exited_after >= grace  # it did wait for the request in flight
    assert process.returncode == 0, output_text
    assert "Cancel 1 running task(s), timeout graceful shutdown exceeded" in output_text
    # The stalled request was never accepted (its body never came): it gets no normal answer. uvicorn
    # cancels its task, answers 500 and logs the CancelledError's traceback (a 503 would be apter).
    assert isinstance(stalled_answer, str) or stalled_answer[0] >= 400


@pytest.mark.parametrize("workers", [1, 2])
async def test_a_stalled_upload_gets_408_before_the_graceful_timeout(workers: int, tmp_path: Path) -> None:
    # As deployed, BODY_TIMEOUT is shorter than the graceful timeout (scaled down here: 1 s < 2 s):
    # the app answers the stalled upload itself, so nothing is cancelled and nothing logs an error.
    extra = {"UVICORN_TIMEOUT_GRACEFUL_SHUTDOWN": str(GRACEFUL_SHUTDOWN_SECONDS), "BODY_TIMEOUT": "1"}
    async with procfile_server(tmp_path, workers, **extra) as (port, process, log):
        exited_after, stalled_answer = await stall_and_terminate(
            port, process, GRACEFUL_SHUTDOWN_SECONDS + EXIT_ROOM
        )
    output_text = log.read_text(errors="replace")
    assert exited_after is not None, output_text
    assert process.returncode == 0, output_text
    assert not isinstance(stalled_answer, str), stalled_answer
    assert stalled_answer[0] == 408
    assert "Cancel" not in output_text
    assert "Traceback" not in output_text


async def test_an_idle_connection_is_drained_before_it_is_closed(tmp_path: Path) -> None:
    # A request sent on an idle keep-alive connection just after the shutdown began (uvicorn's tick:
    # within 0.1 s of the signal) is still answered, with Connection: close, within the server's
    # drain; plain uvicorn closes the connection at once and the request is lost.
    async with procfile_server(tmp_path, 1) as (port, process, _):
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        try:
            writer.write(request(port))
            assert (await asyncio.wait_for(read_answer(reader), ANSWER_TIMEOUT))[:2] == ANSWER
            process.send_signal(signal.SIGTERM)
            await asyncio.sleep(SHUTDOWN_DRAIN_SECONDS / 2)
            writer.write(request(port))
            status, body, headers = await asyncio.wait_for(read_answer(reader), ANSWER_TIMEOUT)
            assert (status, body) == ANSWER
            assert ("connection", "close") in headers
            assert await reader.read() == b""  # then closed
        finally:
            writer.close()
            with contextlib.suppress(OSError):
                await writer.wait_closed()
        assert await wait_for_exit(process, time.monotonic(), SHUTDOWN_BOUND) is not None
        assert process.returncode == 0

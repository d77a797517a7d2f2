"""A bounded soak of the deployed service: the Procfile's `web:` command as a real process on
127.0.0.1, 64 concurrent keep-alive connections for SOAK_SECONDS, a mix of valid and refused
requests. Every answer must be exactly the one its kind expects, nothing may fail at the transport
level, and the process tree's resident memory must stay flat after a warm-up.

`pytest -s tests/service/test_soak.py` prints the figures; `SOAK_SECONDS=300` soaks longer."""

from __future__ import annotations

import asyncio
import os
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from testing_support import clean_env, free_port, serving
from tests.service.test_procfile import web_command

SOAK_SECONDS = float(os.environ.get("SOAK_SECONDS", "20"))  # read once, here
WARM_UP_SECONDS = 3.0  # imports, the CORS engine's decision memo and the allocator's arenas fill up
CONNECTIONS = 64
WORKERS = 2  # so that "the process tree" is a tree: uvicorn's supervisor and its workers
# A per-request leak shows as growth proportional to the request count: a 20 s soak makes tens of
# thousands of requests, so even a few hundred bytes each would pass 20 MiB. What legitimately
# grows after the warm-up (the engine's memo is a bounded LRU, allocator fragmentation, the
# interpreter's free lists) stays within a few MiB.
RSS_GROWTH_LIMIT_KIB = 20 * 1024
MAX_BODY_BYTES = 64
ORIGIN = "https://app.example.com"
EVIL = "https://evil.example"
JSON = "application/json"


@dataclass(frozen=True)
class Kind:
    """One kind of request and the exact answer it must get."""

    method: str
    headers: dict[str, str]
    body: bytes
    status: int
    answer: bytes
    cors: dict[str, str]  # every Access-Control-* and Vary header of the answer, lower-case names
    chunked: bool = False  # send the body chunked, without a Content-Length


ALLOWED = {"access-control-allow-origin": ORIGIN}
REFUSED = (
    b'{"error":"cross-origin request refused",'
    b'"reason":"Origin does not match Host, and Sec-Fetch-Site is missing"}'
)
FROM_ORIGIN = {"Origin": ORIGIN, "Content-Type": JSON}
PREFLIGHT = {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"}
TOO_BIG = b'{"inputVar": "' + b"x" * (4 * MAX_BODY_BYTES) + b'"}'
TOO_BIG_ANSWER = b'{"error":"request body exceeds the limit of %d bytes"}' % MAX_BODY_BYTES
ALLOWED_PREFLIGHT = {
    **ALLOWED,
    "access-control-allow-headers": "content-type",
    "access-control-allow-methods": "DELETE, GET, POST, PUT",
}
KINDS = {
    "valid": Kind("POST", FROM_ORIGIN, b'{"inputVar": 2}', 200, b'{"result":4}', ALLOWED),
    "preflight": Kind("OPTIONS", {"Origin": ORIGIN, **PREFLIGHT}, b"", 200, b"", ALLOWED_PREFLIGHT),
    # Refused by the cross-origin protection (on in production) before it runs.
    "disallowed origin": Kind("POST", {**FROM_ORIGIN, "Origin": EVIL}, b'{"inputVar": 2}', 403, REFUSED, {}),
    "disallowed preflight": Kind("OPTIONS", {"Origin": EVIL, **PREFLIGHT}, b"", 200, b"", {}),
    "malformed JSON": Kind(
        "POST",
        FROM_ORIGIN,
        b'{"inputVar": ',
        400,
        b'{"error":"malformed JSON: Expecting value: line 1 column 14 (char 13)"}',
        ALLOWED,
    ),
    "wrong content type": Kind(
        "POST",
        {**FROM_ORIGIN, "Content-Type": "text/plain"},
        b'{"inputVar": 2}',
        415,
        b'{"error":"Content-Type must be application/json (or application/*+json)"}',
        ALLOWED,
    ),
    # Refused from the declared length, before the body is read; the body still arrives after.
    "over the limit": Kind("POST", FROM_ORIGIN, TOO_BIG, 413, TOO_BIG_ANSWER, ALLOWED),
    # Refused while streaming, once the limit is passed; the rest of the chunks still arrive.
    "over the limit, chunked": Kind("POST", FROM_ORIGIN, TOO_BIG, 413, TOO_BIG_ANSWER, ALLOWED, chunked=True),
}
NAMES = list(KINDS)


@dataclass
class Tally:
    done: Counter[str] = field(default_factory=Counter)
    wrong: list[str] = field(default_factory=list)  # the first few mismatches, for the message
    wrong_count: int = 0
    errors: list[str] = field(default_factory=list)


def encode(kind: Kind, port: int) -> bytes:
    headers = {"Host": f"127.0.0.1:{port}", **kind.headers}
    body = kind.body
    if kind.chunked:
        headers["Transfer-Encoding"] = "chunked"
        body = b"".join(b"%x\r\n%s\r\n" % (len(part), part) for part in (body[:40], body[40:], b""))
    else:
        headers["Content-Length"] = str(len(body))
    head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
    return f"{kind.method} /api/foo HTTP/1.1\r\n{head}\r\n".encode() + body


async def exchange(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> tuple[int, bytes, list[tuple[str, str]], list[tuple[str, str]]]:
    """One request on a keep-alive connection: status, body, the CORS header lines (sorted; a
    repeated header shows twice), all header lines."""
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").removesuffix("\r\n\r\n").split("\r\n")
    headers = [(name.lower(), value.strip()) for name, _, value in (line.partition(":") for line in lines)]
    body = await reader.readexactly(int(dict(headers)["content-length"]))
    cors = sorted((n, v) for n, v in headers if n.startswith("access-control-") or n == "vary")
    return int(status_line.split(" ")[1]), body, cors, headers


Answer = tuple[int, bytes, list[tuple[str, str]], list[tuple[str, str]]]  # as `exchange` returns it


async def keep_alive(
    port: int,
    kinds: Mapping[str, Kind],
    start: int,
    running: Callable[[], bool],
    errors: list[str],
    judge: Callable[[str, Answer], None],
) -> None:
    """One keep-alive connection's load while `running()`: the kinds in turn, from a different
    starting point per connection, each answer handed to `judge`; a transport error ends the
    connection, noted in `errors`. Raw HTTP/1.1 over asyncio streams: an httpx client would be the
    bottleneck here (its pool serialises 64 tasks, and it costs several times the server's time per
    request)."""
    names = list(kinds)
    requests = {name: encode(kind, port) for name, kind in kinds.items()}
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        i = start
        while running():
            name = names[i % len(names)]
            i += 1
            try:
                answer = await exchange(reader, writer, requests[name])
            except (OSError, asyncio.IncompleteReadError, asyncio.LimitOverrunError) as exc:
                errors.append(f"{name}: {exc!r}")
                return
            judge(name, answer)
    finally:
        writer.close()
        await writer.wait_closed()


async def hammer(port: int, start: int, deadline: float, tally: Tally) -> None:
    """One connection's load until `deadline`: every answer exactly its kind's."""

    def judge(name: str, answer: Answer) -> None:
        status, body, cors, headers = answer
        kind = KINDS[name]
        if (status, body, cors) != (kind.status, kind.answer, sorted(kind.cors.items())) or (
            "connection",
            "close",
        ) in headers:
            tally.wrong_count += 1
            if len(tally.wrong) < 10:
                tally.wrong.append(f"{name}: {(status, body, headers)!r}")
        tally.done[name] += 1

    await keep_alive(port, KINDS, start, lambda: time.monotonic() < deadline, tally.errors, judge)


async def load(port: int, seconds: float) -> Tally:
    tally = Tally()
    deadline = time.monotonic() + seconds
    await asyncio.gather(*(hammer(port, n, deadline, tally) for n in range(CONNECTIONS)))
    return tally


def process_tree(pid: int) -> list[int]:
    """`pid` and its descendants, from every process's parent id in /proc."""
    parents: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:  # exited meanwhile
            continue
        parents.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [pid]
    while todo:
        current = todo.pop()
        tree.append(current)
        todo.extend(parents.get(current, []))
    return tree


def rss_kib(pid: int) -> int:
    """VmRSS of `pid` and all its descendants, in KiB."""
    total = 0
    for member in process_tree(pid):
        try:
            status = Path(f"/proc/{member}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
    return total


async def test_soak_answers_every_request_exactly_and_memory_stays_flat(tmp_path: Path) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = clean_env(
        HOST="127.0.0.1",
        PORT=str(port),
        WEB_CONCURRENCY=str(WORKERS),
        APP_ENV="production",
        CORS_ORIGINS=ORIGIN,
        MAX_BODY_BYTES=str(MAX_BODY_BYTES),
    )
    log = tmp_path / "server.log"
    with (
        log.open("wb") as output,
        serving(
            ["bash", "-c", web_command()], f"{base}/healthz", env=env, cwd=tmp_path, output=output.fileno()
        ) as process,
    ):
        warm = await load(port, WARM_UP_SECONDS)
        assert sorted(warm.done) == sorted(NAMES), warm
        rss_before = rss_kib(process.pid)
        started = time.monotonic()
        tally = await load(port, SOAK_SECONDS)
        elapsed = time.monotonic() - started
        rss_after = rss_kib(process.pid)
        processes = len(process_tree(process.pid))  # the supervisor, its workers, their helpers
    output_text = log.read_text(errors="replace")

    done = sum(tally.done.values())
    print(
        f"\nsoak: {done} requests in {elapsed:.1f} s over {CONNECTIONS} connections, {WORKERS} workers: "
        f"{done / elapsed:.0f} req/s; {dict(tally.done)}\n"
        f"RSS of the process tree ({processes} processes): {rss_before / 1024:.1f} MiB after the "
        f"warm-up, {rss_after / 1024:.1f} MiB at the end ({(rss_after - rss_before) / 1024:+.1f} MiB)"
    )
    assert tally.errors == [], f"{len(tally.errors)} transport errors, e.g. {tally.errors[:5]}"
    assert tally.wrong_count == 0, f"{tally.wrong_count} wrong answers, e.g. {tally.wrong}"
    assert all(tally.done[name] > 0 for name in NAMES), tally.done
    assert processes > WORKERS
    assert rss_after - rss_before <= RSS_GROWTH_LIMIT_KIB
    assert "Traceback" not in output_text
    assert '" 5' not in output_text  # no access-log line with a 5xx status

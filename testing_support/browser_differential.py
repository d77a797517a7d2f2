"""The randomized real-browser differential: seeded random cross-origin fetch() calls, run in a real
browser against a server whose answers are set per case, and through the browser model on the same
answers. The two must agree on the verdict (fetch() resolves or rejects), on whether a preflight was
sent and what its Access-Control-Request-Headers said, and on whether the actual request was sent.

A case is the page's fetch() call plus the server's two answers (to the preflight and to the actual
request), each a status and raw header lines. The server (`CaseServer`, 127.0.0.1 only) serves
`/case/<id>`, answers by the case and logs what arrived, so "a preflight was sent" is what the
server saw, for either browser. Every run of a case gets a new id, so no preflight or HTTP cache
entry carries over. On a disagreement `shrink` simplifies the case step by step while the same
disagreement persists, for a minimal reproduction.
"""

from __future__ import annotations

import http.server
import itertools
import json
import random
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from typing import Any, Literal

from cors_conformance.browser import (
    Browser,
    BrowserRequest,
    decide,
    needs_preflight,
    preflight_request_headers,
)
from testing_support.driver import Page

Line = tuple[str, str]
Credentials = Literal["omit", "same-origin", "include"]


@dataclass(frozen=True)
class Body:
    """A request body whose kind decides the Content-Type fetch() adds when the page sets none."""

    kind: Literal["text", "params", "blob"]
    type: str | None = None  # a Blob's type

    @property
    def content_type(self) -> str | None:
        if self.kind == "text":
            return "text/plain;charset=UTF-8"
        if self.kind == "params":
            return "application/x-www-form-urlencoded;charset=UTF-8"
        return self.type.lower() if self.type else None  # Blob lower-cases its (printable ASCII) type

    def js(self) -> Any:
        if self.kind == "text":
            return "x"
        if self.kind == "params":
            return {"kind": "params", "value": "a=b"}
        return {"kind": "blob", "value": "{}", "type": self.type}


@dataclass(frozen=True)
class Answer:
    status: int
    headers: tuple[Line, ...] = ()


@dataclass(frozen=True)
class Case:
    method: str = "GET"
    headers: tuple[Line, ...] = ()  # as given to fetch(), in order, repeats allowed
    credentials: Credentials = "same-origin"
    body: Body | None = None
    preflight: Answer = Answer(204)
    response: Answer = Answer(200)

    def request(self, origin: str, **local_network: Any) -> BrowserRequest:
        """The model's view of this fetch(): the Content-Type the body implies is a request header.
        `local_network`: BrowserRequest's page_space, target_space, local_network_permission."""
        headers = self.headers
        implied = self.body.content_type if self.body is not None else None
        if implied and not any(name.lower() == "content-type" for name, _ in headers):
            headers = (*headers, ("Content-Type", implied))
        credentials = self.credentials == "include"
        return BrowserRequest(origin, self.method, headers, credentials=credentials, **local_network)

    def init(self) -> dict[str, Any]:
        init: dict[str, Any] = {"method": self.method, "headers": [list(h) for h in self.headers]}
        init["credentials"] = self.credentials
        if self.body is not None:
            init["body"] = self.body.js()
        return init

    def describe(self, url: str, origin: str) -> str:
        def answer(a: Answer) -> str:
            return f"{a.status}" + "".join(f"\n      {n}: {v!r}" for n, v in a.headers)

        return (
            f"  page {origin}: fetch({json.dumps(url)}, {json.dumps(self.init())})\n"
            f"  server's answer to a preflight: {answer(self.preflight)}\n"
            f"  server's answer to the request: {answer(self.response)}"
        )


@dataclass(frozen=True)
class Outcome:
    """What happened, in the browser or in the model: comparable field by field."""

    allowed: bool
    preflight_sent: bool
    request_headers: str | None  # the preflight's Access-Control-Request-Headers
    request_sent: bool  # the actual request reached the server
    # The preflight asked for private network access (Access-Control-Request-Private-Network): no
    # browser does any more (Private Network Access gave way to Local Network Access).
    private_network_preflight: bool = False
    detail: str = field(default="", compare=False)  # the browser's error or the model's reason

    def differences(self, other: Outcome) -> tuple[str, ...]:
        return tuple(
            name
            for name in (
                "allowed",
                "preflight_sent",
                "request_headers",
                "request_sent",
                "private_network_preflight",
            )
            if getattr(self, name) != getattr(other, name)
        )

    def __str__(self) -> str:
        preflight = (
            f"preflight sent (Access-Control-Request-Headers: {self.request_headers})"
            if self.preflight_sent
            else "no preflight"
        )
        sent = "request sent" if self.request_sent else "request not sent"
        return f"{'allowed' if self.allowed else 'blocked'}; {preflight}; {sent}; {self.detail}"


# --- the server ----------------------------------------------------------------------------------

PAGE_HTML = b"<!doctype html><title>cross-origin differential</title>"


@dataclass
class Arrived:
    preflights: list[dict[str, str]] = field(default_factory=list)  # lower-case names
    requests: int = 0


class CaseServer:
    """Answers `/case/<id>` as its case says and logs what arrived; `/` is a blank page."""

    def __init__(self) -> None:
        self.cases: dict[str, Case] = {}
        self.arrived: dict[str, Arrived] = {}
        self._lock = threading.Lock()
        self._ids = itertools.count()

    def add(self, case: Case) -> str:
        with self._lock:
            case_id = str(next(self._ids))
            self.cases[case_id] = case
            self.arrived[case_id] = Arrived()
        return case_id

    def handler(self) -> type[http.server.BaseHTTPRequestHandler]:
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def __getattr__(self, name: str) -> Any:
                if name.startswith("do_"):  # any method, also "patch" or "FOO"
                    return self.answer
                raise AttributeError(name)

            def answer(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                if length:
                    self.rfile.read(length)
                case_id = self.path.removeprefix("/case/")
                case = server.cases.get(case_id)
                if case is None:
                    self.send(Answer(200, (("Content-Type", "text/html"),)), PAGE_HTML)
                    return
                arrived = server.arrived[case_id]
                if self.command == "OPTIONS" and "Access-Control-Request-Method" in self.headers:
                    with server._lock:
                        arrived.preflights.append({k.lower(): v for k, v in self.headers.items()})
                    self.send(case.preflight)
                else:
                    with server._lock:
                        arrived.requests += 1
                    self.send(case.response)

            def send(self, answer: Answer, body: bytes = b"") -> None:
                self.send_response_only(answer.status)
                for name, value in answer.headers:
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                pass

        return Handler

    @contextmanager
    def serving(self, *ports: int) -> Iterator[list[int]]:
        """Listen on 127.0.0.1 at each port (0: any free one) until the block ends; the ports."""
        servers = [http.server.ThreadingHTTPServer(("127.0.0.1", p), self.handler()) for p in ports]
        for server in servers:
            threading.Thread(target=server.serve_forever, daemon=True).start()
        try:
            yield [int(s.server_address[1]) for s in servers]
        finally:
            for server in servers:
                server.shutdown()
                server.server_close()


# --- running cases in a browser ------------------------------------------------------------------


@dataclass(frozen=True)
class Run:
    """A browser page on `origin` making fetch() calls to the case server at `target`."""

    page: Page
    origin: str
    target: str
    server: CaseServer
    browser: Browser
    version: str = ""  # e.g. "Chromium 156.0.8078.114", for messages
    local_network: dict[str, Any] = field(default_factory=dict)  # see Case.request

    def predict(self, case: Case) -> Outcome:
        """What the model says this run will see for `case`."""
        request = case.request(self.origin, **self.local_network)
        verdict = decide(
            request,
            (case.preflight.status, case.preflight.headers),
            (case.response.status, case.response.headers),
            browser=self.browser,
        )
        if verdict.stage == "permission":  # Local Network Access: nothing leaves the browser
            return Outcome(False, False, None, False, detail=verdict.reason)
        preflighted = needs_preflight(request, browser=self.browser)
        lines = dict(preflight_request_headers(request, browser=self.browser)) if preflighted else {}
        request_sent = verdict.allowed or verdict.stage == "response"
        return Outcome(
            verdict.allowed,
            preflighted,
            lines.get("Access-Control-Request-Headers"),
            request_sent,
            detail=verdict.reason,
        )

    def outcomes(self, cases: Sequence[Case]) -> list[Outcome]:
        ids = [self.server.add(case) for case in cases]
        urls = [f"{self.target}/case/{case_id}" for case_id in ids]
        results = self.page.fetch_all([(url, case.init()) for url, case in zip(urls, cases, strict=True)])
        outcomes = []
        for case_id, result in zip(ids, results, strict=True):
            arrived = self.server.arrived.pop(case_id)
            del self.server.cases[case_id]
            preflight = arrived.preflights[0] if arrived.preflights else None
            outcomes.append(
                Outcome(
                    allowed=result["outcome"] == "response",
                    preflight_sent=preflight is not None,
                    request_headers=preflight.get("access-control-request-headers") if preflight else None,
                    request_sent=arrived.requests > 0,
                    private_network_preflight=bool(
                        preflight and "access-control-request-private-network" in preflight
                    ),
                    detail=result.get("error", f"status {result.get('status')}"),
                )
            )
        return outcomes

    def disagreements(self, cases: Sequence[Case], batch: int = 100) -> list[tuple[Case, Outcome, Outcome]]:
        """(case, browser outcome, model outcome) for every case where they differ."""
        found = []
        for start in range(0, len(cases), batch):
            chunk = cases[start : start + batch]
            for case, seen in zip(chunk, self.outcomes(chunk), strict=True):
                expected = self.predict(case)
                if seen.differences(expected):
                    found.append((case, seen, expected))
        return found

    def report(self, found: Sequence[tuple[Case, Outcome, Outcome]], *, seed: int | None, total: int) -> str:
        """A failure message: the counts, then the first disagreements, each shrunk to a minimal
        reproduction."""
        rerun = f" (seed {seed}; rerun with BROWSER_DIFF_SEED={seed})" if seed is not None else ""
        lines = [
            f"{self.version} and the model (browser={self.browser!r}) disagree on {len(found)} "
            f"of {total} cases{rerun}"
        ]
        for case, _, _ in found[:5]:
            case, seen, expected = self.shrink(case)
            lines += [
                "",
                case.describe(f"{self.target}/case/ID", self.origin),
                f"  browser: {seen}",
                f"  model:   {expected}",
            ]
        if len(found) > 5:
            lines.append(f"\n(and {len(found) - 5} more)")
        return "\n".join(lines)

    def shrink(self, case: Case, rounds: int = 40) -> tuple[Case, Outcome, Outcome]:
        """The simplest variant of `case` that still disagrees in the same way."""
        seen, expected = self.outcomes([case])[0], self.predict(case)
        kind = seen.differences(expected)
        for _ in range(rounds):
            candidates = [c for c in simpler(case) if valid(c, self.origin)]
            if not candidates:
                break
            for candidate, outcome in zip(candidates, self.outcomes(candidates), strict=True):
                prediction = self.predict(candidate)
                if outcome.differences(prediction) == kind:
                    case, seen, expected = candidate, outcome, prediction
                    break
            else:
                break
        return case, seen, expected


def valid(case: Case, origin: str) -> bool:
    try:
        case.request(origin)
    except ValueError:
        return False
    return case.body is None or case.method.upper() not in ("GET", "HEAD")


def _without(lines: tuple[Line, ...]) -> Iterator[tuple[Line, ...]]:
    for i in range(len(lines)):
        yield lines[:i] + lines[i + 1 :]


def simpler(case: Case) -> Iterator[Case]:
    """Every one-step simplification of a case, most drastic first."""
    for headers in _without(case.headers):
        yield replace(case, headers=headers)
    for lines in _without(case.preflight.headers):
        yield replace(case, preflight=replace(case.preflight, headers=lines))
    for lines in _without(case.response.headers):
        yield replace(case, response=replace(case.response, headers=lines))
    if case.body is not None:
        yield replace(case, body=None)
    if case.credentials != "same-origin":
        yield replace(case, credentials="same-origin")
    for method in ("GET", "POST"):
        if case.method != method:
            yield replace(case, method=method)
    if case.preflight.status != 204:
        yield replace(case, preflight=replace(case.preflight, status=204))
    if case.response.status != 200:
        yield replace(case, response=replace(case.response, status=200))


# --- random cases --------------------------------------------------------------------------------

METHODS = ("GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "get", "post", "put", "patch",
           "Delete", "FOO")  # fmt: skip
OTHER_METHODS = ("GET", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "HEAD", "FOO")
OTHER_ORIGIN = "http://other.example"


def _value_pool() -> dict[str, tuple[str, ...]]:
    long = "a" * 129
    return {
        "Accept": ("*/*", "application/json", "text/html", 'a"b', "a" * 100, long, " text/html "),
        "Accept-Language": ("en-US", "en-US,en;q=0.9", "en_US", "de"),
        "Content-Language": ("de-DE", "de/DE", "en"),
        "Content-Type": (
            "text/plain",
            "text/plain;charset=utf-8",
            "Text/Plain; charset=UTF-8",
            "text / plain",
            "text /plain",
            "text/ plain",
            "text/plain ;charset=utf-8",
            "text/plain\t;a=b",
            " text/plain",
            "application/x-www-form-urlencoded",
            "multipart/form-data; boundary=x",
            "application/json",
            "text/html",
            "text/plain, application/json",
            'text/plain; charset="utf-8"',
            "text",
        ),
        "Range": ("bytes=0-1", "bytes=5-", "bytes=-5", "bytes=5-1", "bytes=0-1,3-4"),
        "X-Custom": ("1", "a b", ""),
        "X-Requested-With": ("XMLHttpRequest",),
        "Authorization": ("Bearer x",),
        "DPR": ("2", "2.0", "two"),
        "Width": ("100", "1.5"),
        "Viewport-Width": ("800",),
        "Device-Memory": ("8",),
        "RTT": ("50",),
        "Downlink": ("1.5",),
        "ECT": ("4g", "5g"),
        "Save-Data": ("on", "off"),
        "Intervention": ("x",),
        "User-Agent": ("x",),
        "Access-Control-Request-Private-Network": ("true",),
        "Cookie": ("a=b",),
        "Sec-Custom": ("1",),
        "Proxy-Custom": ("1",),
        "X-HTTP-Method-Override": ("PATCH", "TRACE"),
    }


VALUES = _value_pool()
COMMON_HEADERS = ("Accept", "Content-Type", "X-Custom", "Authorization", "Content-Language", "Range")


def _spelling(rng: random.Random, name: str) -> str:
    return rng.choice((name, name, name.lower(), name.upper()))


def _request_headers(rng: random.Random) -> tuple[Line, ...]:
    headers: list[Line] = []
    for _ in range(rng.choice((0, 1, 1, 1, 2, 2, 3))):
        name = rng.choice(COMMON_HEADERS) if rng.random() < 0.6 else rng.choice(list(VALUES))
        headers.append((_spelling(rng, name), rng.choice(VALUES[name])))
    if headers and rng.random() < 0.1:  # the same name twice
        name, _ = rng.choice(headers)
        headers.append((_spelling(rng, name), rng.choice(VALUES.get(name.title(), ("2",)))))
    return tuple(headers)


def _list_value(rng: random.Random, items: Sequence[str]) -> str:
    """A list header's value: items with padding, empty items and the odd separator."""
    chosen = [rng.choice((i, i.lower(), i.upper())) for i in items]
    if rng.random() < 0.15:
        chosen.insert(rng.randrange(len(chosen) + 1), "")
    separator = rng.choice((", ", ",", " , ", ",\t"))
    value = separator.join(chosen)
    if rng.random() < 0.05:
        value = value.replace(",", " ", 1) if "," in value else f"{value} X-Other"
    return value


def _list_lines(rng: random.Random, name: str, wanted: Sequence[str], others: Sequence[str]) -> list[Line]:
    if rng.random() < 0.25:
        return []
    pool = [*wanted, *wanted, *others]
    items = rng.sample(pool, k=rng.randint(1, min(3, len(pool))))
    if rng.random() < 0.15:
        items.append("*")
    if len(items) > 1 and rng.random() < 0.2:  # two lines
        cut = rng.randrange(1, len(items))
        return [(name, _list_value(rng, items[:cut])), (name, _list_value(rng, items[cut:]))]
    return [(name, _list_value(rng, items))]


def _allow_origin(rng: random.Random, page: str) -> list[Line]:
    name = _spelling(rng, "Access-Control-Allow-Origin")
    roll = rng.random()
    if roll < 0.1:
        return []
    if roll < 0.5:
        return [(name, page)]
    if roll < 0.7:
        return [(name, "*")]
    value = rng.choice(
        (
            "null",
            OTHER_ORIGIN,
            page.upper(),
            page + "/",
            f" {page} ",
            f"\t{page}",
            f"{page}, {page}",
            f"{page} {OTHER_ORIGIN}",
            "",
            "*, *",
        )
    )
    lines = [(name, value)]
    if rng.random() < 0.1:
        lines.append((name, page))
    return lines


def _allow_credentials(rng: random.Random) -> list[Line]:
    if rng.random() < 0.5:
        return []
    value = rng.choice(("true", "true", "true", "True", "false", " true ", "true, true", ""))
    lines = [("Access-Control-Allow-Credentials", value)]
    if rng.random() < 0.1:
        lines.append(("Access-Control-Allow-Credentials", "true"))
    return lines


def _answer_lines(rng: random.Random, page: str, request: Case | None) -> tuple[Line, ...]:
    lines = _allow_origin(rng, page) + _allow_credentials(rng)
    if request is not None:  # the preflight's allow-lists, mostly about the request at hand
        lines += _list_lines(rng, "Access-Control-Allow-Methods", [request.method.upper()], OTHER_METHODS)
        names = [name for name, _ in request.headers] or ["X-Custom"]
        lines += _list_lines(
            rng, "Access-Control-Allow-Headers", names, ["Content-Type", "X-Other", "Authorization"]
        )
        if rng.random() < 0.2:
            lines.append(("Access-Control-Max-Age", rng.choice(("0", "600", "-1", "x"))))
        if rng.random() < 0.1:
            lines.append(("Access-Control-Allow-Private-Network", "true"))
    if rng.random() < 0.1:
        lines.append(("Access-Control-Expose-Headers", rng.choice(("*", "X-A", ""))))
    rng.shuffle(lines)
    return tuple(lines)


PREFLIGHT_STATUSES = (
    200,
    200,
    204,
    204,
    201,
    299,
    301,
    302,
    303,
    304,
    307,
    308,
    400,
    403,
    404,
    405,
    500,
    503,
)
RESPONSE_STATUSES = (200, 200, 200, 201, 204, 400, 403, 404, 500, 503)


def random_case(rng: random.Random, page: str) -> Case:
    method = rng.choice(METHODS)
    body = None
    if method.upper() not in ("GET", "HEAD") and rng.random() < 0.6:
        body = rng.choice(
            (
                Body("text"),
                Body("params"),
                Body("blob", "application/json"),
                Body("blob", "text/plain"),
                Body("blob"),
            )
        )
    credentials: Credentials = rng.choice(("omit", "same-origin", "include"))
    request = Case(method, _request_headers(rng), credentials, body)
    status = rng.choice(PREFLIGHT_STATUSES)
    preflight_lines = _answer_lines(rng, page, request)
    if 300 <= status < 400 and status != 304 and rng.random() < 0.7:
        preflight_lines += (("Location", "/elsewhere"),)
    return replace(
        request,
        preflight=Answer(status, preflight_lines),
        response=Answer(rng.choice(RESPONSE_STATUSES), _answer_lines(rng, page, None)),
    )


def random_cases(seed: int, count: int, page: str) -> list[Case]:
    rng = random.Random(seed)
    cases: list[Case] = []
    while len(cases) < count:
        case = random_case(rng, page)
        if valid(case, page):
            cases.append(case)
    return cases

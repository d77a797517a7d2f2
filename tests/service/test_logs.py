"""CR, LF, ESC and other control characters from a request or a setting never forge or break a log
line. The service runs as deployed (the Procfile's `web:` command: uvicorn's default level, info,
with its access log) and, for the settings output, as plain `uvicorn --factory`; stdout and stderr
go to files, not a terminal, so uvicorn writes no colours and any ESC byte in the output came from
outside. Every line must then be printable text of a known shape, and no line may begin with
what a request or a setting injected."""

from __future__ import annotations

import logging
import re
import socket
import subprocess
from pathlib import Path

import pytest

from flask_cors_asgi import printable
from service.logging import EscapeControlCharacters
from testing_support import clean_env, free_port, serving, uvicorn_command
from tests.service.test_procfile import web_command

# What a forger would write after a line break: a plausible access-log line, and a colour.
FORGED = 'INFO:     6.6.6.6:666 - "GET /forged HTTP/1.1" 200 OK'
FORGED_START = re.compile(r"(INFO|WARNING|ERROR|CRITICAL|DEBUG): +6\.6\.6\.6|6\.6\.6\.6|\x1b")
ACCESS = re.compile(r'INFO: {5}\S+ - "[A-Z]+ \S+ HTTP/1\.[01]" [1-5]\d\d( [A-Za-z][A-Za-z -]*)?')
SERVER = re.compile(r"(INFO|WARNING|ERROR|CRITICAL): +\S.*")
PROBLEM = re.compile(r"( {2})?(warning|error): \S.* \[E\d{3}\]( Hint: .+)?|invalid configuration:")

# (what is sent, why): raw bytes on a socket, each request on its own connection.
REQUESTS = [
    (
        b"GET /api/foo%0d%0a" + FORGED.encode().replace(b" ", b"%20") + b"%1b[31m HTTP/1.1\r\n",
        "encoded in the path",
    ),
    (b"GET /api/foo?q=%0d%0a%1b[31m HTTP/1.1\r\n", "encoded in the query"),
    (b"GET /api/\r" + FORGED.encode() + b" HTTP/1.1\r\n", "raw CR in the path"),
    (b"GET /api/foo\x1b[31m HTTP/1.1\r\n", "raw ESC in the path"),
    (b"GET /api/foo?q=\x1b[2J HTTP/1.1\r\n", "raw ESC in the query"),
    (b"GET /api/foo?q=\x85\x9b31m HTTP/1.1\r\n", "raw NEL and CSI (C1 controls) in the query"),
]
# Headers for `GET /healthz`: X-Forwarded-For, trusted from 127.0.0.1, becomes the logged client.
HEADERS = [
    (b"X-Forwarded-For: 203.0.113.9\x85" + FORGED.encode(), "NEL: a line break to str.splitlines"),
    (b"X-Forwarded-For: 203.0.113.9\x9b2J", "CSI: ESC [ in one byte"),
    (b"X-Forwarded-For: 203.0.113.9\x1b[2J", "raw ESC in a header value"),
    (b"X-Forwarded-For: 203.0.113.9\r" + FORGED.encode(), "bare CR in a header value"),
    (b"X-Forwarded-For: 203.0.113.9\n" + FORGED.encode(), "bare LF: a header line of its own"),
    (b"Origin: https://app.example\x1b[31m.com", "raw ESC in Origin"),
    (b"Origin: https://app.example\x85" + FORGED.encode(), "NEL in Origin"),
    (b"Origin: https://app.example%0d%0a" + FORGED.encode().replace(b" ", b"%20"), "encoded CR LF in Origin"),
]
# Bodies for `POST /api/foo`: echoed in JSON errors, never logged; sent to be sure of that.
BODIES = [
    b'{"inputVar": "\r\n' + FORGED.encode() + b'\x1b[31m"}',  # raw controls: malformed JSON
    b'{"inputVar": "\\r\\n\\u001b[31m"}',  # escaped controls: valid, doubled
    b"\r\n" + FORGED.encode() + b"\x1b[31m",
]


def exchange(port: int, data: bytes) -> bytes:
    """Send `data` on a new connection; what the server answered before closing (or 5 s)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
        answer = b""
        try:
            while chunk := sock.recv(65536):
                answer += chunk
        except TimeoutError:
            pass
    return answer


def send_everything(port: int) -> list[bytes]:
    close = b"Host: 127.0.0.1\r\nConnection: close\r\n\r\n"
    answers = [exchange(port, line + close) for line, _ in REQUESTS]
    answers += [
        exchange(port, b"GET /healthz HTTP/1.1\r\n" + header + b"\r\n" + close) for header, _ in HEADERS
    ]
    for body in BODIES:
        head = (
            b"POST /api/foo HTTP/1.1\r\nContent-Type: application/json\r\nOrigin: https://app.example\x85\r\n"
        )
        answers.append(exchange(port, head + b"Content-Length: %d\r\n" % len(body) + close + body))
    return answers


def assert_well_formed(output: bytes, *shapes: re.Pattern[str]) -> list[str]:
    """Every line decodes, is printable, has one of `shapes` and does not start with forged content."""
    lines = output.decode("utf-8").split("\n")  # strict: a stray byte is an error too
    assert lines.pop() == ""  # the output ends with a newline
    for line in lines:
        assert line.isprintable(), line  # no CR, ESC, NEL, U+2028, ... (escaped: \r, \x1b, \x85)
        assert any(shape.fullmatch(line) for shape in shapes), line
        assert not FORGED_START.match(line), line
    return lines


def run_and_capture(command: list[str], env: dict[str, str], directory: Path, port: int) -> bytes:
    """Start `command`, send every request above once it serves, stop it; its stdout and stderr."""
    log = directory / "output"
    with (
        log.open("wb") as output,
        serving(command, f"http://127.0.0.1:{port}/healthz", env=env, cwd=directory, output=output.fileno()),
    ):
        answers = send_everything(port)
    assert all(answer.startswith(b"HTTP/1.1 ") for answer in answers), answers
    return log.read_bytes()


@pytest.fixture(scope="module")
def deployed_output(tmp_path_factory: pytest.TempPathFactory) -> bytes:
    """What the Procfile's web command wrote, with the default development settings."""
    directory = tmp_path_factory.mktemp("logs")
    port = free_port()
    env = clean_env(HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="1", APP_ENV="development")
    return run_and_capture(["bash", "-c", web_command()], env, directory, port)


def test_every_line_of_the_deployed_log_is_well_formed(deployed_output: bytes) -> None:
    assert_well_formed(deployed_output, ACCESS, SERVER)


def test_injected_values_are_logged_escaped(deployed_output: bytes) -> None:
    text = deployed_output.decode()
    # The client address from X-Forwarded-For, each control written as repr writes it.
    assert f'INFO:     203.0.113.9\\x85{FORGED}:0 - "GET /healthz HTTP/1.1" 200 OK' in text
    assert 'INFO:     203.0.113.9\\x9b2J:0 - "GET /healthz HTTP/1.1" 200 OK' in text
    # The path, percent-encoded by uvicorn itself.
    assert '"GET /api/foo%0D%0AINFO%3A%20%20%20%20%206.6.6.6%3A666' in text


# Development settings whose warnings quote ESC, NEL and LF from the environment: origins with a
# path or without a scheme (E002: the hint repeats the host, unquoted), a variable name with a line
# break (E001: the name is shown as it is). ESC c resets a terminal.
HOSTILE_SETTINGS = {
    "APP_ENV": "development",
    "CORS_ORIGINS": "https://app\x1bc.example/x,app\x85.example,https://yourapp.com",
    f"CORS_FOO\n{FORGED}": "1",
}


def test_settings_warnings_of_the_service_stay_on_their_lines(tmp_path: Path) -> None:
    port = free_port()
    command = uvicorn_command("service.app:create_app", port, "--factory")
    output = run_and_capture(command, clean_env(**HOSTILE_SETTINGS), tmp_path, port)
    lines = assert_well_formed(output, ACCESS, SERVER, PROBLEM)
    warnings = [line for line in lines if line.startswith("WARNING:  ") and "[E" in line]
    assert len(warnings) == 3, lines
    assert f"WARNING:  CORS_FOO\\n{FORGED.upper()}: is not a Flask-CORS setting" in output.decode()
    assert "Hint: write it as https://app\\x1bc.example" in output.decode()


def test_settings_warnings_of_the_procfile_stay_on_their_lines(tmp_path: Path) -> None:
    port = free_port()
    env = clean_env(HOST="127.0.0.1", PORT=str(port), WEB_CONCURRENCY="1", **HOSTILE_SETTINGS)
    output = run_and_capture(["bash", "-c", web_command()], env, tmp_path, port)
    assert_well_formed(output, ACCESS, SERVER, PROBLEM)


def test_a_refused_configuration_is_listed_one_problem_per_line(tmp_path: Path) -> None:
    env = clean_env(
        APP_ENV="production", CORS_ORIGINS="https://a\x1bc.example/x", **{f"CORS_X\r\n{FORGED}": "1"}
    )
    command = uvicorn_command("service.app:create_app", free_port(), "--factory")
    result = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, timeout=60, check=False)
    assert result.returncode != 0
    lines = assert_well_formed(result.stdout + result.stderr, SERVER, PROBLEM)
    assert [re.findall(r"\[(E\d{3})\]", line)[-1] for line in lines if line.startswith("  error: ")] == [
        "E001",
        "E002",
    ]


# printable (what the filter writes) and the filter, in-process.


@pytest.mark.parametrize(
    ("text", "logged"),
    [
        ("plain text, ünïcödé, \\ and quotes '\"", "plain text, ünïcödé, \\ and quotes '\""),
        ("a\r\nb", "a\\r\\nb"),
        ("\x1b[31mred\x1b[0m", "\\x1b[31mred\\x1b[0m"),
        ("tab\there", "tab\\there"),
        ("\x7f\x85\x9b", "\\x7f\\x85\\x9b"),  # DEL, NEL, CSI
        ("\u2028\u2029\u202e", "\\u2028\\u2029\\u202e"),  # line and paragraph separators, RTL override
    ],
)
def test_escape_controls(text: str, logged: str) -> None:
    assert printable(text) == logged


class Thing:
    def __str__(self) -> str:
        return "a\nb"

    def __repr__(self) -> str:
        return "<a\x1bb>"


@pytest.mark.parametrize(
    ("msg", "args", "message"),
    [
        ("%s - %d", ("a\nb", 200), "a\\nb - 200"),
        ("%s %r %5.1f", (Thing(), Thing(), 2.0), "a\\nb <a\\x1bb>   2.0"),
        ("%(who)s", ({"who": "\x1b"},), "\\x1b"),  # logging unpacks a lone mapping
        (Thing(), (), "a\\nb"),  # logger.error(exc)
        ("line\nbreak", (), "line\\nbreak"),
    ],
)
def test_the_filter_escapes_message_and_arguments(
    msg: object, args: tuple[object, ...], message: str
) -> None:
    record = logging.LogRecord("uvicorn.access", logging.INFO, __file__, 1, msg, args, None)
    assert EscapeControlCharacters().filter(record)
    assert record.getMessage() == message

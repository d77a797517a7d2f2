"""The service against the original Flask app without its mistyped decorator (the policy its
CORS(app, resources=...) call intends), in-process: same status and JSON body, same CORS headers,
on a matrix of inputs and CORS requests; every deliberate difference pinned."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from service.app import create_app
from settings.environments import DevelopmentSettings, TestSettings
from testing_support import compare, create_seed_app, observe

LOCAL, EVIL = "http://localhost:3000", "https://evil.example"
JSON = "application/json"

BODIES = [
    '{"inputVar": 2}',
    '{"inputVar": "ab"}',
    '{"inputVar": [1, "x"]}',
    '{"inputVar": true}',
    '{"inputVar": false}',
    '{"inputVar": 1.5}',
    '{"inputVar": -0.0}',
    '{"inputVar": 9007199254740993}',
    '{"inputVar": ' + "9" * 4000 + "}",
    '{"inputVar": "\\u00e9"}',
    '{"inputVar": 2, "inputVar": 3}',
    '{"inputVar": 2, "other": {"deep": [1]}}',
    "{}",
    "[]",
    "0",
    '""',
    "false",
    "null",
    '{"other": 1}',
    "[1, 2]",
    '"abc"',
    '  {"inputVar": 2}\n',
]
# Where Flask's handler raises (500), the service answers 400 with a JSON error: pinned below.
FLASK_CRASHES = [
    '{"inputVar": null}',
    '{"inputVar": {"a": 1}}',
    '["inputVar"]',
    '[1, "inputVar"]',
    "5",
    "-1.5",
    "true",
    '"xinputVarx"',
    "[" * 5000 + "]" * 5000,  # Flask's JSON decoder hits the recursion limit
]
# Flask parses NaN/Infinity and answers non-standard JSON; the service refuses them: pinned below.
NON_STANDARD = ['{"inputVar": NaN}', '{"inputVar": Infinity}', '{"inputVar": 1e308}', "NaN"]
MALFORMED = ["{", '{"inputVar": 2', "", "   ", "\xff", '{"inputVar": 2}}']
CONTENT_TYPES = [
    JSON,
    "application/json; charset=utf-8",
    "APPLICATION/JSON",
    "application/vnd.api+json",
    "text/plain",
    "application/x-www-form-urlencoded",
    None,
]


@pytest.fixture(scope="module")
def flask_client() -> httpx.Client:
    return httpx.Client(
        transport=httpx.WSGITransport(app=create_seed_app(with_decorator=False)), base_url="http://t"
    )


@pytest.fixture
async def service() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(DevelopmentSettings()))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


def headers_for(origin: str | None, content_type: str | None) -> dict[str, str]:
    headers = {}
    if origin:
        headers["Origin"] = origin
    if content_type:
        headers["Content-Type"] = content_type
    return headers


def json_error(response: httpx.Response) -> str:
    assert response.headers["content-type"] == JSON
    body = response.json()
    assert set(body) == {"error"}
    assert isinstance(body["error"], str)
    assert body["error"]
    return str(body["error"])


def is_standard_json(text: str) -> bool:
    try:
        json.loads(text, parse_constant=lambda name: (_ for _ in ()).throw(ValueError(name)))
    except ValueError:
        return False
    return True


async def both(
    flask_client: httpx.Client, service: httpx.AsyncClient, method: str, path: str, **kwargs: Any
) -> tuple[httpx.Response, httpx.Response]:
    return flask_client.request(method, path, **kwargs), await service.request(method, path, **kwargs)


@pytest.mark.parametrize("origin", [LOCAL, EVIL, None])
@pytest.mark.parametrize("body", BODIES)
async def test_same_status_body_and_cors_as_flask(
    flask_client: httpx.Client, service: httpx.AsyncClient, body: str, origin: str | None
) -> None:
    reference, port = await both(
        flask_client, service, "POST", "/api/foo", content=body, headers=headers_for(origin, JSON)
    )
    assert reference.status_code in (200, 400)
    assert port.status_code == reference.status_code
    assert port.json() == reference.json()
    assert compare(observe(reference), observe(port)) == []


@pytest.mark.parametrize("origin", [LOCAL, EVIL, None])
@pytest.mark.parametrize("content_type", CONTENT_TYPES)
async def test_content_types_as_flask_with_json_errors(
    flask_client: httpx.Client, service: httpx.AsyncClient, content_type: str | None, origin: str | None
) -> None:
    request = {"content": '{"inputVar": 2}', "headers": headers_for(origin, content_type)}
    reference, port = await both(flask_client, service, "POST", "/api/foo", **request)
    assert port.status_code == reference.status_code
    if reference.status_code == 200:
        assert port.json() == reference.json()
    else:
        assert reference.status_code == 415
        assert reference.headers["content-type"].startswith("text/html")  # Flask: an HTML page
        assert "application/json" in json_error(port)  # deliberate: JSON, saying what was wrong
    assert compare(observe(reference), observe(port)) == []


@pytest.mark.parametrize("origin", [LOCAL, EVIL, None])
@pytest.mark.parametrize("body", MALFORMED)
async def test_malformed_json_is_400_with_a_json_error(
    flask_client: httpx.Client, service: httpx.AsyncClient, body: str, origin: str | None
) -> None:
    content = body.encode("latin-1")
    reference, port = await both(
        flask_client, service, "POST", "/api/foo", content=content, headers=headers_for(origin, JSON)
    )
    assert (reference.status_code, port.status_code) == (400, 400)
    json_error(port)
    assert compare(observe(reference), observe(port)) == []


@pytest.mark.parametrize("origin", [LOCAL, EVIL, None])
@pytest.mark.parametrize("body", FLASK_CRASHES)
async def test_difference_flask_crashes_are_400_with_a_json_error(
    flask_client: httpx.Client, service: httpx.AsyncClient, body: str, origin: str | None
) -> None:
    reference, port = await both(
        flask_client, service, "POST", "/api/foo", content=body, headers=headers_for(origin, JSON)
    )
    assert reference.status_code == 500
    assert port.status_code == 400
    assert json_error(port) != "Invalid input"  # says what was wrong
    # Same CORS headers as Flask with the same policy gives (status aside).
    assert observe(port).cors == observe(reference).cors
    assert observe(port).vary == observe(reference).vary


@pytest.mark.parametrize("body", NON_STANDARD)
async def test_difference_non_standard_json_is_refused(
    flask_client: httpx.Client, service: httpx.AsyncClient, body: str
) -> None:
    reference, port = await both(
        flask_client, service, "POST", "/api/foo", content=body, headers=headers_for(LOCAL, JSON)
    )
    assert reference.status_code == 500 or not is_standard_json(reference.text)
    assert port.status_code == 400
    json_error(port)
    assert observe(port).cors == observe(reference).cors


@pytest.mark.parametrize("origin", [LOCAL, EVIL, None])
@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        (
            "OPTIONS",
            "/api/foo",
            {"Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "content-type"},
        ),
        (
            "OPTIONS",
            "/api/foo",
            {
                "Access-Control-Request-Method": "PUT",
                "Access-Control-Request-Headers": "Authorization, X-Custom",
            },
        ),
        ("OPTIONS", "/api/foo", {"Access-Control-Request-Method": "PATCH"}),
        ("OPTIONS", "/api/foo", {}),
        ("GET", "/api/foo", {}),
        ("DELETE", "/api/foo", {}),
        ("GET", "/api/nope", {}),
        ("OPTIONS", "/api/nope", {"Access-Control-Request-Method": "POST"}),
        ("POST", "/apiary", {}),
        ("POST", "/api/foo/", {}),
        ("GET", "/", {}),
    ],
)
async def test_cors_requests_as_flask(
    flask_client: httpx.Client,
    service: httpx.AsyncClient,
    method: str,
    path: str,
    headers: dict[str, str],
    origin: str | None,
) -> None:
    reference, port = await both(
        flask_client, service, method, path, headers={**headers_for(origin, None), **headers}
    )
    observed = observe(reference)
    automatic = method == "OPTIONS" and reference.status_code == 200
    assert compare(observed, observe(port), automatic_options=automatic) == []
    if reference.status_code >= 400:
        json_error(port)


async def test_healthz_is_outside_the_cors_policy(service: httpx.AsyncClient) -> None:
    response = await service.get("/healthz", headers={"Origin": LOCAL})
    assert response.status_code == 200
    assert not [k for k in response.headers if k.startswith("access-control-")]


async def test_openapi_describes_api_foo_from_the_endpoint_models(service: httpx.AsyncClient) -> None:
    from service.api import ErrorResponse, FooRequest, FooResponse

    document = (await service.get("/openapi.json")).json()
    post = document["paths"]["/api/foo"]["post"]
    assert post["requestBody"]["content"][JSON]["schema"] == {"$ref": "#/components/schemas/FooRequest"}
    assert post["responses"]["200"]["content"][JSON]["schema"] == {"$ref": "#/components/schemas/FooResponse"}
    for status in ("400", "408", "413", "415"):
        assert post["responses"][status]["content"][JSON]["schema"] == {
            "$ref": "#/components/schemas/ErrorResponse"
        }
    schemas = document["components"]["schemas"]
    assert schemas["FooRequest"]["required"] == list(FooRequest.model_json_schema()["required"])
    assert set(schemas["FooResponse"]["properties"]) == set(FooResponse.model_fields)
    assert set(schemas["ErrorResponse"]["properties"]) == set(ErrorResponse.model_fields)


@pytest.mark.parametrize("body", [*BODIES, *FLASK_CRASHES, *NON_STANDARD, *MALFORMED])
async def test_every_answer_is_described_by_the_documented_models(
    service: httpx.AsyncClient, body: str
) -> None:
    from service.api import ErrorResponse, FooRequest, FooResponse

    response = await service.post("/api/foo", content=body.encode(), headers={"Content-Type": JSON})
    model = FooResponse if response.status_code == 200 else ErrorResponse
    assert model.model_validate_json(response.content, strict=True).model_dump(mode="json") == response.json()
    if response.status_code == 200:
        FooRequest.model_validate_json(body)  # what it accepted, the request model admits


# --- body limit ------------------------------------------------------------------------------------

LIMIT = 1024


@pytest.fixture
async def small_limit() -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=create_app(TestSettings(max_body_bytes=LIMIT)))
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        yield client


async def test_body_over_the_declared_limit_is_413_with_cors(small_limit: httpx.AsyncClient) -> None:
    body = '{"inputVar": "' + "x" * LIMIT + '"}'
    response = await small_limit.post("/api/foo", content=body, headers=headers_for(LOCAL, JSON))
    assert response.status_code == 413
    assert str(LIMIT) in json_error(response)
    assert response.headers["access-control-allow-origin"] == LOCAL


async def test_body_at_the_limit_is_accepted(small_limit: httpx.AsyncClient) -> None:
    body = '{"inputVar": "' + "x" * (LIMIT - 16) + '"}'
    assert len(body) <= LIMIT
    response = await small_limit.post("/api/foo", content=body, headers=headers_for(LOCAL, JSON))
    assert response.status_code == 200


async def test_undeclared_length_is_cut_off_without_reading_the_rest() -> None:
    app = create_app(TestSettings(max_body_bytes=LIMIT))
    chunks_read = 0

    async def receive() -> dict[str, Any]:
        nonlocal chunks_read
        chunks_read += 1
        assert chunks_read < 1000, "the service kept reading an endless body"
        return {"type": "http.request", "body": b"x" * 100, "more_body": True}

    sent: list[dict[str, Any]] = []

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    headers = [
        (b"content-type", JSON.encode()),
        (b"origin", LOCAL.encode()),
        (b"transfer-encoding", b"chunked"),
    ]
    scope = {
        "type": "http", "asgi": {"version": "3.0"}, "http_version": "1.1", "method": "POST", "scheme": "http",
        "path": "/api/foo", "raw_path": b"/api/foo", "root_path": "", "query_string": b"",
        "headers": headers, "client": ("127.0.0.1", 1), "server": ("127.0.0.1", 80),
    }  # fmt: skip
    await app(scope, receive, send)
    assert sent[0]["status"] == 413
    assert chunks_read <= LIMIT // 100 + 1

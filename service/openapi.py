"""The OpenAPI document of the service, built from the pydantic models that describe `/api/foo`'s
request and answers (tests/service/test_service_contract.py checks real answers against them)."""

from __future__ import annotations

from typing import Any

from pydantic.json_schema import models_json_schema

from service.api import ErrorResponse, FooRequest, FooResponse


def openapi_document(version: str) -> dict[str, Any]:
    _, schemas = models_json_schema(
        [(FooRequest, "validation"), (FooResponse, "serialization"), (ErrorResponse, "serialization")],
        ref_template="#/components/schemas/{model}",
    )

    def body(model: type, description: str) -> dict[str, Any]:
        schema = {"$ref": f"#/components/schemas/{model.__name__}"}
        return {"description": description, "content": {"application/json": {"schema": schema}}}

    error_statuses = {
        "400": "Invalid input, malformed JSON, or a document `inputVar * 2` cannot be computed for",
        "408": "The body did not arrive within BODY_TIMEOUT",
        "413": "The body exceeds MAX_BODY_BYTES",
        "415": "The Content-Type is not JSON",
    }
    return {
        "openapi": "3.1.0",
        "info": {"title": "/api/foo service", "version": version},
        "paths": {
            "/api/foo": {
                "post": {
                    "summary": "Double inputVar",
                    "operationId": "foo",
                    "requestBody": {"required": True, **body(FooRequest, "A JSON object with inputVar")},
                    "responses": {
                        "200": body(FooResponse, "inputVar * 2"),
                        **{status: body(ErrorResponse, text) for status, text in error_statuses.items()},
                    },
                }
            },
            "/healthz": {
                "get": {"summary": "Liveness", "responses": {"200": {"description": "The service is up"}}}
            },
        },
        "components": {"schemas": schemas["$defs"]},
    }

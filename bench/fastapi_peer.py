"""FastAPI as its documentation teaches: a pydantic model for the body and its CORSMiddleware,
with the benchmark's policy. Imports only FastAPI (and bench/workload.py, standard library only),
so its memory is FastAPI's own.

`uvicorn bench.fastapi_peer:app`
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.middleware.cors import CORSMiddleware
from pydantic import BaseModel, JsonValue

from bench.workload import ALLOW_HEADERS, METHODS, ORIGINS, PATH


class Foo(BaseModel):
    inputVar: JsonValue


def create_app() -> FastAPI:
    app = FastAPI(openapi_url=None, docs_url=None, redoc_url=None)
    app.add_middleware(
        CORSMiddleware,
        allow_origins=ORIGINS,
        allow_methods=METHODS,
        allow_headers=ALLOW_HEADERS,
    )

    @app.post(PATH)
    async def foo(body: Foo) -> dict[str, Any]:
        return {"result": body.inputVar * 2}  # type: ignore[operator]

    return app


app = create_app()

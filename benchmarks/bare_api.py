"""The API's floors: a bare WSGI app and a bare FastAPI app, served as releasebot serves its API.

Both run under waitress with the bot's thread count; `BARE_API=wsgi` answers a fixed JSON
from a plain WSGI function (the server's floor), `BARE_API=fastapi` from a FastAPI route
served on the server's threads as the bot serves its API (`handlers/api/serving.py`), with
a pydantic response model and a bearer token read (the framework's floor).
Neither touches a database.

    PORT=3999 BARE_API=fastapi python -m benchmarks.bare_api
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterable
from typing import Annotated, Any

from fastapi import FastAPI, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel
from waitress import create_server  # type: ignore[attr-defined]

from bot.core.config import Settings
from handlers.api.serving import ThreadLoopApp

BODY = {"id": 1, "name": "v1", "state": "active"}


class Answer(BaseModel):
    """A small release."""

    id: int
    name: str
    state: str


def wsgi_app(environ: dict[str, Any], start: Callable[..., Any]) -> Iterable[bytes]:
    """Any request: the fixed JSON (and 200 on /healthz)."""
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length:
        environ["wsgi.input"].read(length)
    payload = json.dumps(BODY).encode()
    start("200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(payload)))])
    return [payload]


def fastapi_app() -> Callable[..., Iterable[bytes]]:
    """The same answer from FastAPI, served as releasebot serves its API."""
    app = FastAPI()
    bearer = HTTPBearer(auto_error=False)
    token = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]

    @app.get("/healthz")
    async def health() -> dict[str, str]:
        return {"ok": "yes"}

    @app.get("/api/v1/releases/{release_id}", response_model=Answer)
    async def read(release_id: int, credentials: token = None) -> Answer:
        return Answer(**BODY)

    @app.post("/api/v1/releases/{release_id}/gates/{name}/reports", response_model=Answer)
    async def report(
        release_id: int, name: str, body: dict[str, Any], credentials: token = None
    ) -> Answer:
        return Answer(**BODY)

    return ThreadLoopApp(app)


def main() -> None:
    """Serve the chosen floor on PORT."""
    threads = Settings().http_threads
    app = fastapi_app() if os.environ.get("BARE_API") == "fastapi" else wsgi_app
    port = int(os.environ.get("PORT", "3999"))
    create_server(app, host="127.0.0.1", port=port, threads=threads).run()


if __name__ == "__main__":
    main()

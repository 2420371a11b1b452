"""Errors as RFC 9457 problem details (`application/problem+json`), one place for every route.

Domain refusals keep their words, turned from Slack's markup into plain text; validation
errors name each field at fault; unknown routes and methods are problems too.
"""

from __future__ import annotations

import html
import logging
import re
from collections.abc import Callable
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException

from bot.api.access import RateLimited, Unauthorized
from bot.api.schemas import FieldError, Problem
from bot.core.errors import Conflict, DomainError, Forbidden, NotFound
from bot.core.payloads import NotMine

log = logging.getLogger(__name__)
MEDIA_TYPE = "application/problem+json"
_KINDS = {
    400: "bad-request",
    401: "unauthorized",
    403: "forbidden",
    404: "not-found",
    405: "method-not-allowed",
    409: "conflict",
    413: "too-large",
    415: "unsupported-media-type",
    422: "invalid-request",
    429: "rate-limited",
    500: "internal-error",
}
_TITLES = {
    400: "Bad request",
    401: "A valid token is needed",
    403: "Not allowed",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict with the current state",
    413: "Request too large",
    415: "Unsupported media type",
    422: "The request does not validate",
    429: "Too many requests",
    500: "Internal error",
}
_MENTION = re.compile(r"<@([UW][A-Z0-9]+)>")
_GROUP = re.compile(r"<!subteam\^(S[A-Z0-9]+)(?:\|([^>]*))?>")
_LINK = re.compile(r"<(https?://[^|>]+)(?:\|([^>]*))?>")

# Every error a route can answer, for the OpenAPI document.
PROBLEM_SCHEMA = Problem.model_json_schema(ref_template="#/components/schemas/{model}")


def responses(*codes: int) -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route: each code answered with a problem document."""
    return {
        code: {
            "description": _TITLES[code],
            "content": {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}},
        }
        for code in codes
    }


def reads() -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route that reads: a token refused, a release or a thing not found."""
    return responses(401, 403, 404, 422, 429)


def writes() -> dict[int | str, dict[str, Any]]:
    """The `responses` of a route that changes something: refusals and conflicts too."""
    return responses(400, 401, 403, 404, 409, 422, 429)


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    headers: dict[str, str] | None = None,
    errors: list[FieldError] | None = None,
) -> JSONResponse:
    """A problem details response."""
    body = Problem(
        type=f"urn:releasebot:problem:{_KINDS.get(status, 'error')}",
        title=_TITLES.get(status, "Error"),
        status=status,
        detail=detail,
        instance=request.url.path,
        errors=errors,
    )
    return JSONResponse(
        body.model_dump(exclude_none=True), status, headers=headers, media_type=MEDIA_TYPE
    )


def plain(text: str, name_of: Callable[[str], str]) -> str:
    """A Slack mrkdwn refusal as plain text: mentions as @names, no bold, entities decoded."""
    text = _MENTION.sub(lambda m: "@" + name_of(m.group(1)), text)
    text = _GROUP.sub(lambda m: "@" + (m.group(2) or name_of(m.group(1))).lstrip("@"), text)
    text = _LINK.sub(lambda m: m.group(1), text)
    return html.unescape(text.replace("*", ""))


def status_of(err: DomainError) -> int:
    """The HTTP status of a domain refusal."""
    if isinstance(err, Unauthorized):
        return 401
    if isinstance(err, RateLimited):
        return 429
    if isinstance(err, NotFound):
        return 404
    if isinstance(err, Forbidden):
        return 403
    if isinstance(err, Conflict | NotMine):
        return 409
    return 422


def _field(loc: tuple[Any, ...]) -> str:
    return ".".join(str(part) for part in loc) or "body"


def _invalid(errors: list[dict[str, Any]]) -> tuple[str, list[FieldError]]:
    found = []
    for error in errors:
        where, kind = _field(tuple(error.get("loc", ()))), error.get("type", "")
        if kind == "extra_forbidden":
            said = f"`{where}` is not a field of this request; remove it."
        elif kind == "missing":
            said = f"`{where}` is required."
        else:
            said = f"`{where}`: {error.get('msg', 'is not valid')}."
        found.append(FieldError(field=where, problem=said))
    return " ".join(e.problem for e in found), found


def install(app: FastAPI, name_of: Callable[[str], str]) -> None:
    """Answer every error of `app` with problem details."""

    @app.exception_handler(DomainError)
    async def domain(request: Request, err: DomainError) -> JSONResponse:
        status = status_of(err)
        headers = {}
        if isinstance(err, RateLimited):
            headers["Retry-After"] = str(err.retry_after)
        if isinstance(err, Unauthorized):
            headers["WWW-Authenticate"] = 'Bearer realm="releasebot"'
        return problem(request, status, plain(err.message, name_of), headers=headers)

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, err: RequestValidationError) -> JSONResponse:
        detail, errors = _invalid(list(err.errors()))
        return problem(request, 422, detail or "The request does not validate.", errors=errors)

    @app.exception_handler(HTTPException)
    async def http(request: Request, err: HTTPException) -> JSONResponse:
        detail = {
            400: "The body could not be read as JSON; send a JSON object in UTF-8 with "
            "`Content-Type: application/json`.",
            404: f"There is no `{request.url.path}`; the API's routes are in /api/v1/openapi.json.",
            405: f"`{request.method}` is not allowed on `{request.url.path}`.",
        }.get(err.status_code, str(err.detail))
        return problem(request, err.status_code, detail, headers=dict(err.headers or {}))

    @app.exception_handler(Exception)
    async def crashed(request: Request, err: Exception) -> JSONResponse:
        log.exception("API request %s %s failed", request.method, request.url.path)
        return problem(request, 500, "Something went wrong on our side; it is in the bot's log.")

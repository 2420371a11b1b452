"""The API application: FastAPI with every feature's routes, served on the WSGI server's threads."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

import bot.api
from bot.api.access import Gatekeeper
from bot.core.services import Services, WSGIApp
from handlers.api import checklist, gates, gonogo, problems, release, schedule, webhooks
from handlers.api.serving import ThreadLoopApp

DESCRIPTION = (
    "Drive a release from jobs: read where it stands, mark checklist steps, report gates, "
    "move milestones. Every call acts through the same rules and trail as a click in Slack. "
    "Authenticate with a release's token (`Authorization: Bearer rbt_…`), made by a lead "
    "with `/release token add NAME [read|write]`. Errors are RFC 9457 problem details."
)


def build(services: Services, keeper: Gatekeeper) -> FastAPI:
    """The API application for this running app."""
    app = FastAPI(
        title="releasebot",
        version="1",
        description=DESCRIPTION,
        openapi_url=f"{bot.api.PREFIX}/openapi.json",
        docs_url=None,
        redoc_url=None,
        generate_unique_id_function=lambda route: route.name,
    )
    problems.install(app, services.people.name_of)
    app.state.gatekeeper = keeper
    for module in (release, checklist, gates, schedule, gonogo):
        app.include_router(module.router(services), prefix=bot.api.PREFIX)
    webhooks.register(app)
    app.openapi = lambda: _document(app)  # type: ignore[method-assign]
    return app


def _document(app: FastAPI) -> dict[str, Any]:
    """The OpenAPI document, with the problem details schema every error refers to."""
    if app.openapi_schema is None:
        document = get_openapi(
            title=app.title,
            version=app.version,
            openapi_version=app.openapi_version,
            description=app.description,
            routes=app.routes,
            webhooks=app.webhooks.routes,
        )
        schemas = document.setdefault("components", {}).setdefault("schemas", {})
        problem = dict(problems.PROBLEM_SCHEMA)
        schemas.update(problem.pop("$defs", {}))
        schemas["Problem"] = problem
        app.openapi_schema = document
    return app.openapi_schema


def wsgi(services: Services, keeper: Gatekeeper) -> WSGIApp:
    """The API application as a WSGI callable, for the bot's web server."""
    return ThreadLoopApp(build(services, keeper), services.settings.api_at_once)

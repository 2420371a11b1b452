"""The API keeps its own contract: a valid OpenAPI 3.1 document, and schemathesis finds no fault.

schemathesis generates requests from the document (valid ones for the real release, and
invalid ones everywhere), sends them to the live API on loopback with a write token, and
checks every answer: no 5xx, the status and content type documented, the body matching its
schema, and problem details on every error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openapi_spec_validator import validate
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from tests.support.api import make_token, release_id
from tests.support.checklist import BM, MakeBot, bot_with, new_release, start

STEPS = [
    {"title": "Cut the branch", "owner": "lead"},
    {"title": "Mock build", "owner": "branch-manager"},
]


def problem_details_on_errors(ctx: Any, response: Any, case: Any) -> bool | None:
    """Every 4xx/5xx answer is an RFC 9457 document with a detail to act on."""
    if response.status_code < 400:
        return None
    kind = response.headers.get("content-type", [""])
    kind = kind[0] if isinstance(kind, list) else kind
    assert kind.startswith("application/problem+json"), f"{response.status_code}: {kind}"
    body = response.json()
    for key in ("type", "title", "status", "detail"):
        assert body.get(key), f"problem without {key}: {body}"
    assert body["status"] == response.status_code
    return True


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    problem_details_on_errors,
]


def test_the_document_is_valid_openapi_31(make_bot: MakeBot, tmp_path: Path) -> None:
    bot = bot_with(make_bot, tmp_path, STEPS)
    document = httpx.get(f"{bot.url}/api/v1/openapi.json").json()
    assert document["openapi"].startswith("3.1")
    validate(document)  # raises on any fault, for the version the document declares
    assert "/api/v1/releases/{release_id}" in document["paths"]
    assert "Problem" in document["components"]["schemas"]


def test_schemathesis_finds_no_fault(make_bot: MakeBot, tmp_path: Path) -> None:
    bot = bot_with(make_bot, tmp_path, STEPS)
    new_release(bot, {"branch-manager": [BM]})
    start(bot)
    rid = release_id(bot)
    auth = {"Authorization": f"Bearer {make_token(bot, 'fuzz', 'write')}"}
    schema = schemathesis.openapi.from_url(f"{bot.url}/api/v1/openapi.json")
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 4
    for operation in operations:
        strategy = st.one_of(
            operation.as_strategy(path_parameters={"release_id": rid}),
            operation.as_strategy(),
            operation.as_strategy(schemathesis.GenerationMode.NEGATIVE),
        )

        @settings(
            max_examples=40,
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=strategy)
        def run(case: Any) -> None:
            case.call_and_validate(base_url=bot.url, headers=auth, checks=CHECKS)

        run()

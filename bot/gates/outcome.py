"""What one check of a gate found: its result, what it shows people, what it measured."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.gates.alerting import FAIL, PASS, UNSURE


@dataclass(frozen=True)
class Outcome:
    """A check's result (pass, fail, yellow, unknown) and why.

    `value` is the number it measured (open blockers, `json.total_count`), kept in the
    gate's history for its chart; `findings` the items behind it (the open issues, the jobs
    not passing), shown in alerts and lists; `retry_at` when the service asked to be left
    alone until (a rate limit), so the next check waits for it.
    """

    result: str
    detail: str
    value: float | None = None
    findings: dict[str, Any] | None = None
    retry_at: datetime | None = None

    @property
    def ok(self) -> bool:
        """True for a pass."""
        return self.result == PASS

    def findings_json(self) -> str | None:
        """The findings as stored on the gate."""
        return json.dumps(self.findings, separators=(",", ":")) if self.findings else None


def of_verdict(ok: bool, detail: str, value: float | None = None) -> Outcome:
    """An HTTP gate's verdict as an outcome."""
    return Outcome(PASS if ok else FAIL, detail, value)


def unknown(detail: str, retry_at: datetime | None = None) -> Outcome:
    """A check that could not tell (never green)."""
    return Outcome(UNSURE, detail, retry_at=retry_at)


def load_findings(stored: str | None) -> dict[str, Any]:
    """The findings stored on a gate ({} when there are none or they do not read)."""
    if not stored:
        return {}
    try:
        found = json.loads(stored)
    except ValueError:
        return {}
    return found if isinstance(found, dict) else {}

"""The gates' part of the release page: each gate's state, its history in brief, its values."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.asks.calendar import GateView, PagePart
from bot.gates import history
from bot.gates.models import Gate, GateCheck
from bot.gates.service import counts, gates_of
from bot.release.models import Release

RECENT_RESULTS = 5


def page_part(session: Session, release: Release, now: datetime, limit: int) -> PagePart:
    """Every gate of the release by name (one query for all their histories)."""
    assert release.id is not None
    found = gates_of(session, release.id)
    rows = history.of_release(session, release.id) if found else {}
    return PagePart(gates=tuple(_view(gate, rows.get(gate.id or 0, []), now) for gate in found))


def _view(gate: Gate, rows: list[GateCheck], now: datetime) -> GateView:
    red = history.red_time(rows, now) if rows else None
    return GateView(
        gate.name,
        gate.kind,
        gate.state,
        gate.state_since,
        gate.last_checked_at,
        red_total=red.total if red else None,
        red_longest=red.longest if red else None,
        recent=tuple(row.result for row in rows[-RECENT_RESULTS:]),
        points=tuple(history.values(rows)) if counts(gate) else (),
    )

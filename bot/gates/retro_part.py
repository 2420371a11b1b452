"""The gates' part of the retrospective: each gate's time red, and the counting gates' charts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlmodel import Session

from bot.core.asks.milestones import MarksOf
from bot.core.asks.retro import GateFigure, RetroPart
from bot.core.errors import DomainError
from bot.gates import figures, history
from bot.gates.service import counts, gates_of
from bot.release.models import Release


def retro_part(session: Session, release: Release, until: datetime) -> RetroPart:
    """Every gate of the release by name, red time counted up to `until`."""
    assert release.id is not None
    rows = history.of_release(session, release.id)
    found = []
    for gate in gates_of(session, release.id):
        checks = rows.get(gate.id or 0, [])
        red = history.red_time(checks, until)
        found.append(
            GateFigure(
                gate.name,
                gate.state,
                red.total,
                red.longest,
                red.stretches,
                len(checks),
                counts(gate),
            )
        )
    return RetroPart(gates=tuple(found))


def charts(
    session: Session, release: Release, now: datetime, milestones: Sequence[MarksOf]
) -> list[figures.Chart]:
    """The burndown chart of each counting gate that has values, to post with the timeline.

    `milestones` (the answers to MILESTONES) are marked on the charts.
    """
    assert release.id is not None
    found = []
    for gate in gates_of(session, release.id):
        if not counts(gate):
            continue
        try:
            found.append(figures.chart_of(session, release, gate, now, milestones))
        except DomainError:
            continue  # no values yet
    return found

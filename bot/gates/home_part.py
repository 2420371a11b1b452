"""The gates' part of App Home: the red gates a person owns, in person or through a group."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.asks.home import HomePart, Viewer, Waiting
from bot.gates import render
from bot.gates import service as gates


def red_gates(session: Session, viewer: Viewer, now: datetime) -> list[Waiting]:
    """The failing gates of active releases that the person owns, oldest red first."""
    found = gates.failing_gates_for(session, viewer.user_id, set(viewer.groups))
    owners = gates.owners_by_gate(session, [gate for _, gate in found])
    return [
        Waiting(
            render.home_red_gate(release, gate, viewer.through(owners.get(gate.id or 0, []))),
            "red gate",
            release.channel_id,
        )
        for release, gate in found
    ]


PART = HomePart(order=10, waiting=red_gates)

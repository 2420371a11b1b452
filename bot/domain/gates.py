"""Gates: records, their state machine, and the decisions about alerting."""

from __future__ import annotations

from sqlmodel import Session, select

from bot.models.gate import Gate

PASSING = "passing"
FAILING = "failing"
UNKNOWN = "unknown"


def owners_of(gate: Gate) -> list[str]:
    """The gate's owners as Slack user ids."""
    return gate.owners.split()


def blocking(session: Session, release_id: int, names: list[str]) -> list[tuple[str, list[str]]]:
    """(name, owner ids) of each named gate that is not passing; a missing gate blocks too."""
    query = select(Gate).where(Gate.release_id == release_id)
    gates = {gate.name: gate for gate in session.exec(query)}
    found: list[tuple[str, list[str]]] = []
    for name in names:
        gate = gates.get(name.strip().lower())
        if gate is None:
            found.append((name, []))
        elif gate.state != PASSING:
            found.append((gate.name, owners_of(gate)))
    return found

"""Who owns a gate now: the people named, and the holders of the roles named at the time.

A gate may be owned by people (`owner @sam`) and by roles (`owner ci-signal`); a role is
read when it matters (an alert, a re-ping, a refused step), so a hand-over with `/release
role` is one command. A gate whose owners come to nobody falls to the release's leads.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlmodel import Session

from bot.gates.models import Gate
from bot.release import service as releases


def owners_of(
    session: Session, gate: Gate, holders: dict[str, list[str]] | None = None
) -> list[str]:
    """Who owns the gate now: its people, then its roles' holders; nobody falls to the leads."""
    if holders is None:
        holders = releases.role_holders(session, gate.release_id) if gate.role_names() else {}
    return named(gate, holders) or releases.leads(session, gate.release_id)


def named(gate: Gate, holders: dict[str, list[str]]) -> list[str]:
    """The gate's people and its roles' holders, once each (empty when that is nobody)."""
    found = gate.owner_ids() + [u for role in gate.role_names() for u in holders.get(role, [])]
    return list(dict.fromkeys(found))


def owners_by_gate(session: Session, gates: Sequence[Gate]) -> dict[int, list[str]]:
    """Gate id -> its owners now, reading each release's roles once."""
    holders: dict[int, dict[str, list[str]]] = {}
    found: dict[int, list[str]] = {}
    for gate in gates:
        if gate.release_id not in holders:
            holders[gate.release_id] = releases.role_holders(session, gate.release_id)
        roles = holders[gate.release_id]
        found[gate.id or 0] = named(gate, roles) or roles.get(releases.LEAD, [])
    return found

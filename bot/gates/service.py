"""Gates: records, their state machine, and the decisions about alerting.

A gate shows unknown, passing or failing. A failed check turns a gate failing only after
`damping` failures in a row; each visible transition is one guarded UPDATE on `version`,
so exactly one check (or click) makes it and exactly one alert or recovery note follows.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.errors import Conflict, DomainError, Forbidden, NotFound
from bot.core.text.escape import escape, quoted
from bot.gates.alerting import FAILING, PASSING, Change, Ping, Snapshot, after_result, ping_due
from bot.gates.models import Gate
from bot.release import service as releases
from bot.release.models import Release

HTTP = "http"
MANUAL = "manual"
NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")
MAX_GATES = 50


def snapshot(gate: Gate) -> Snapshot:
    """The decision-relevant part of a gate row."""
    return Snapshot(
        state=gate.state,
        state_since=gate.state_since,
        fail_streak=gate.fail_streak,
        damping=gate.damping,
        pings=gate.pings,
        next_ping_at=gate.next_ping_at,
        repeat_seconds=gate.repeat_seconds,
    )


# --- records ----------------------------------------------------------------------------------


def owners_of(gate: Gate) -> list[str]:
    """The gate's owners as Slack user ids."""
    return gate.owners.split()


def valid_name(text: str) -> str:
    """A gate name, lowercased, or DomainError with the rule."""
    name = text.strip().lower()
    if not NAME.fullmatch(name):
        raise DomainError(
            "A gate name starts with a letter or digit and has at most 40 letters, digits, "
            "dots, dashes or underscores, like `ci-blocking`."
        )
    return name


def gates_of(session: Session, release_id: int) -> list[Gate]:
    """The release's gates by name."""
    query = select(Gate).where(Gate.release_id == release_id).order_by(col(Gate.name))
    return list(session.exec(query))


def by_name(session: Session, release: Release, name: str) -> Gate:
    """The release's gate of that name, or NotFound listing the names there are."""
    assert release.id is not None
    key = name.strip().lower()
    gates = gates_of(session, release.id)
    for gate in gates:
        if gate.name == key:
            return gate
    known = ", ".join(f"`{g.name}`" for g in gates) or "none yet"
    raise NotFound(f"There is no gate {quoted(key)} in this release (gates: {known}).")


def fresh(session: Session, gate_id: int) -> Gate | None:
    """The gate as the database has it now (not a cached copy)."""
    query = select(Gate).where(Gate.id == gate_id).execution_options(populate_existing=True)
    return session.exec(query).first()


def add(
    session: Session,
    release: Release,
    gate: Gate,
    *,
    actor: str,
    now: datetime,
    creators: releases.Creators = releases.ANYONE,
) -> Gate:
    """Store a new gate of the release; the name must be free."""
    assert release.id is not None
    releases.require_creator(creators, actor, "add gates")
    existing = {g.name for g in gates_of(session, release.id)}
    if gate.name in existing:
        raise Conflict(f"This release already has a gate `{gate.name}`; remove it first.")
    if len(existing) >= MAX_GATES:
        raise DomainError(f"A release can have at most {MAX_GATES} gates.")
    gate.release_id, gate.created_by, gate.created_at = release.id, actor, now
    session.add(gate)
    session.flush()
    what = f"GET {gate.url}" if gate.kind == HTTP else "manual"
    audit.record(
        session,
        release=release,
        actor=actor,
        action="gate.added",
        subject=gate.name,
        after=gate.state,
        detail=f"{what}; owners {gate.owners}",
        at=now,
    )
    return gate


def remove(session: Session, release: Release, name: str, *, actor: str, now: datetime) -> Gate:
    """Delete a gate (lead only)."""
    gate = by_name(session, release, name)
    session.delete(gate)
    audit.record(
        session,
        release=release,
        actor=actor,
        action="gate.removed",
        subject=gate.name,
        before=gate.state,
        at=now,
    )
    return gate


def blocking(session: Session, release_id: int, names: list[str]) -> list[tuple[str, list[str]]]:
    """(name, owner ids) of each named gate that is not passing; a missing gate blocks too."""
    gates = {gate.name: gate for gate in gates_of(session, release_id)}
    found: list[tuple[str, list[str]]] = []
    for name in names:
        gate = gates.get(name.strip().lower())
        if gate is None:
            found.append((name, []))
        elif gate.state != PASSING:
            found.append((gate.name, owners_of(gate)))
    return found


def failing_gates_for(session: Session, user_id: str) -> list[tuple[Release, Gate]]:
    """The failing gates of active releases that the user owns (for App Home)."""
    query = (
        select(Release, Gate)
        .join(Gate, col(Gate.release_id) == col(Release.id))
        .where(Release.state == "active", Gate.state == FAILING)
        .order_by(col(Gate.state_since))
    )
    return [(r, g) for r, g in session.exec(query) if user_id in owners_of(g)]


# --- transitions ------------------------------------------------------------------------------


def _guarded(session: Session, gate: Gate, **values: Any) -> bool:
    statement = (
        update(Gate)
        .where(col(Gate.id) == gate.id, col(Gate.version) == gate.version)
        .values(version=gate.version + 1, **values)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def _values(change: Change) -> dict[str, Any]:
    s = change.snapshot
    return {
        "state": s.state,
        "state_since": s.state_since,
        "fail_streak": s.fail_streak,
        "pings": s.pings,
        "next_ping_at": s.next_ping_at,
    }


def _audit_change(
    session: Session,
    gate: Gate,
    change: Change,
    before: str,
    actor: str,
    detail: str,
    now: datetime,
) -> None:
    if change.event is None:
        return
    release = session.get(Release, gate.release_id)
    audit.record(
        session,
        release=release,
        actor=actor,
        action=f"gate.{change.snapshot.state}",
        subject=gate.name,
        before=before,
        after=change.snapshot.state,
        detail=detail[:500] or None,
        at=now,
    )


def apply_result(
    session: Session,
    gate_id: int,
    *,
    passed: bool,
    detail: str,
    now: datetime,
    next_check_at: datetime | None = None,
    actor: str = audit.SYSTEM_ACTOR,
) -> tuple[Gate, Change] | None:
    """Record a check result with one guarded UPDATE (retried on a race); None if gone."""
    for _ in range(10):
        gate = fresh(session, gate_id)
        if gate is None:
            return None
        change = after_result(snapshot(gate), passed, now)
        values = _values(change) | {
            "last_result": "pass" if passed else "fail",
            "last_detail": detail[:1000],
            "last_checked_at": now,
        }
        if next_check_at is not None:
            values["next_check_at"] = next_check_at
        if _guarded(session, gate, **values):
            _audit_change(session, gate, change, gate.state, actor, detail, now)
            return fresh(session, gate_id) or gate, change
    raise Conflict("The gate kept changing while its result was recorded; try again.")


def set_manual(
    session: Session,
    gate_id: int,
    *,
    to_pass: bool,
    version: int,
    user_id: str,
    admins: frozenset[str],
    now: datetime,
) -> tuple[Gate, Change]:
    """An owner (or lead) marks a manual gate passing or failing, as the button showed it."""
    gate = fresh(session, gate_id)
    if gate is None:
        raise NotFound("That gate was removed; nothing changed.")
    release = releases.get(session, gate.release_id)
    if release.state != "active":
        raise Conflict(f"Release *{escape(release.name)}* is {release.state}; its gates are final.")
    owners = owners_of(gate)
    if user_id not in owners and not releases.is_lead(session, release, user_id, admins):
        names = ", ".join(f"<@{u}>" for u in owners) or "a lead"
        raise Forbidden(f"Only the owners of `{gate.name}` or a lead can set it: {names}.")
    wanted = PASSING if to_pass else FAILING
    if gate.version != version:
        raise Conflict(
            f"`{gate.name}` changed since this message was drawn; it is now {gate.state}."
        )
    if gate.state == wanted:
        raise Conflict(f"`{gate.name}` is already {wanted}.")
    change = after_result(replace(snapshot(gate), damping=1), to_pass, now)
    values = _values(change) | {
        "last_result": "pass" if to_pass else "fail",
        "last_checked_at": now,
    }
    values["last_detail"] = user_id
    if not _guarded(session, gate, **values):
        raise Conflict(f"`{gate.name}` was just changed by someone else; nothing changed.")
    _audit_change(session, gate, change, gate.state, user_id, f"set by {user_id}", now)
    return fresh(session, gate_id) or gate, change


def claim_check(session: Session, gate_id: int, due: datetime, lease_until: datetime) -> bool:
    """Claim the check planned for `due` (moves it on to `lease_until`); True for one caller."""
    statement = (
        update(Gate)
        .where(col(Gate.id) == gate_id, col(Gate.next_check_at) == due)
        .values(next_check_at=lease_until)
        .execution_options(synchronize_session=False)
    )
    return bool(session.execute(statement).rowcount)  # type: ignore[attr-defined]


def claim_ping(
    session: Session, gate_id: int, pings: int, now: datetime, escalate_after: int
) -> tuple[Gate, Ping] | None:
    """Claim the next re-ping of a failing gate; None when it is not due or someone took it."""
    gate = fresh(session, gate_id)
    if gate is None or gate.pings != pings:
        return None
    ping = ping_due(snapshot(gate), now, escalate_after)
    if ping is None:
        return None
    if not _guarded(session, gate, pings=ping.number, next_ping_at=ping.next_at):
        return None
    if ping.number == escalate_after + 1:
        release = session.get(Release, gate.release_id)
        audit.record(
            session,
            release=release,
            actor=audit.SYSTEM_ACTOR,
            action="gate.escalated",
            subject=gate.name,
            detail=f"still failing after {escalate_after} re-pings; lead pulled in",
            at=now,
        )
    return fresh(session, gate_id) or gate, ping


def remember_message(
    session: Session, gate_id: int, *, message_ts: str | None = None, alert_ts: str | None = None
) -> None:
    """Store where the gate's card or current alert was posted (no state change)."""
    values = {k: v for k, v in (("message_ts", message_ts), ("alert_ts", alert_ts)) if v}
    if values:
        session.execute(update(Gate).where(col(Gate.id) == gate_id).values(**values))


def planned(session: Session, until: datetime) -> tuple[list[Gate], list[Gate]]:
    """(HTTP gates with a check due before `until`, failing gates with a re-ping due)."""
    base = select(Gate).join(Release, col(Release.id) == col(Gate.release_id))
    base = base.where(Release.state == "active")
    checks = base.where(Gate.kind == HTTP, col(Gate.next_check_at) < until)
    pings = base.where(Gate.state == FAILING, col(Gate.next_ping_at) < until)
    return list(session.exec(checks)), list(session.exec(pings))


class GateBlocked(Conflict):
    """Done refused because gates of the step are not passing."""

    def __init__(self, step: Any, blocked: list[tuple[str, list[str]]]) -> None:
        names = ", ".join(f"*{escape(name)}*" for name, _ in blocked)
        verb = "is" if len(blocked) == 1 else "are"
        super().__init__(
            f"*{escape(step.title)}* cannot be marked done while {names} {verb} not passing. "
            "I asked the gate owners in the checklist thread; check with `/gate list`."
        )
        self.step = step
        self.blocked = blocked


def require_gates(session: Session, release: Release, step: Any) -> None:
    """Done is refused while any gate the step names is not passing."""
    names = step.gate_names
    if not names:
        return
    assert release.id is not None
    blocked = blocking(session, release.id, names)
    if blocked:
        session.expunge(step)  # the refusal rolls back; keep the step readable for the ping
        raise GateBlocked(step, blocked)

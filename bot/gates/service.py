"""Gates: the rules people meet, and the lookups the rest of the bot asks.

Who may add, remove or set a gate, and what an HTTP gate may fetch and send (the address
guard and the operator's secret grants), are decided here, whatever path the change
comes by. How a gate's state then moves under checks and timers is in `transitions`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from bot.core import audit
from bot.core.actor import Actor
from bot.core.config import Settings
from bot.core.errors import Conflict, DomainError, Forbidden, NotFound
from bot.core.fetch import guard, secrets
from bot.core.fetch.secrets import GateSecrets
from bot.core.guards import GuardedStep, Hold
from bot.core.models import AuditEvent
from bot.core.text.escape import escape, quoted
from bot.core.text.names import lowered_name
from bot.core.text.timefmt import duration
from bot.gates import history
from bot.gates.alerting import FAILING, PASSING, UNSURE, YELLOW, Change, after_result
from bot.gates.models import CHECKED, GITHUB, HTTP, MANUAL, PUSH, TESTGRID, TIMED, Gate
from bot.gates.options import Options
from bot.gates.outcome import Outcome
from bot.gates.owners import owners_by_gate, owners_of
from bot.gates.probe import check, expect
from bot.gates.signal import github, testgrid
from bot.gates.transitions import apply_outcome, claim_check, fresh, snapshot, transition
from bot.release import service as releases
from bot.release.groups import mentions
from bot.release.models import Release

NAME = re.compile(r"[a-z0-9][a-z0-9._-]{0,39}")
MAX_GATES = 50
DEFAULT_INTERVAL = 600
PUSH_INTERVAL = 3600  # a push gate turns unknown after an hour without a report


@dataclass(frozen=True)
class Proposal:
    """A gate as asked for, its name (and URL) accepted by the rules; not stored yet."""

    name: str
    kind: str
    given: Options
    url: str | None = None
    unset: tuple[str, ...] = ()  # granted variables the bot has no value for
    spec: dict[str, Any] | None = None  # what a native gate asks (its query, dashboards)
    hints: tuple[str, ...] = ()  # what the caller should know about the gate as asked


# --- adding and removing ----------------------------------------------------------------------


_NOT_A_NAME = (
    "{} is not a gate name: it starts with a letter or digit and has at most 40 letters, "
    "digits, dots, dashes or underscores, like `ci-blocking`."
)


def valid_name(text: str) -> str:
    """A gate name, lowercased, or DomainError with the rule."""
    return lowered_name(
        text, NAME, lambda: DomainError(_NOT_A_NAME.format(quoted(text.strip(), 60)))
    )


def propose_http(name: str, url: str, given: Options, settings: Settings) -> Proposal:
    """An HTTP gate the secret grants and the address guard allow; touches no database.

    The guard resolves the host, so this runs before any transaction opens.
    """
    name = valid_name(name)
    if secrets.host_has_variable(url):
        raise DomainError("Environment variables may go in the URL's path or query, not its host.")
    granted = GateSecrets.from_settings(settings)
    named = secrets.named_in(url, given.headers)
    try:
        granted.check(url, named)
        guard.check(url, settings.gate_allow)
    except secrets.NotGranted as err:
        raise DomainError(f"I will not add that gate: {err}") from None
    except guard.Refused as err:
        raise DomainError(f"I will not check that URL: {err}") from None
    return Proposal(name, HTTP, given, url=url, unset=tuple(granted.unset(named)))


def propose_github(name: str, words: Sequence[str], given: Options, settings: Settings) -> Proposal:
    """A GitHub search gate whose API host the address guard allows; touches no database."""
    name = valid_name(name)
    try:
        query = github.valid_query(words)
        guard.check(github.search_url(settings.github_api, query), settings.gate_allow)
    except github.QueryError as err:
        raise DomainError(str(err)) from None
    except guard.Refused as err:
        raise DomainError(f"I cannot ask GitHub at RELEASEBOT_GITHUB_API: {err}") from None
    hints = []
    if not github.says_state(query):
        hints.append(
            "The search does not say `is:open`, so closed items count as well; "
            "add `is:open` to count only what is still open."
        )
    granted = GateSecrets.from_settings(settings)
    host = secrets.url_host(settings.github_api)
    if not granted.may_send(github.TOKEN, host) or granted.value(github.TOKEN) is None:
        hints.append(
            f"It asks GitHub without a token (no `{github.TOKEN}` granted for `{host}`), "
            "within GitHub's lower anonymous rate limit."
        )
    return Proposal(name, GITHUB, given, spec={"query": query}, hints=tuple(hints))


def propose_testgrid(
    name: str, words: Sequence[str], given: Options, settings: Settings
) -> Proposal:
    """A TestGrid gate: `DASHBOARD... [informing DASHBOARD...]`; touches no database."""
    name = valid_name(name)
    blocking: list[str] = []
    informing: list[str] = []
    chosen = blocking
    for word in words:
        if word.lower() == "informing":
            chosen = informing
            continue
        if not testgrid.DASHBOARD.fullmatch(word):
            raise DomainError(
                f"{quoted(word, 60)} is not a TestGrid dashboard name, like "
                "`sig-release-master-blocking`."
            )
        chosen.append(word)
    if not blocking:
        raise DomainError("Name at least one blocking dashboard before `informing`.")
    named = list(dict.fromkeys(blocking + informing))
    if len(named) > testgrid.MAX_DASHBOARDS:
        raise DomainError(f"A gate reads at most {testgrid.MAX_DASHBOARDS} dashboards.")
    try:
        guard.check(testgrid.summary_url(settings.testgrid_url, blocking[0]), settings.gate_allow)
    except guard.Refused as err:
        raise DomainError(f"I cannot read TestGrid at RELEASEBOT_TESTGRID_URL: {err}") from None
    spec = {"blocking": list(dict.fromkeys(blocking)), "informing": informing}
    return Proposal(name, TESTGRID, given, spec=spec)


def propose_manual(name: str, given: Options) -> Proposal:
    """A manual gate (its owners set it with buttons)."""
    return Proposal(valid_name(name), MANUAL, given)


def propose_push(name: str, given: Options) -> Proposal:
    """A push gate: CI reports to it; a report's failure counts at once unless `after N`."""
    given = replace(given, interval=given.interval or PUSH_INTERVAL, damping=given.damping or 1)
    return Proposal(valid_name(name), PUSH, given)


def add(
    session: Session,
    release: Release,
    proposal: Proposal,
    *,
    actor: Actor,
    settings: Settings,
    creators: releases.Creators,
    now: datetime,
) -> Gate:
    """Store a new gate of the release (a lead who may add gates); the name must be free."""
    assert release.id is not None
    releases.require_lead(session, release, actor, "add gates")
    releases.require_creator(creators, actor.user, "add gates")
    existing = {g.name for g in gates_of(session, release.id)}
    if proposal.name in existing:
        raise Conflict(f"This release already has a gate `{proposal.name}`; remove it first.")
    if len(existing) >= MAX_GATES:
        raise DomainError(f"A release can have at most {MAX_GATES} gates.")
    gate = _new_gate(release, proposal, actor=actor.user, settings=settings, now=now)
    session.add(gate)
    session.flush()
    what = {
        HTTP: f"GET {gate.url}",
        MANUAL: "manual",
        PUSH: f"push, unknown after {gate.interval_seconds}s without a report",
    }.get(gate.kind, f"{gate.kind} {gate.spec}")
    audit.record(
        session,
        release,
        "gate.added",
        gate.name,
        after=gate.state,
        detail=f"{what}; owners {gate.owners}",
        actor=actor.user,
        at=now,
    )
    return gate


def _new_gate(
    release: Release, proposal: Proposal, *, actor: str, settings: Settings, now: datetime
) -> Gate:
    given = proposal.given
    assert release.id is not None
    return Gate(
        release_id=release.id,
        name=proposal.name,
        kind=proposal.kind,
        url=proposal.url,
        owners=" ".join(dict.fromkeys(given.owners or ([] if given.roles else [actor]))),
        owner_roles=" ".join(dict.fromkeys(given.roles)),
        spec=json.dumps(proposal.spec) if proposal.spec else None,
        alert_yellow=given.alert_yellow,
        expect=given.expect,
        headers=check.dump_headers(given.headers),
        damping=given.damping or settings.gate_damping,
        repeat_seconds=given.repeat or settings.gate_repeat_seconds,
        interval_seconds=given.interval or DEFAULT_INTERVAL,
        state_since=now,
        next_check_at=_first_due(proposal, now),
        created_by=actor,
        created_at=now,
    )


def _first_due(proposal: Proposal, now: datetime) -> datetime | None:
    """A checked gate is checked at once; a push gate waits one interval for its report."""
    if proposal.kind == PUSH:
        return now + timedelta(seconds=proposal.given.interval or PUSH_INTERVAL)
    return now if proposal.kind in CHECKED else None


def remove(
    session: Session, release: Release, name: str, *, actor: Actor, now: datetime
) -> tuple[Gate, AuditEvent]:
    """Delete a gate (lead only); the gate as it was, and the audit event saying who did it."""
    releases.require_lead(session, release, actor, "remove gates")
    gate = by_name(session, release, name)
    assert gate.id is not None
    history.forget(session, gate.id)
    session.delete(gate)
    removal = audit.record(
        session, release, "gate.removed", gate.name, before=gate.state, actor=actor.user, at=now
    )
    return gate, removal


# --- setting a manual gate --------------------------------------------------------------------


def set_manual(
    session: Session,
    gate_id: int,
    *,
    to_pass: bool,
    version: int,
    actor: Actor,
    now: datetime,
) -> tuple[Gate, Change]:
    """An owner (or lead) marks a manual gate passing or failing, as the button showed it.

    Owning and leading may come through a user group the actor is in now.
    """
    gate = fresh(session, gate_id)
    if gate is None:
        raise NotFound("That gate was removed; nothing changed.")
    release = releases.get(session, gate.release_id)
    if release.state != "active":
        raise Conflict(f"Release *{escape(release.name)}* is {release.state}; its gates are final.")
    owners = owners_of(session, gate)
    if not actor.holds(owners) and not releases.is_lead(session, release, actor):
        leads = releases.leads(session, release.id or 0)
        raise Forbidden(
            f"Only the owners of `{gate.name}` ({mentions(owners)}) or a lead "
            f"({mentions(leads)}) can set it."
        )
    wanted = PASSING if to_pass else FAILING
    if gate.version != version:
        raise Conflict(
            f"`{gate.name}` changed since this message was drawn; it is now {gate.state}."
        )
    if gate.state == wanted:
        raise Conflict(f"`{gate.name}` is already {wanted}.")
    change = after_result(replace(snapshot(gate), damping=1), to_pass, now)
    if not transition(
        session,
        gate,
        change,
        actor=actor.user,
        detail=f"set by {actor.user}",
        now=now,
        last_result="pass" if to_pass else "fail",
        last_checked_at=now,
        last_detail=actor.user,
    ):
        raise Conflict(f"`{gate.name}` was just changed by someone else; nothing changed.")
    return gate, change


# --- reports to a push gate ------------------------------------------------------------------


def report(
    session: Session,
    release: Release,
    name: str,
    outcome: Outcome,
    *,
    actor: Actor,
    now: datetime,
) -> tuple[Gate, Change]:
    """A push gate's result as CI saw it (its owners or a lead); unknown again if none follows.

    The result counts as a check's would: damped, alerting once per turn, kept in the
    history with its value. The next report is due within the gate's interval.
    """
    gate = by_name(session, release, name)
    if gate.kind != PUSH:
        raise Conflict(
            f"`{gate.name}` is a {gate.kind} gate, so nobody reports to it; only push gates "
            f"(`/gate push NAME`) take reports."
        )
    if release.state != "active":
        raise Conflict(f"Release *{escape(release.name)}* is {release.state}; its gates are final.")
    if not releases.is_lead(session, release, actor):  # a lead's job, mostly
        owners = owners_of(session, gate)
        if not actor.holds(owners):
            names = mentions(owners) if owners else "a lead"
            raise Forbidden(
                f"Only the owners of `{gate.name}` or a lead can report to it: {names}."
            )
    assert gate.id is not None
    due = now + timedelta(seconds=gate.interval_seconds)
    applied = apply_outcome(
        session, gate.id, outcome, now=now, next_check_at=due, actor=actor.user, read=gate
    )
    if applied is None:
        raise NotFound(f"`{gate.name}` was removed; nothing changed.")
    return applied


def overdue(
    session: Session, gate_id: int, due: datetime, now: datetime
) -> tuple[Gate, Change] | None:
    """A push gate whose report did not come in time turns unknown (never green); None if
    a report came meanwhile or the gate is gone."""
    gate = fresh(session, gate_id)
    if gate is None or gate.kind != PUSH:
        return None
    lease = now + timedelta(seconds=gate.interval_seconds)
    if not claim_check(session, gate_id, due, lease):
        return None
    since = gate.last_checked_at
    said = f"no report since {since:%Y-%m-%d %H:%M} UTC" if since else "no report yet"
    outcome = Outcome(
        UNSURE, f"{said} (due every {duration(timedelta(seconds=gate.interval_seconds))})"
    )
    return apply_outcome(session, gate_id, outcome, now=now, next_check_at=lease)


# --- lookups ----------------------------------------------------------------------------------


def gates_of(session: Session, release_id: int) -> list[Gate]:
    """The release's gates by name."""
    query = select(Gate).where(Gate.release_id == release_id).order_by(col(Gate.name))
    return list(session.exec(query))


def by_name(session: Session, release: Release, name: str) -> Gate:
    """The release's gate of that name, or NotFound listing the names there are."""
    assert release.id is not None
    key = name.strip().lower()
    query = select(Gate).where(Gate.release_id == release.id, Gate.name == key)
    gate = session.exec(query).first()
    if gate is not None:
        return gate
    known = ", ".join(f"`{g.name}`" for g in gates_of(session, release.id)) or "none yet"
    raise NotFound(f"There is no gate {quoted(key)} in this release (gates: {known}).")


def named_or_all(session: Session, release: Release, name: str | None = None) -> list[Gate]:
    """The gate named (NotFound if there is none), or every gate of the release by name."""
    assert release.id is not None
    return [by_name(session, release, name)] if name else gates_of(session, release.id)


def counts(gate: Gate) -> bool:
    """True for a gate whose checks measure a number (open blockers, `json.total_count`)."""
    if gate.kind == GITHUB:
        return True
    if gate.kind != HTTP or not gate.expect:
        return False
    try:
        return expect.parse(gate.expect).counts()
    except expect.ExpectError:
        return False


def blocking(session: Session, release_id: int, names: list[str]) -> list[tuple[str, list[str]]]:
    """(name, owner ids) of each named gate that is not passing; a missing gate blocks too.

    Yellow and unknown are not passing: only green lets a step finish.
    """
    gates = {gate.name: gate for gate in gates_of(session, release_id)}
    found: list[tuple[str, list[str]]] = []
    for name in names:
        gate = gates.get(name.strip().lower())
        if gate is None:
            found.append((name, []))
        elif gate.state != PASSING:
            found.append((gate.name, owners_of(session, gate)))
    return found


def failing_gates_for(
    session: Session, user_id: str, groups: set[str] | None = None
) -> list[tuple[Release, Gate]]:
    """The failing gates of active releases that the user owns, in person or through one of
    their user groups (`groups`), for App Home."""
    query = (
        select(Release, Gate)
        .join(Gate, col(Gate.release_id) == col(Release.id))
        .where(Release.state == "active", Gate.state == FAILING)
        .order_by(col(Gate.state_since))
    )
    found = list(session.exec(query))
    owners = owners_by_gate(session, [gate for _, gate in found])
    mine = {user_id, *(groups or ())}
    return [(r, g) for r, g in found if mine & set(owners.get(g.id or 0, []))]


def in_active_releases(session: Session) -> list[Gate]:
    """Every gate of an active release."""
    return list(session.exec(_in_active_releases()))


def planned(session: Session, until: datetime) -> tuple[list[Gate], list[Gate]]:
    """(Checked gates with a check due before `until`, alerting gates with a re-ping due)."""
    checks = _in_active_releases().where(col(Gate.kind).in_(TIMED), col(Gate.next_check_at) < until)
    pings = _in_active_releases().where(
        col(Gate.state).in_((FAILING, YELLOW)), col(Gate.next_ping_at) < until
    )
    return list(session.exec(checks)), list(session.exec(pings))


def climbs_due(session: Session, until: datetime) -> list[Gate]:
    """Red gates whose escalation ladder is to be looked at before `until`."""
    query = _in_active_releases().where(
        col(Gate.state).in_((FAILING, YELLOW)), col(Gate.rung_due_at) < until
    )
    return list(session.exec(query))


def _in_active_releases() -> SelectOfScalar[Gate]:
    query = select(Gate).join(Release, col(Release.id) == col(Gate.release_id))
    return query.where(Release.state == "active")


# --- the checklist's step guard ---------------------------------------------------------------


def require_gates(session: Session, release_id: int, step: GuardedStep) -> Hold | None:
    """Done is held while any gate the step names is not passing; their owners are asked."""
    names = step.gate_names
    if not names:
        return None
    blocked = blocking(session, release_id, names)
    if not blocked:
        return None
    shown = ", ".join(f"*{escape(name)}*" for name, _ in blocked)
    verb = "is" if len(blocked) == 1 else "are"
    return Hold(
        f"*{escape(step.title)}* cannot be marked done while {shown} {verb} not passing. "
        "I asked the gate owners in the checklist thread; check with `/gate list`.",
        ask=blocked,
    )

"""Flows of imported schedules: import, sync (by a lead, and once a day by itself), check.

A file is read before any transaction opens (the fetch may take the whole gate time limit);
then, in one transaction, the milestones change and the channel is owed what it must hear:
the import, each slip (`schedule:<release>:slip:<milestone>:<moves>`, once per move), the
new entries. The daily sync is a timer on the leader that claims its day in the source's
row first, every write fenced by the leader's epoch; a source that cannot be read is told to
the leads once until it reads again.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, time
from functools import partial

from sqlmodel import Session

from bot.core import audit
from bot.core.actor import Actor
from bot.core.errors import DomainError
from bot.core.leader import StaleLeader
from bot.core.outbox import Message
from bot.core.scheduler import Timer
from bot.core.services import Services
from bot.release import service as releases
from bot.release.models import Release
from bot.release.permissions import require_lead
from bot.schedule import checking, events, imports, render_upstream
from bot.schedule.countdown import forget_notices
from bot.schedule.flows import announce
from bot.schedule.imports import Laid
from bot.schedule.lint import Finding, Team
from bot.schedule.models import ScheduleSource
from bot.schedule.render import Rendered
from bot.schedule.service import CHANGING
from bot.schedule.upstream import fetch
from bot.schedule.upstream.formats import NotUnderstood, Parsed
from bot.schedule.upstream.kubernetes import NeedsStream

log = logging.getLogger(__name__)
SYNC_AT = time(6, 0)  # UTC: when the daily sync runs


@dataclass(frozen=True)
class Checked:
    """What `/release schedule check` found."""

    release: Release
    findings: list[Finding]


def require_can_import(services: Services, channel_id: str, actor: Actor) -> None:
    """Forbidden unless the actor leads the channel's release (asked before reading a file)."""
    with services.db.read() as s:
        release = releases.active_release(s, channel_id)
        require_lead(s, release, actor, CHANGING)


def import_from(
    services: Services,
    channel_id: str,
    url: str,
    stream: str | None,
    *,
    actor: Actor,
    team: Team,
    now: datetime,
) -> Rendered:
    """Read the file, lay out its milestones, lint them; the lead's answer."""
    require_can_import(services, channel_id, actor)
    url = _normalized(url)
    text = _fetch(url, services)
    with services.db.read() as s:
        release = releases.active_release(s, channel_id)
    parsed = _parse(text, url, release, stream)
    with releases.changing(services.db, channel_id) as (s, release):
        laid = imports.import_schedule(s, release, parsed, url=url, text=text, actor=actor, now=now)
        _owe(services, s, release, laid, now, announce_created=False)
        post = render_upstream.imported_post(release, laid.source, laid.created, actor.user, now)
        announce(services.outbox, s, release, "schedule.imported", post, now)
        fresh = frozenset(m.id for m in [*laid.created, *(x.milestone for x in laid.moved)] if m.id)
        findings = checking.check(s, release, team, now, services.settings.templates_dir, fresh)
        answer = render_upstream.imported_answer(
            release, laid.source, laid.created, len(laid.moved), laid.kept, findings, now
        )
    services.scheduler.poke()
    return answer


def sync_now(services: Services, channel_id: str, *, actor: Actor, now: datetime) -> str:
    """A lead's sync: read the file again and move what changed; the lead's answer."""
    with services.db.read() as s:
        release = releases.active_release(s, channel_id)
        source = imports.require_sync_allowed(s, release, actor)
    text, parsed = _read_source(services, source, release)
    with releases.changing(services.db, channel_id) as (s, release):
        laid = imports.sync(s, release, text, parsed, actor=actor.user, now=now)
        _owe(services, s, release, laid, now)
        answer = render_upstream.synced_answer(
            laid.source, len(laid.moved), len(laid.created), laid.gone, laid.unchanged
        )
    services.scheduler.poke()
    return answer


def check(services: Services, channel_id: str, *, team: Team, now: datetime) -> Checked:
    """Lint the release's schedule as it stands."""
    with services.db.read() as s:
        release = releases.active_release(s, channel_id)
        findings = checking.check(s, release, team, now, services.settings.templates_dir)
    return Checked(release, findings)


def findings_about(
    services: Services, channel_id: str, names: Iterable[str], *, team: Team, now: datetime
) -> list[Finding]:
    """Lint findings about the named milestones (after an add, a move, an apply)."""
    wanted = set(names)
    with services.db.read() as s:
        release = releases.active_release(s, channel_id)
        findings = checking.check(s, release, team, now, services.settings.templates_dir)
    return [f for f in findings if f.milestone in wanted or (f.other or "") in wanted]


# --- reading -------------------------------------------------------------------------------


def _normalized(url: str) -> str:
    try:
        return fetch.normalize(url)
    except fetch.Unreadable as err:
        raise DomainError(str(err)) from None


def _fetch(url: str, services: Services) -> str:
    try:
        return fetch.read(url, services.settings).text
    except fetch.Unreadable as err:
        raise DomainError(f"I could not read `{_short(url)}`: {err}") from None


def _parse(text: str, url: str, release: Release, stream: str | None) -> Parsed:
    try:
        return imports.read(text, url, release, stream)
    except NotUnderstood as err:
        raise DomainError(
            f"`{_short(url)}` is not a schedule I can import: line {err.line}: {err.reason}"
        ) from None
    except NeedsStream as err:
        listed = ", ".join(f"`{v}`" for v in err.available[:20])
        raise DomainError(
            f"That file holds the patch schedules of {listed}. Say which one, like "
            f"`/release schedule import URL {err.available[0]}`."
        ) from None


def _read_source(
    services: Services, source: ScheduleSource, release: Release
) -> tuple[str, Parsed | None]:
    """The file's text, and its schedule (None when the text is the one read last time)."""
    text = _fetch(source.url, services)
    if imports.digest(text) == source.digest:
        return text, None
    return text, _parse(text, source.url, release, source.stream)


def _short(url: str) -> str:
    return url if len(url) <= 120 else url[:117] + "..."


# --- what the channel is owed ----------------------------------------------------------------


def _owe(
    services: Services,
    session: Session,
    release: Release,
    laid: Laid,
    now: datetime,
    *,
    announce_created: bool = True,
) -> None:
    """Each slip once; the new milestones in one message."""
    for done in laid.moved:
        milestone = done.milestone
        forget_notices(session, milestone, "the published schedule moved it")
        text, blocks = render_upstream.slipped(release, milestone, done.before, laid.source, now)
        key = f"schedule:{release.id}:slip:{milestone.id}:{milestone.moves}"
        message = Message(key=key, channel=release.channel_id, text=text, blocks=blocks)
        services.outbox.queue(session, message, now=now)
    _emit(services, session, release, laid, now)
    if announce_created and laid.created:
        audit.record(
            session,
            release,
            "schedule.synced",
            laid.source.title,
            after=f"{len(laid.created)} new",
            actor=audit.SYSTEM_ACTOR,
            at=now,
        )
        post = render_upstream.added_from_source(release, laid.source, laid.created, now)
        announce(services.outbox, session, release, "schedule.synced", post, now)


def _emit(
    services: Services, session: Session, release: Release, laid: Laid, now: datetime
) -> None:
    """Owe the release's webhooks each milestone the published schedule added or moved."""
    why = f"the published schedule {laid.source.title} changed"
    for milestone in laid.created:
        event = events.of_milestone(release, milestone, "added", actor=audit.SYSTEM_ACTOR, now=now)
        services.outbox.emit(session, event)
    for done in laid.moved:
        event = events.of_milestone(
            release,
            done.milestone,
            "moved",
            actor=audit.SYSTEM_ACTOR,
            now=now,
            before=done.before,
            reason=why,
        )
        services.outbox.emit(session, event)


# --- once a day, on the leader -----------------------------------------------------------------


def planner(services: Services, session: Session, now: datetime, until: datetime) -> list[Timer]:
    """Today's sync of every imported source not yet read today, from SYNC_AT (UTC)."""
    today = now.astimezone(UTC).date()
    due = datetime.combine(today, SYNC_AT, UTC)
    if due > until:
        return []
    day = today.isoformat()
    return [
        Timer(
            f"schedule-sync:{source.release_id}:{day}",
            due,
            partial(daily, services, source.release_id, day),
        )
        for source in imports.due_sources(session, day)
    ]


def daily(services: Services, release_id: int, day: str, now: datetime) -> None:
    """One release's daily sync, the leader's: claimed once, read, moved; leads hear once.

    Every write carries the leader's epoch: a leader that lost its lease meanwhile records
    nothing (StaleLeader rolls the transaction back).
    """
    epoch = services.leader.epoch
    if epoch is None:
        return
    try:
        _daily(services, release_id, day, now, epoch)
    except StaleLeader:
        log.info("no longer leading: the daily sync of release %s is left", release_id)


def _daily(services: Services, release_id: int, day: str, now: datetime, epoch: int) -> None:
    with services.db.session() as s:
        services.leader.guard(s, epoch)
        if not imports.claim_day(s, release_id, day):
            return
        release = s.get(Release, release_id)
        source = imports.source_of(s, release) if release else None
        if release is None or source is None:
            return
    try:
        text, parsed = _read_source(services, source, release)
    except DomainError as err:
        _unreachable(services, release_id, str(err), now, epoch)
        return
    with services.db.session() as s:
        services.leader.guard(s, epoch)
        locked = s.get(Release, release_id, with_for_update=True)
        if locked is None or locked.state != "active":
            return
        try:
            laid = imports.sync(s, locked, text, parsed, actor=audit.SYSTEM_ACTOR, now=now)
        except DomainError as err:  # e.g. the file grew past the milestone limit
            log.warning("daily schedule sync of release %s not applied: %s", release_id, err)
            return
        _owe(services, s, locked, laid, now)
    log.info("daily schedule sync of release %s: %d moved", release_id, len(laid.moved))


def _unreachable(
    services: Services, release_id: int, reason: str, now: datetime, epoch: int
) -> None:
    """Note the failure; the first time since it last read, each lead hears it (DM)."""
    with services.db.session() as s:
        services.leader.guard(s, epoch)
        if not imports.failed(s, release_id, reason, now):
            return
        release = s.get(Release, release_id)
        source = s.get(ScheduleSource, release_id)
        if release is None or source is None:
            return
        text, blocks = render_upstream.unreachable(release, source, reason)
        since = (source.failing_since or now).isoformat()
        services.outbox.queue(
            s,
            *(
                Message(
                    key=f"schedule:{release_id}:unreadable:{since}:{lead}",
                    channel=lead,
                    text=text,
                    blocks=blocks,
                )
                for lead in releases.leads(s, release_id)
                if not lead.startswith("S")
            ),
            now=now,
        )

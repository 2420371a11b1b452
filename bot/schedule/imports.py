"""Schedules imported from a published file: laid out as milestones, kept in step by sync.

The source (URL, format, the minor release read, a digest of the text) is kept per release;
each entry of the file remembers the instant the file gave and the milestone it became, so
a sync moves exactly the milestones whose date changed in the file, adds the entries that
are new, and leaves alone what a lead changed by hand. Leads only; nothing here speaks Slack.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.actor import Actor
from bot.core.errors import DomainError
from bot.release.models import Release
from bot.release.permissions import require_lead
from bot.schedule import countdown
from bot.schedule import service as schedule
from bot.schedule.countdown import notify_of
from bot.schedule.models import Milestone, ScheduleSource, ScheduleSourceEntry
from bot.schedule.service import CHANGING, MAX_MILESTONES, Moved, When
from bot.schedule.upstream import formats, kubernetes, openstack
from bot.schedule.upstream.formats import Entry, Parsed

_MINOR = re.compile(r"(?<![\d.])1\.(\d{1,3})(?!\d)")
_SERIES = re.compile(r"/doc/source/([a-z]+)/schedule\.yaml", re.IGNORECASE)
MOVED = "the published schedule changed"  # why a sync moves a milestone


@dataclass(frozen=True)
class Laid:
    """What an import or a sync did to the milestones."""

    source: ScheduleSource
    parsed: Parsed | None
    created: list[Milestone] = field(default_factory=list)
    moved: list[Moved] = field(default_factory=list)
    kept: list[Milestone] = field(default_factory=list)  # a lead's own of the same name
    gone: list[str] = field(default_factory=list)  # entries no longer in the file
    unchanged: bool = False


def digest(text: str) -> str:
    """The fingerprint of a file's text: a sync with the same one has nothing to do."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def read(text: str, url: str, release: Release, stream: str | None) -> Parsed:
    """The file's schedule, its format recognised from the content (NotUnderstood if none)."""
    kind = formats.recognise(text)
    if kind == formats.KUBERNETES_PATCHES:
        return kubernetes.parse_patches(text, stream or _minor_in(release.name))
    if kind == formats.SIG_RELEASE:
        return kubernetes.parse_timeline(text)
    series = _SERIES.search(url)
    return openstack.parse_openstack(text, series.group(1).lower() if series else None)


def _minor_in(name: str) -> str | None:
    found = _MINOR.search(name)
    return f"1.{found.group(1)}" if found else None


def source_of(session: Session, release: Release) -> ScheduleSource | None:
    """The file the release's schedule comes from, if it was imported."""
    return session.get(ScheduleSource, release.id)


def entries_of(session: Session, release_id: int) -> dict[str, ScheduleSourceEntry]:
    """The stored entries of the release's source by key."""
    query = select(ScheduleSourceEntry).where(ScheduleSourceEntry.release_id == release_id)
    return {row.key: row for row in session.exec(query)}


def entry_by_milestone(session: Session, release_id: int) -> dict[int, ScheduleSourceEntry]:
    """The stored entries that are milestones now, by milestone id."""
    return {
        row.milestone_id: row
        for row in entries_of(session, release_id).values()
        if row.milestone_id is not None
    }


def import_schedule(
    session: Session,
    release: Release,
    parsed: Parsed,
    *,
    url: str,
    text: str,
    actor: Actor,
    now: datetime,
) -> Laid:
    """Lay out the file's entries as milestones and keep the file as the release's source."""
    require_lead(session, release, actor, CHANGING)
    assert release.id is not None
    source = source_of(session, release) or ScheduleSource(
        release_id=release.id,
        url=url,
        format=parsed.format,
        title=parsed.title,
        digest="",
        imported_by=actor.user,
    )
    source.url, source.format, source.stream = url, parsed.format, parsed.stream
    source.title, source.digest = parsed.title[:120], digest(text)
    source.imported_by, source.imported_at, source.synced_at = actor.user, now, now
    source.auto_day = now.date().isoformat()  # the daily sync starts tomorrow
    source.failing_since = source.failure = source.reported_at = None
    session.add(source)
    old = entries_of(session, release.id)
    keep = {e.key for e in parsed.entries}
    for key, row in old.items():
        if key not in keep:
            session.delete(row)
    session.flush()
    laid = _lay_out(session, release, source, parsed.entries, old, actor=actor.user, now=now)
    audit.record(
        session,
        release,
        "schedule.imported",
        parsed.title,
        after=f"{len(laid.created) + len(laid.moved)} milestones",
        detail=url[:500],
        actor=actor.user,
        at=now,
    )
    return laid


def _lay_out(
    session: Session,
    release: Release,
    source: ScheduleSource,
    entries: list[Entry],
    old: dict[str, ScheduleSourceEntry],
    *,
    actor: str,
    now: datetime,
) -> Laid:
    """Create or move a milestone per entry; a lead's own milestone of that name stays."""
    assert release.id is not None
    zone = ZoneInfo(release.zone)
    existing = {m.key: m for m in schedule.milestones(session, release.id)}
    linked = {row.milestone_id for row in old.values() if row.milestone_id is not None}
    fresh = [e for e in entries if schedule.key_of(e.name) not in existing]
    if len(existing) + len(fresh) > MAX_MILESTONES:
        raise DomainError(
            f"That would make {len(existing) + len(fresh)} milestones; a release can have at "
            f"most {MAX_MILESTONES}. Remove some first (`/release milestone remove NAME`)."
        )
    laid = Laid(source, None)
    for entry in entries:
        at, meant = entry.instant(zone)
        row = old.get(entry.key) or ScheduleSourceEntry(release_id=release.id, key=entry.key, at=at)
        row.at, row.seq, row.chain = at, entry.seq, entry.chain
        row.history, row.after_release = entry.history, entry.after_release
        milestone = (
            session.get(Milestone, row.milestone_id)
            if row.milestone_id is not None
            else existing.get(schedule.key_of(entry.name))
        )
        if milestone is not None and milestone.id not in linked:
            laid.kept.append(milestone)  # the lead's own (or a template's): left as it is
        elif milestone is not None:
            if milestone.at != at:
                moved = schedule.relocate(
                    session, release, milestone, When(at, meant), reason=MOVED, actor=actor, now=now
                )
                laid.moved.append(moved)
        else:
            milestone = _create(session, release, entry, at, meant, source, actor, now)
            laid.created.append(milestone)
        row.milestone_id = None if milestone in laid.kept else milestone.id
        session.add(row)
    session.flush()
    return laid


def _create(
    session: Session,
    release: Release,
    entry: Entry,
    at: datetime,
    meant: ZoneInfo,
    source: ScheduleSource,
    actor: str,
    now: datetime,
) -> Milestone:
    assert release.id is not None
    name = schedule.check_name(entry.name)
    milestone = schedule.new_milestone(release.id, name, at, meant, actor, now)
    milestone.description = f"From {source.title}."
    milestone.marks = entry.marks or schedule.marks_of(name)
    session.add(milestone)
    session.flush()
    countdown.replan(session, milestone, notify_of(session, release.id))
    return milestone


def sync(
    session: Session,
    release: Release,
    text: str,
    parsed: Parsed | None,
    *,
    actor: str,
    now: datetime,
) -> Laid:
    """Bring the milestones in step with the file read again: what changed moves, once.

    `parsed` is None when the text is the one read last time (nothing to do).
    """
    assert release.id is not None
    source = source_of(session, release)
    if source is None:
        raise DomainError("This release has no imported schedule: `/release schedule import URL`.")
    source.synced_at, source.failing_since = now, None
    source.failure = source.reported_at = None
    session.add(source)
    if parsed is None or digest(text) == source.digest:
        return Laid(source, parsed, unchanged=True)
    old = entries_of(session, release.id)
    changed = [e for e in parsed.entries if _changed(e, old.get(e.key), ZoneInfo(release.zone))]
    laid = _lay_out(session, release, source, changed, old, actor=actor, now=now)
    source.digest = digest(text)
    keys = {e.key for e in parsed.entries}
    gone = [
        m.name
        for key, row in old.items()
        if key not in keys
        and row.milestone_id is not None
        and (m := session.get(Milestone, row.milestone_id)) is not None
    ]
    return Laid(source, parsed, laid.created, laid.moved, laid.kept, gone)


def _changed(entry: Entry, row: ScheduleSourceEntry | None, zone: ZoneInfo) -> bool:
    """A new entry, or one whose instant in the file is not the one read last time."""
    if row is None:
        return True
    return row.milestone_id is not None and row.at != entry.instant(zone)[0]


def require_sync_allowed(
    session: Session,
    release: Release,
    actor: Actor,
) -> ScheduleSource:
    """The release's source, for a lead; DomainError when there is none."""
    require_lead(session, release, actor, "sync the schedule")
    source = source_of(session, release)
    if source is None:
        raise DomainError(
            "This release has no imported schedule yet: a lead imports one with "
            "`/release schedule import URL`."
        )
    return source


def due_sources(session: Session, day: str) -> list[ScheduleSource]:
    """The sources of active releases not yet synced by themselves on that UTC day."""
    query = (
        select(ScheduleSource)
        .join(Release, col(Release.id) == col(ScheduleSource.release_id))
        .where(col(Release.state) == "active", col(ScheduleSource.auto_day) != day)
    )
    return list(session.exec(query))


def claim_day(session: Session, release_id: int, day: str) -> bool:
    """Claim the day's sync of one source: True once per day, whichever replica asks."""
    source = session.get(ScheduleSource, release_id, with_for_update=True)
    if source is None or source.auto_day == day:
        return False
    source.auto_day = day
    session.add(source)
    session.flush()
    return True


def failed(session: Session, release_id: int, reason: str, now: datetime) -> bool:
    """Note that the source could not be read; True the first time (leads are to hear it)."""
    source = session.get(ScheduleSource, release_id, with_for_update=True)
    if source is None:
        return False
    source.failing_since = source.failing_since or now
    source.failure = reason[:1000]
    first = source.reported_at is None
    source.reported_at = source.reported_at or now
    session.add(source)
    return first

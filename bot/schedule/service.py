"""The schedule's rules: milestones added, moved, removed, laid out from a template; the phase.

Every change is for the release's leads (and workspace admins), checked here with the actor
before anything changes, and recorded in the audit trail. Nothing here speaks Slack or
renders: flows owes the announcements, render words them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session, col, select

from bot.core import audit
from bot.core.actor import Actor
from bot.core.errors import Conflict, DomainError, NotFound
from bot.core.text.escape import escape, quoted
from bot.release.models import Release, RoleAssignment
from bot.release.roles import normalize_role
from bot.release.service import require_lead
from bot.schedule import countdown
from bot.schedule.countdown import notify_of
from bot.schedule.models import Milestone, ScheduleSetting, ScheduleSourceEntry
from bot.schedule.template_yaml import MAX_DESCRIPTION, MAX_NAME, MilestoneSpec, ScheduleTemplate
from bot.schedule.timing import Offset, describe_notify, offset_of, short_day

MAX_MILESTONES = 60
CODE_FREEZE, DOCS_FREEZE, RELEASE = "code-freeze", "docs-freeze", "release"
_NAMED = {
    CODE_FREEZE: re.compile(r"\bcode (?:and test )?freeze\b", re.IGNORECASE),
    DOCS_FREEZE: re.compile(r"\b(?:docs|documentation) freeze\b", re.IGNORECASE),
}
CHANGING = "change the schedule"


@dataclass(frozen=True)
class When:
    """Where a milestone is to fall: an instant, the zone it was meant in, and how it was said."""

    at: datetime
    zone: ZoneInfo
    offset: Offset | None = None  # set: relative to release day
    end_of_day: bool = False  # only a date was given: 23:59 in the zone


@dataclass(frozen=True)
class NewMilestone:
    """What `/release milestone add` asks for."""

    name: str
    when: When
    owner: str | None = None
    description: str = ""


@dataclass(frozen=True)
class Moved:
    """A milestone that moved: where it was, and whether it stopped following release day."""

    milestone: Milestone
    before: datetime
    was_relative: bool


@dataclass(frozen=True)
class Applied:
    """The outcome of laying out a template."""

    template: ScheduleTemplate
    created: list[Milestone]
    updated: list[Milestone]
    removed: list[Milestone]
    kept: list[Milestone]  # the lead's own milestones of the same name, left as they are


@dataclass(frozen=True)
class Upcoming:
    """One of a person's next milestones, with the release and whether their role owns it."""

    milestone: Milestone
    release: Release
    owned: bool


# --- reading -------------------------------------------------------------------------------


def milestones(session: Session, release_id: int) -> list[Milestone]:
    """The release's milestones, soonest first."""
    of_release = select(Milestone).where(Milestone.release_id == release_id)
    return list(session.exec(of_release.order_by(col(Milestone.at), col(Milestone.id))))


def find(session: Session, release: Release, name: str) -> Milestone:
    """The milestone called `name` (any case), or NotFound listing the ones there are."""
    assert release.id is not None
    key = key_of(name)
    query = select(Milestone).where(Milestone.release_id == release.id, Milestone.key == key)
    found = session.exec(query).first()
    if found is not None:
        return found
    names = [f"`{escape(m.name)}`" for m in milestones(session, release.id)]
    there = f"The milestones are {', '.join(names[:20])}." if names else "There are none yet."
    raise NotFound(f"This release has no milestone {quoted(name)}. {there}")


def key_of(name: str) -> str:
    """A milestone name in the form that must be unique per release."""
    return " ".join(name.split()).casefold()


def check_name(name: str) -> str:
    """A milestone name as kept: single spaces, at most 80 characters."""
    clean = " ".join(name.split())
    if not clean:
        raise DomainError("A milestone needs a name, like `Docs freeze`.")
    if len(clean) > MAX_NAME:
        raise DomainError(f"A milestone name can be at most {MAX_NAME} characters long.")
    return clean


# --- changes -------------------------------------------------------------------------------


def add(
    session: Session,
    release: Release,
    spec: NewMilestone,
    *,
    actor: Actor,
    now: datetime,
) -> Milestone:
    """Add a milestone (leads only); it must lie ahead and its name be new."""
    require_lead(session, release, actor, CHANGING)
    assert release.id is not None
    name = check_name(spec.name)
    if spec.when.at <= now:
        raise DomainError(f"{quoted(name)} would fall in the past; a new milestone must lie ahead.")
    if len(spec.description) > MAX_DESCRIPTION:
        raise DomainError(f"A description can be at most {MAX_DESCRIPTION} characters long.")
    if len(milestones(session, release.id)) >= MAX_MILESTONES:
        raise DomainError(f"A release can have at most {MAX_MILESTONES} milestones.")
    _unique(session, release, name)
    owner = normalize_role(spec.owner) if spec.owner else None
    milestone = new_milestone(release.id, name, spec.when.at, spec.when.zone, actor.user, now)
    milestone.relative_to_release = spec.when.offset is not None
    milestone.offset = spec.when.offset.text() if spec.when.offset else None
    milestone.owner_role, milestone.description = owner, spec.description or None
    milestone.marks = marks_of(name)
    session.add(milestone)
    session.flush()
    countdown.replan(session, milestone, notify_of(session, release.id))
    audit.record(
        session,
        release,
        "milestone.added",
        name,
        after=spec.when.at,
        detail=_detail(milestone),
        actor=actor.user,
        at=now,
    )
    return milestone


def move(
    session: Session,
    release: Release,
    name: str,
    when: When,
    *,
    reason: str,
    actor: Actor,
    now: datetime,
) -> Moved:
    """Move a milestone (leads only); its countdown starts again for the new instant."""
    require_lead(session, release, actor, CHANGING)
    milestone = find(session, release, name)
    if when.at <= now:
        raise DomainError("A milestone can only move to an instant that lies ahead.")
    if milestone.at == when.at and (when.offset is not None) == milestone.relative_to_release:
        raise Conflict(f"{quoted(milestone.name)} is already at that instant.")
    return relocate(session, release, milestone, when, reason=reason, actor=actor.user, now=now)


def relocate(
    session: Session,
    release: Release,
    milestone: Milestone,
    when: When,
    *,
    reason: str,
    actor: str,
    now: datetime,
) -> Moved:
    """Move a milestone to `when` for `reason`, recorded (whether it may is the caller's)."""
    before, was_relative = milestone.at, milestone.relative_to_release
    _place(session, release, milestone, when, now)
    milestone.moved_by, milestone.moved_at = actor, now
    milestone.move_reason = reason or None
    session.add(milestone)
    _record_move(session, release, milestone, before, actor=actor, why=reason or None, now=now)
    return Moved(milestone, before, was_relative)


def new_milestone(
    release_id: int, name: str, at: datetime, zone: ZoneInfo, actor: str, now: datetime
) -> Milestone:
    """A milestone not yet added, at `at` as meant in `zone`, its notices planned from now."""
    return Milestone(
        release_id=release_id,
        name=name,
        key=key_of(name),
        at=at,
        zone=zone.key,
        planned_at=at,
        created_by=actor,
        created_at=now,
        plan_from=now,
    )


def _place(
    session: Session, release: Release, milestone: Milestone, when: When, now: datetime
) -> None:
    """Put a milestone at a new instant; notices for it are planned from now on."""
    countdown.clear_future(session, milestone, now)
    milestone.at = when.at
    milestone.zone = when.zone.key
    milestone.relative_to_release = when.offset is not None
    milestone.offset = when.offset.text() if when.offset else None
    milestone.plan_from = now
    milestone.moves += 1
    session.add(milestone)
    session.flush()
    countdown.replan(session, milestone, notify_of(session, release.id or 0))


def remove(
    session: Session,
    release: Release,
    name: str,
    *,
    actor: Actor,
    now: datetime,
) -> Milestone:
    """Remove a milestone (leads only) with its countdown."""
    require_lead(session, release, actor, CHANGING)
    milestone = find(session, release, name)
    _delete(session, milestone)
    audit.record(
        session,
        release,
        "milestone.removed",
        milestone.name,
        before=milestone.at,
        actor=actor.user,
        at=now,
    )
    return milestone


def _delete(session: Session, milestone: Milestone) -> None:
    countdown.forget(session, milestone)
    entries = select(ScheduleSourceEntry).where(ScheduleSourceEntry.milestone_id == milestone.id)
    for entry in session.exec(entries):
        entry.milestone_id = None  # a removed milestone is not brought back by a sync
        session.add(entry)
    session.flush()
    session.delete(milestone)
    session.flush()


def apply(
    session: Session,
    release: Release,
    template: ScheduleTemplate,
    *,
    actor: Actor,
    now: datetime,
) -> Applied:
    """Lay out a template's milestones from release day (leads only).

    Milestones of an earlier template are updated or removed; the lead's own milestones are
    kept, also when the template has one of the same name.
    """
    require_lead(session, release, actor, CHANGING)
    assert release.id is not None
    if release.release_at is None and any(s.offset for s in template.milestones):
        raise DomainError(
            "Set release day first (`/release postpone DATE`): the schedule counts back from it."
        )
    existing = milestones(session, release.id)
    own = {m.key: m for m in existing if m.template is None}
    earlier = {m.key: m for m in existing if m.template is not None}
    offsets = notify_of(session, release.id)
    created: list[Milestone] = []
    updated: list[Milestone] = []
    kept: list[Milestone] = []
    for spec in template.milestones:
        key = key_of(spec.name)
        if key in own:
            kept.append(own[key])
            continue
        old = earlier.pop(key, None)
        milestone = _from_template(session, release, spec, old, template.name, actor.user, now)
        (updated if old is not None else created).append(milestone)
    removed = list(earlier.values())
    for milestone in removed:
        _delete(session, milestone)
    session.flush()
    for milestone in [*created, *updated]:
        countdown.replan(session, milestone, offsets)
    audit.record(
        session,
        release,
        "schedule.applied",
        template.name,
        after=f"{len(created) + len(updated)} milestones",
        detail=f"{len(created)} new, {len(updated)} updated, {len(removed)} removed, "
        f"{len(kept)} of the lead's own kept",
        actor=actor.user,
        at=now,
    )
    return Applied(template, created, updated, removed, kept)


def _from_template(
    session: Session,
    release: Release,
    spec: MilestoneSpec,
    old: Milestone | None,
    template: str,
    actor: str,
    now: datetime,
) -> Milestone:
    """The template's milestone at its instant: an earlier template's one updated, or new."""
    assert release.id is not None
    zone = ZoneInfo(release.zone)
    if spec.offset is not None:
        assert release.release_at is not None
        at, meant = spec.offset.resolve(release.release_at, zone)
    else:
        assert spec.fixed is not None
        at, meant = spec.fixed.resolve(zone)
    milestone = old or new_milestone(release.id, spec.name, at, meant, actor, now)
    if old is not None and old.at != at:
        countdown.clear_future(session, old, now)
        old.plan_from = now
        old.moves += 1
    milestone.name, milestone.at, milestone.zone = spec.name, at, meant.key
    milestone.relative_to_release = spec.offset is not None
    milestone.offset = spec.offset.text() if spec.offset else None
    milestone.owner_role = spec.owner
    milestone.description = spec.description or None
    milestone.phase, milestone.marks = spec.phase, spec.marks
    milestone.template = template
    session.add(milestone)
    return milestone


def set_notify(
    session: Session,
    release: Release,
    offsets: tuple[int, ...],
    *,
    actor: Actor,
    now: datetime,
) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Change when the release's milestones are announced (leads only); before and after.

    Notices that fell due before the change are not sent; the new offsets count from now.
    """
    require_lead(session, release, actor, "change when milestones are announced")
    assert release.id is not None
    before = notify_of(session, release.id)
    setting = session.get(ScheduleSetting, release.id) or ScheduleSetting(
        release_id=release.id, updated_by=actor.user
    )
    setting.notify = ",".join(str(o) for o in offsets)
    setting.updated_by, setting.updated_at = actor.user, now
    session.add(setting)
    session.flush()
    for milestone in milestones(session, release.id):
        if milestone.at > now:
            milestone.plan_from = max(milestone.plan_from, now)
            countdown.replan(session, milestone, offsets)
    audit.record(
        session,
        release,
        "schedule.notify",
        "countdown",
        before=describe_notify(before),
        after=describe_notify(offsets),
        actor=actor.user,
        at=now,
    )
    return before, offsets


def move_with_release(
    session: Session, release: Release, *, actor: str, now: datetime
) -> list[Moved]:
    """After release day moved: recompute every milestone relative to it; the ones that moved."""
    if release.release_at is None or release.id is None:
        return []
    zone = ZoneInfo(release.zone)
    moved: list[Moved] = []
    for milestone in milestones(session, release.id):
        if not milestone.relative_to_release or not milestone.offset:
            continue
        offset = offset_of(milestone.offset)
        at, meant = offset.resolve(release.release_at, zone)
        if at == milestone.at:
            continue
        before = milestone.at
        _place(session, release, milestone, When(at, meant, offset), now)
        why = f"release day moved ({milestone.offset} from release day)"
        _record_move(session, release, milestone, before, actor=actor, why=why, now=now)
        moved.append(Moved(milestone, before, True))
    return moved


def _record_move(
    session: Session,
    release: Release,
    milestone: Milestone,
    before: datetime,
    *,
    actor: str,
    why: str | None,
    now: datetime,
) -> None:
    audit.record(
        session,
        release,
        "milestone.moved",
        milestone.name,
        before=before,
        after=milestone.at,
        detail=why,
        actor=actor,
        at=now,
    )


def _unique(session: Session, release: Release, name: str) -> None:
    query = select(Milestone).where(
        Milestone.release_id == release.id, Milestone.key == key_of(name)
    )
    if session.exec(query).first() is not None:
        raise Conflict(
            f"This release already has a milestone {quoted(name)}; "
            "`/release milestone move` changes its date."
        )


def marks_of(name: str) -> str | None:
    """What a milestone's name says it marks (code freeze, docs freeze), if anything."""
    return next((mark for mark, pattern in _NAMED.items() if pattern.search(name)), None)


def _detail(milestone: Milestone) -> str:
    parts = [f"{milestone.offset} from release day" if milestone.offset else "fixed date"]
    parts.append(f"zone {milestone.zone}")
    if milestone.owner_role:
        parts.append(f"owner {milestone.owner_role}")
    return "; ".join(parts)


# --- what others ask ---------------------------------------------------------------------


def marked(session: Session, release: Release, mark: str) -> Milestone | None:
    """The milestone marked `mark` (by its template, or by its name), or None."""
    assert release.id is not None
    found = milestones(session, release.id)
    return next((m for m in found if m.marks == mark), None) or next(
        (m for m in found if mark in _NAMED and _NAMED[mark].search(m.name)), None
    )


def phase_of(session: Session, release: Release, now: datetime) -> str | None:
    """The phase from the milestones ("code freeze since Fri 21 Mar, 12 days to release day").

    None when there are no milestones, or release day has come (the release says it then).
    """
    if release.state != "active" or release.id is None:
        return None
    zone = ZoneInfo(release.zone)
    today = now.astimezone(zone).date()
    left = None
    if release.release_at is not None:
        left = (release.release_at.astimezone(zone).date() - today).days
        if left <= 0:
            return None  # release day and after: the release's own phase says it
    found = [m for m in milestones(session, release.id) if m.marks != RELEASE]
    if not found:
        return None
    passed = [m for m in found if m.at <= now]
    if passed:
        opened = next((m for m in reversed(passed) if m.phase), passed[-1])
        head = f"{opened.phase or opened.name} since {short_day(opened.at, zone, today)}"
    else:
        head = f"before {found[0].name} ({short_day(found[0].at, zone, today)})"
    if left is None:
        return head
    return f"{head}, {left} day{'s' if left != 1 else ''} to release day"


def next_for(session: Session, user_id: str, now: datetime, limit: int = 5) -> list[Upcoming]:
    """The person's next milestones in the active releases where they hold a role."""
    query = (
        select(Milestone, Release)
        .join(Release, col(Release.id) == col(Milestone.release_id))
        .where(
            col(Release.state) == "active",
            col(Milestone.at) > now,
            col(Release.id).in_(
                select(RoleAssignment.release_id).where(RoleAssignment.user_id == user_id)
            ),
        )
        .order_by(col(Milestone.at), col(Milestone.id))
        .limit(limit)
    )
    rows = list(session.exec(query))
    if not rows:
        return []
    roles = select(RoleAssignment).where(
        RoleAssignment.user_id == user_id,
        col(RoleAssignment.release_id).in_({release.id for _, release in rows}),
    )
    held = {(r.release_id, r.role) for r in session.exec(roles)}
    return [
        Upcoming(m, release, bool(m.owner_role) and (release.id, m.owner_role) in held)
        for m, release in rows
    ]

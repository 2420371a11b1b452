"""The Kubernetes burndown rhythm, laid out backwards from release day as ordinary series.

From the release team handbook: weekly team meetings at 10:00 Pacific; in the code slush
week (three weeks before the release week) they turn into Mon/Wed/Fri burndowns, through the
code freeze week; from the Monday of the week before the release week there is a burndown
every weekday until the Friday after release day.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import update
from sqlmodel import Session, col, select

from bot.burndown.models import MeetingSeries
from bot.burndown.recurrence import Rule, days_mask, mask_days, next_occurrence
from bot.burndown.series import areas_of, remind_of
from bot.burndown.service import MAX_AHEAD, SeriesSpec, create_series, describe, save_series
from bot.core import audit
from bot.core.actor import Actor
from bot.core.asks.milestones import Marks, MarksOf, marks_of
from bot.core.errors import DomainError
from bot.release.models import Release
from bot.release.service import require_lead

KUBERNETES = "kubernetes"
CADENCES = (KUBERNETES,)
DEFAULT_TIME = time(10, 0)
DEFAULT_ZONE = ZoneInfo("America/Los_Angeles")
DEFAULT_WEEKLY_DAY = 0  # Monday
WEEKLY, MWF, DAILY = "weekly", "mwf", "daily"
SLUSH_WEEKS_BEFORE = 3
DAILY_WEEKS_BEFORE = 1


@dataclass(frozen=True)
class Anchors:
    """Where the cadence's stretches begin, when the schedule says so."""

    mwf_from: date | None
    daily_from: date | None
    mwf_milestone: str | None = None
    daily_milestone: str | None = None


def anchors_of(marks: Marks, zone: ZoneInfo) -> Anchors:
    """The days (in the meetings' zone) Mon/Wed/Fri and daily burndown begin, per milestones."""
    code, docs = marks.code_freeze, marks.docs_freeze
    mwf = code.at.astimezone(zone).date() if code else None
    daily = docs.at.astimezone(zone).date() if docs else None
    if mwf is not None and daily is not None and daily <= mwf:
        daily = None  # a docs freeze before code freeze cannot start the daily stretch
    return Anchors(
        mwf, daily, code.name if code and mwf else None, docs.name if docs and daily else None
    )


@dataclass(frozen=True)
class Piece:
    """One stretch of the rhythm: which days, from when, until when (inclusive)."""

    name: str
    days: int
    start: date
    end: date


def kubernetes_pieces(
    release_day: date,
    first_day: date,
    weekly_day: int,
    anchors: Anchors | None = None,
) -> list[Piece]:
    """The rhythm's stretches for a release day, none starting before `first_day`.

    With `anchors` (the release's code-freeze and docs-freeze milestones), Mon/Wed/Fri
    begins at code freeze and every weekday at docs freeze; each falls back to the
    handbook's weeks when the schedule has no such milestone.
    """
    release_week = release_day - timedelta(days=release_day.weekday())
    friday_after = release_day + timedelta(days=(4 - release_day.weekday()) % 7)
    daily_from = release_week - timedelta(weeks=DAILY_WEEKS_BEFORE)
    slush = release_week - timedelta(weeks=SLUSH_WEEKS_BEFORE)
    if anchors is not None and anchors.daily_from is not None:
        daily_from = min(anchors.daily_from, friday_after)
    if anchors is not None and anchors.mwf_from is not None:
        slush = anchors.mwf_from
    slush = min(slush, daily_from)
    pieces = [
        Piece(WEEKLY, days_mask([weekly_day]), first_day, slush - timedelta(days=1)),
        Piece(MWF, days_mask([0, 2, 4]), slush, daily_from - timedelta(days=1)),
        Piece(DAILY, days_mask(range(5)), daily_from, friday_after),
    ]
    clamped = [replace(p, start=max(p.start, first_day)) for p in pieces]
    return [p for p in clamped if p.start <= p.end]


def _release_day(release: Release, now: datetime) -> date:
    if release.release_at is None:
        raise DomainError(
            "Set release day first (`/release postpone DATE`): the cadence counts back from it."
        )
    day = release.release_at.astimezone(ZoneInfo(release.zone)).date()
    if release.release_at <= now:
        raise DomainError("Release day has passed; there is no burndown rhythm to lay out.")
    if day > now.date() + MAX_AHEAD:
        raise DomainError("Release day is more than three years away; lay out the cadence later.")
    return day


def cadence_series(session: Session, release: Release) -> list[MeetingSeries]:
    """The release's active series that belong to a cadence."""
    query = (
        select(MeetingSeries)
        .where(
            MeetingSeries.release_id == release.id,
            MeetingSeries.state == "active",
            col(MeetingSeries.cadence).is_not(None),
        )
        .order_by(col(MeetingSeries.start_date))
    )
    return list(session.exec(query))


def lay_out(
    session: Session,
    release: Release,
    template: SeriesSpec,
    *,
    weekly_day: int,
    actor: Actor,
    now: datetime,
    milestones: Sequence[MarksOf] = (),
) -> tuple[list[MeetingSeries], int]:
    """Create the rhythm as series (replacing an old cadence; leads only).

    `milestones` (the answers to MILESTONES) anchor the stretches at the freezes; without
    them the handbook's weeks hold. Returns the new series and how many of the old ended.
    """
    require_lead(session, release, actor, "lay out the burndown cadence")
    day = _release_day(release, now)
    old = cadence_series(session, release)
    for series in old:
        _end(session, release, series, actor=actor.user, now=now, why="replaced by a new cadence")
    first_day = now.astimezone(template.zone).date()
    anchors = anchors_of(marks_of(milestones, session, release), template.zone)
    pieces = kubernetes_pieces(day, first_day, weekly_day, anchors)
    created = _create(session, release, template, pieces, actor=actor.user, now=now)
    if not created:
        raise DomainError("No burndown falls between now and the Friday after release day.")
    return created, len(old)


def _create(
    session: Session,
    release: Release,
    template: SeriesSpec,
    pieces: Iterable[Piece],
    *,
    actor: str,
    now: datetime,
) -> list[MeetingSeries]:
    """A new cadence series for each of `pieces` that still meets after `now`."""
    created = []
    for piece in pieces:
        spec = _spec(template, piece)
        if _meets_after(spec, now):
            created.append(
                create_series(
                    session,
                    release,
                    spec,
                    actor=actor,
                    now=now,
                    cadence=KUBERNETES,
                    piece=piece.name,
                )
            )
    return created


def _spec(template: SeriesSpec, piece: Piece) -> SeriesSpec:
    return replace(template, days=piece.days, start=piece.start, end=piece.end)


def _meets_after(spec: SeriesSpec, now: datetime) -> bool:
    rule = Rule(days=spec.days, at=spec.at, zone=spec.zone, start=spec.start, end=spec.end)
    return next_occurrence(rule, now) is not None


def _template_of(series: MeetingSeries) -> SeriesSpec:
    hour, minute = (int(part) for part in series.at_time.split(":"))
    return SeriesSpec(
        days=series.days,
        at=time(hour, minute),
        zone=ZoneInfo(series.zone),
        start=series.start_date,
        end=series.end_date,
        remind=remind_of(series),
        status_lead=series.status_lead,
        link=series.link,
        areas=tuple(areas_of(series)),
    )


def move_with_release(
    session: Session,
    release: Release,
    *,
    actor: str,
    now: datetime,
    milestones: Sequence[MarksOf] = (),
) -> list[MeetingSeries]:
    """Recompute the cadence's stretches after release day moved; returns the changed series.

    `milestones` as for `lay_out`, read after the schedule moved with release day.
    """
    old = cadence_series(session, release)
    if not old or release.release_at is None or release.release_at <= now:
        return []
    if release.release_at > now + MAX_AHEAD:
        return []  # too far to lay out; the pieces stay where they were
    day = release.release_at.astimezone(ZoneInfo(release.zone)).date()
    template = _template_of(old[0])
    weekly = next((s for s in old if s.piece == WEEKLY), None)
    weekly_day = mask_days(weekly.days)[0] if weekly else DEFAULT_WEEKLY_DAY
    first_day = min(s.created_at.astimezone(template.zone).date() for s in old)
    anchors = anchors_of(marks_of(milestones, session, release), template.zone)
    wanted = {p.name: p for p in kubernetes_pieces(day, first_day, weekly_day, anchors)}
    changed: list[MeetingSeries] = []
    for series in old:
        piece = wanted.pop(series.piece or "", None)
        if piece is None or not _meets_after(_spec(template, piece), now):
            _end(session, release, series, actor=actor, now=now, why="release day moved")
            changed.append(series)
        elif (series.start_date, series.end_date) != (piece.start, piece.end):
            _move(session, release, series, piece, actor=actor, now=now)
            changed.append(series)
    changed += _create(session, release, template, wanted.values(), actor=actor, now=now)
    return changed


def _move(
    session: Session,
    release: Release,
    series: MeetingSeries,
    piece: Piece,
    *,
    actor: str,
    now: datetime,
) -> None:
    before = describe(series)
    series.start_date, series.end_date, series.plan_from = piece.start, piece.end, now
    moved = "release day moved"
    save_series(session, release, series, "burndown.moved", actor, now, before=before, detail=moved)


def _end(
    session: Session,
    release: Release,
    series: MeetingSeries,
    *,
    actor: str,
    now: datetime,
    why: str,
) -> None:
    session.execute(
        update(MeetingSeries)
        .where(col(MeetingSeries.id) == series.id, col(MeetingSeries.state) == "active")
        .values(state="ended", ended_at=now, next_due_at=None)
    )
    series.state, series.ended_at, series.next_due_at = "ended", now, None
    audit.record(
        session,
        release,
        "burndown.ended",
        f"series {series.id}",
        before="active",
        after="ended",
        detail=f"{describe(series)}; {why}",
        actor=actor,
        at=now,
    )

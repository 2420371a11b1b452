"""Rows for calendar tests and the page benchmark, written straight into the database."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.app import create_services
from bot.burndown.models import MeetingSeries, MeetingSkip
from bot.burndown.recurrence import days_mask
from bot.calendar import service as calendars
from bot.checklist.models import Checklist, ChecklistStep
from bot.core import audit
from bot.core.asks.calendar import FEED_PART, PAGE_PART, FeedPartOf, PagePartOf
from bot.core.config import Settings
from bot.core.db import Database
from bot.gates.models import GITHUB, Gate, GateCheck
from bot.gonogo.models import Poll, PollVote, PollVoter
from bot.release.models import Release, RoleAssignment
from bot.schedule.models import Milestone

LEAD = "U0LEAD0001"
DOCS = "U0DOCS0002"
BRANCH = "U0BRANCH03"
CHANNEL = "C0CAL0001"
LA = "America/Los_Angeles"
# Mid-checklist on release day, in Los Angeles.
RELEASE_AT = datetime(2027, 3, 17, 17, 0, tzinfo=UTC)  # Wed 17 Mar 2027 10:00 PDT
NOW = datetime(2027, 3, 17, 18, 30, tzinfo=UTC)
MON_WED_FRI = days_mask([0, 2, 4])


@dataclass
class Built:
    """What a builder made: the release, its token and the ids worth asserting on."""

    release: Release
    token: str
    series_ids: list[int]


def services_for(db: Database, now: datetime = NOW, people: Any = None) -> Any:
    """The app's Services over `db` (every feature's answers), its clock at `now`, `people`."""
    services = create_services(Settings(), db)
    services.clock = lambda: now
    services.people = people
    return services


def feed_parts(db: Database) -> list[FeedPartOf]:
    """Every feature's events of the calendar feed, as the app registers them."""
    return services_for(db).answers_to(FEED_PART)


def page_parts(db: Database) -> list[PagePartOf]:
    """Every feature's part of the release page, as the app registers them."""
    return services_for(db).answers_to(PAGE_PART)


def release(
    db: Database,
    *,
    name: str = "v1.40",
    zone: str = LA,
    release_at: datetime | None = RELEASE_AT,
    roles: dict[str, list[str]] | None = None,
) -> tuple[Release, str]:
    """A release with its roles and a calendar token."""
    with db.session() as s:
        rel = Release(
            channel_id=CHANNEL,
            name=name,
            zone=zone,
            release_at=release_at,
            created_by=LEAD,
            created_at=NOW - timedelta(days=60),
        )
        s.add(rel)
        s.flush()
        assert rel.id is not None
        for role, users in (roles or {"lead": [LEAD], "docs": [DOCS]}).items():
            for user in users:
                s.add(RoleAssignment(release_id=rel.id, role=role, user_id=user))
        token = calendars.link_for(s, rel, LEAD, NOW - timedelta(days=30))
        assert token is not None
    return rel, token


def series(
    db: Database,
    rel: Release,
    *,
    days: int = MON_WED_FRI,
    at: str = "10:00",
    zone: str = LA,
    start: date = date(2027, 3, 1),
    end: date | None = date(2027, 3, 31),
    skips: tuple[date, ...] = (),
    link: str | None = "https://meet.example/burndown",
    areas: str = "ci\ndocs",
    state: str = "active",
) -> int:
    """A burndown series as `/burndown schedule` would leave it, with its audit trail."""
    with db.session() as s:
        row = MeetingSeries(
            release_id=rel.id or 0,
            channel_id=rel.channel_id,
            days=days,
            at_time=at,
            zone=zone,
            start_date=start,
            end_date=end,
            link=link,
            areas=areas,
            state=state,
            created_by=LEAD,
        )
        s.add(row)
        s.flush()
        assert row.id is not None
        audit.record(
            s,
            release=rel,
            actor=LEAD,
            action="burndown.scheduled",
            subject=f"series {row.id}",
            at=NOW - timedelta(days=20),
        )
        for day in skips:
            s.add(MeetingSkip(series_id=row.id, day=day, created_by=LEAD))
            audit.record(
                s,
                release=rel,
                actor=LEAD,
                action="burndown.skipped",
                subject=f"series {row.id}",
                after=day.isoformat(),
                at=NOW - timedelta(days=10),
            )
        return row.id


def checklist(
    db: Database, rel: Release, titles: list[str], done: int, states: list[str] | None = None
) -> int:
    """A running checklist numbered from 1 as `/checklist start` makes it: `done` steps
    finished, the next one active, the rest pending (or each step in the given `states`)."""
    states = states or [
        "done" if n < done else "active" if n == done else "pending" for n in range(len(titles))
    ]
    with db.session() as s:
        cl = Checklist(
            release_id=rel.id or 0,
            channel_id=rel.channel_id,
            template="kubernetes-minor",
            started_by=LEAD,
            started_at=NOW - timedelta(hours=2),
        )
        s.add(cl)
        s.flush()
        assert cl.id is not None
        for index, (title, state) in enumerate(zip(titles, states, strict=True)):
            began = NOW - timedelta(hours=2) + timedelta(minutes=10 * index)
            opened = state not in ("pending", "waiting")
            finished = state in ("done", "skipped", "failed")
            s.add(
                ChecklistStep(
                    checklist_id=cl.id,
                    position=index + 1,
                    title=title,
                    owner="docs" if index % 3 == 1 else "lead",
                    state=state,
                    expected_seconds=900,
                    activations=1 if opened else 0,
                    started_at=began if opened else None,
                    activated_at=began if opened else None,
                    finished_at=began + timedelta(minutes=7) if finished else None,
                    not_before=NOW + timedelta(hours=1) if state == "waiting" else None,
                    acted_by=LEAD if finished else None,
                    reason="not needed this time" if state == "skipped" else None,
                )
            )
        return cl.id


def gates(db: Database, rel: Release, names: list[str]) -> None:
    """Gates in turn passing, failing and not yet known, each owned by someone."""
    states = ("passing", "failing", "unknown")
    with db.session() as s:
        for index, name in enumerate(names):
            state = states[index % 3]
            gate = Gate(
                release_id=rel.id or 0,
                name=name,
                kind="http" if index % 2 else "manual",
                url="https://ci.example/api?token=SECRETTOKEN" if index % 2 else None,
                owners=f"{LEAD} {DOCS}",
                state=state,
                state_since=None if state == "unknown" else NOW - timedelta(minutes=40),
                last_checked_at=NOW - timedelta(minutes=2),
                last_detail="expected 0 got 3 for <@U0DOCS0002>",
                created_by=LEAD,
            )
            s.add(gate)
            if state == "unknown":
                continue
            s.flush()
            assert gate.id is not None
            # Green three hours ago, then its state since 40 minutes ago, checked again since.
            for ago, was in ((180, "passing"), (40, state), (2, state)):
                s.add(
                    GateCheck(
                        gate_id=gate.id,
                        release_id=rel.id or 0,
                        at=NOW - timedelta(minutes=ago),
                        result="pass" if was == "passing" else "fail",
                        state=was,
                    )
                )


def counting_gate(
    db: Database,
    rel: Release,
    name: str,
    values: list[float],
    *,
    every: timedelta = timedelta(hours=6),
    state: str | None = None,
) -> int:
    """A GitHub gate counting open blockers, checked every `every` up to NOW, with its history.

    Each value is a check's count: 0 passes, more fails. The gate's state is the last one.
    """
    with db.session() as s:
        first = NOW - every * (len(values) - 1)
        last = "passing" if values and values[-1] <= 0 else "failing"
        gate = Gate(
            release_id=rel.id or 0,
            name=name,
            kind=GITHUB,
            url="https://github.com/example/repo?token=SECRETTOKEN",
            owners=LEAD,
            state=state or last,
            state_since=NOW - every,
            last_checked_at=NOW,
            created_by=LEAD,
        )
        s.add(gate)
        s.flush()
        assert gate.id is not None
        for index, value in enumerate(values):
            red = value > 0
            s.add(
                GateCheck(
                    gate_id=gate.id,
                    release_id=rel.id or 0,
                    at=first + every * index,
                    result="fail" if red else "pass",
                    state="failing" if red else "passing",
                    value=value,
                    detail=f"{value:g} open <@{DOCS}>",
                )
            )
        return gate.id


def milestones(db: Database, rel: Release, count: int, zone: str = LA) -> list[datetime]:
    """`count` milestones, one every five days from a week before NOW; their instants."""
    found = []
    with db.session() as s:
        for n in range(count):
            at = NOW - timedelta(days=7) + timedelta(days=5 * n, hours=n % 5)
            s.add(
                Milestone(
                    release_id=rel.id or 0,
                    name=f"Milestone {n + 1:02d}",
                    key=f"milestone {n + 1:02d}",
                    at=at,
                    zone=zone,
                    owner_role="docs" if n % 2 else None,
                    planned_at=at,
                    created_by=LEAD,
                )
            )
            found.append(at)
    return found


BURNDOWN = [9, 9, 8, 11, 7, 7, 6, 4, 4, 5, 3, 2, 2, 1, 0, 0, 2, 1, 0, 0]


def poll(
    db: Database, rel: Release, question: str, votes: dict[str, str], voters: list[str]
) -> int:
    """An open go/no-go poll with its required voters and votes."""
    with db.session() as s:
        row = Poll(
            release_id=rel.id or 0,
            channel_id=rel.channel_id,
            question=question,
            deadline=NOW + timedelta(hours=1),
            created_by=LEAD,
        )
        s.add(row)
        s.flush()
        assert row.id is not None
        for position, user in enumerate(voters):
            s.add(PollVoter(poll_id=row.id, user_id=user, position=position))
        for user, choice in votes.items():
            s.add(PollVote(poll_id=row.id, user_id=user, choice=choice))
        return row.id


def full_release(db: Database, *, series_count: int = 2, gate_count: int = 3) -> Built:
    """A release mid-checklist on release day, with series, gates and an open poll."""
    rel, token = release(db, roles={"lead": [LEAD], "docs": [DOCS], "branch-manager": [BRANCH]})
    ids = [
        series(
            db,
            rel,
            at=f"{9 + index % 8:02d}:{(index * 5) % 60:02d}",
            skips=(date(2027, 3, 19),) if index == 0 else (),
        )
        for index in range(series_count)
    ]
    titles = [f"Step {n}: cut and tag" for n in range(1, 31)]
    checklist(db, rel, titles, done=12)
    names = [f"gate-{n:02d}" for n in range(gate_count)]
    # Every tenth gate (the fifth, fifteenth, ...) counts blockers and has a burndown.
    gates(db, rel, [name for n, name in enumerate(names) if n % 10 != 4])
    for n, name in enumerate(names):
        if n % 10 == 4:
            counting_gate(db, rel, name, BURNDOWN[: 12 + n % 8])
    poll(
        db,
        rel,
        "Ship it? cc <@U0LEAD0001|lead> and <!subteam^S0TEAM01|@release-team>",
        {LEAD: "go", DOCS: "nogo", "U0OTHER004": "go"},
        [LEAD, DOCS, BRANCH],
    )
    return Built(rel, token, ids)

"""Who is told next when something of a role waits too long: the role's escalation ladder.

The rungs, in order: the role's holders (the owners), the role's backup (the holders of
`ROLE-shadow`, the Kubernetes habit), then the release's leads. After a rung is told, the next
one is told when its wait has passed: the release's own waits (`/release escalation 30m,30m`,
the last one repeating) or, by default, the wait the caller gives (a step's expected duration),
so without a shadow and without waits the ladder is the old "owners once, then the lead".

Working hours: a rung whose people are all outside 08:00-20:00 in their Slack profile zone is
still told (pings are never withheld, and the message says what time it is for them), and the
next rung is told at once instead of after the wait, until one is told with someone awake.

Pure rules over the role holders; zones and group members come in as functions, so any
feature (checklist steps, gates) can ask the same ladder.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core import audit
from bot.core.errors import DomainError
from bot.core.text.timeparse import ParseError, parse_duration
from bot.release.groups import MembersOf, is_group
from bot.release.models import Release
from bot.release.service import LEAD, require_lead, role_holders

WORK_START, WORK_END = time(8, 0), time(20, 0)
SHADOW = "-shadow"
MAX_WAITS = 5
OWNERS, BACKUP, LEADS = "owners", "backup", "lead"
# A person's id -> their Slack profile timezone (DomainError when Slack cannot say).
ZoneOf = Callable[[str], ZoneInfo]


@dataclass(frozen=True)
class Rung:
    """One rung of the ladder: who is told, through which role, and how long until the next.

    `holders` are as assigned (people and user groups: a group is mentioned as itself).
    `away` gives, for each person told who is outside working hours, their local time
    (`"03:10"`); `groups_away` the groups whose every member is outside them. `awake` is
    False when nobody of the rung is inside working hours now.
    """

    label: str
    role: str
    holders: list[str]
    wait: timedelta
    awake: bool = True
    away: dict[str, str] = field(default_factory=dict)
    groups_away: list[str] = field(default_factory=list)
    fell_to_lead: bool = False


def shadow_of(role: str) -> str:
    """The name of the role that backs `role` up: `docs` -> `docs-shadow`."""
    return role + SHADOW


def parse_waits(words: list[str]) -> tuple[timedelta, ...]:
    """`30m,30m` (or `30m 30m`): the waits between rungs; ParseError with the right form."""
    items = [item for word in words for item in word.split(",") if item.strip()]
    if not items:
        raise ParseError("Give the waits between rungs, like `30m,30m`, or `default`.")
    if len(items) > MAX_WAITS:
        raise ParseError(f"Give at most {MAX_WAITS} waits; the last one repeats.")
    return tuple(parse_duration(item) for item in items)


def stored_waits(waits: tuple[timedelta, ...] | None) -> str | None:
    """The waits as kept on the release: whole seconds, comma-separated (None: the default)."""
    if not waits:
        return None
    return ",".join(str(int(w.total_seconds())) for w in waits)


def waits_of(release: Release) -> tuple[timedelta, ...]:
    """The release's own waits between rungs; empty when it uses the default."""
    if not release.escalation:
        return ()
    return tuple(timedelta(seconds=int(part)) for part in release.escalation.split(",") if part)


def set_waits(
    session: Session,
    release: Release,
    waits: tuple[timedelta, ...] | None,
    *,
    actor: str,
    now: datetime,
    admins: Iterable[str] = (),
    members_of: MembersOf,
) -> bool:
    """Set the release's waits between rungs (None: back to the default); leads only.

    Returns False when they were already so.
    """
    require_lead(session, release, actor, admins, "set the escalation", members_of)
    before, after = release.escalation, stored_waits(waits)
    if before == after:
        return False
    release.escalation = after
    session.add(release)
    audit.record(
        session,
        release=release,
        actor=actor,
        action="release.escalation",
        subject=release.name,
        before=before,
        after=after,
        at=now,
    )
    return True


def escalation_ladder(
    session: Session,
    release: Release,
    role: str,
    now: datetime,
    zone_of: ZoneOf,
    *,
    default_wait: timedelta,
    members_of: MembersOf | None = None,
) -> list[Rung]:
    """The rungs to tell about something `role` owns, in order: owners, backup, lead.

    A rung nobody holds is left out (an empty role's owners are the leads, and then the
    lead rung is not repeated). Each rung says whether anyone of it is in working hours
    `now` (an unknown zone counts as awake: nobody is skipped on a guess).
    """
    assert release.id is not None
    holders = role_holders(session, release.id)
    leads = holders.get(LEAD, [])
    owners = holders.get(role, [])
    found: list[tuple[str, str, list[str], bool]] = [
        (OWNERS, role, owners or leads, not owners and role != LEAD)
    ]
    backup = holders.get(shadow_of(role), [])
    if backup:
        found.append((BACKUP, shadow_of(role), backup, False))
    if leads and set(leads) != set(found[0][2]):
        found.append((LEADS, LEAD, leads, False))
    waits = waits_of(release) or (default_wait,)
    rungs = []
    for index, (label, name, people, fell) in enumerate(found):
        if not people:
            continue
        wait = waits[min(index, len(waits) - 1)]
        rungs.append(_rung(label, name, people, wait, fell, now, zone_of, members_of))
    return rungs


@dataclass(frozen=True)
class Told:
    """The rungs to tell now, and the rung after them (None at the ladder's end)."""

    rungs: list[Rung]
    following: Rung | None

    @property
    def wait(self) -> timedelta | None:
        """How long after now the following rung is told (None: nobody is left to tell)."""
        return self.rungs[-1].wait if self.following is not None and self.rungs else None


def next_rungs(ladder: list[Rung], start: int) -> Told:
    """Rung `start`, and after it at once every next one while those told are all asleep."""
    told: list[Rung] = []
    index = start
    while index < len(ladder):
        told.append(ladder[index])
        index += 1
        if told[-1].awake:
            break
    return Told(told, ladder[index] if index < len(ladder) else None)


def _rung(
    label: str,
    role: str,
    holders: list[str],
    wait: timedelta,
    fell: bool,
    now: datetime,
    zone_of: ZoneOf,
    members_of: MembersOf | None,
) -> Rung:
    """A rung with who of it is outside working hours now."""
    away: dict[str, str] = {}
    groups_away: list[str] = []
    awake = False
    for holder in holders:
        if is_group(holder):
            clocks = [_clock(m, now, zone_of) for m in _members(holder, members_of)]
            if not clocks or any(c is None or _working(c) for c in clocks):
                awake = True
            else:
                groups_away.append(holder)
            continue
        clock = _clock(holder, now, zone_of)
        if clock is None or _working(clock):
            awake = True
        else:
            away[holder] = f"{clock:%H:%M}"
    return Rung(label, role, list(holders), wait, awake, away, groups_away, fell)


def _members(group: str, members_of: MembersOf | None) -> list[str]:
    if members_of is None:
        return []
    try:
        return sorted(members_of(group))
    except DomainError:
        return []


def _clock(person: str, now: datetime, zone_of: ZoneOf) -> time | None:
    """The person's wall clock now, or None when their zone cannot be read."""
    try:
        return now.astimezone(zone_of(person)).time()
    except DomainError:
        return None


def _working(clock: time) -> bool:
    return WORK_START <= clock < WORK_END

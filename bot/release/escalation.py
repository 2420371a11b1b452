"""Who is told next when something of a role waits too long: the role's escalation ladder.

The rungs, in order: the role's holders (the owners), the role's backup (the holders of
`ROLE-shadow`, the Kubernetes habit), then the release's leads. After a rung is told, the next
one is told when its wait has passed: the release's own waits (`/release escalation 30m,30m`,
the last one repeating) or, by default, the wait the caller gives (a step's expected duration),
so without a shadow and without waits the ladder is the old "owners once, then the lead".

Who can answer: a rung whose people are all outside 08:00-20:00 in their Slack profile zone,
away by their Slack status, or on a public holiday in their country (`AwayOf`) is still told
(pings are never withheld, and the message says why each cannot answer), and the next rung is
told at once instead of after the wait, until one is told with someone who can answer.

Pure rules over the role holders; zones and group members come in as functions, so any
feature (checklist steps, gates) can ask the same ladder.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core import audit
from bot.core.actor import Actor
from bot.core.errors import DomainError
from bot.core.text.timeparse import ParseError, parse_duration
from bot.release.groups import MembersOf, is_group, mention
from bot.release.models import Release
from bot.release.service import LEAD, require_lead, role_holders

WORK_START, WORK_END = time(8, 0), time(20, 0)
SHADOW = "-shadow"
MAX_WAITS = 5
OWNERS, BACKUP, LEADS = "owners", "backup", "lead"
# A person's id -> their Slack profile timezone (DomainError when Slack cannot say).
ZoneOf = Callable[[str], ZoneInfo]
# A person's id and the instant -> why they are away then ("on holiday (Republic Day)",
# "away (vacation)"), or None when nothing says so.
AwayOf = Callable[[str, datetime], "str | None"]


@dataclass(frozen=True)
class Rung:
    """One rung of the ladder: who is told, through which role, and how long until the next.

    `holders` are as assigned (people and user groups: a group is mentioned as itself).
    `away` gives, for each person told who is outside working hours, their local time
    (`"03:10"`); `groups_away` the groups whose every member cannot answer. `why` says, for
    each person or group who cannot answer now, why ("outside working hours (03:10 there)",
    "on holiday (Republic Day)", "away (vacation)"). `awake` is False when nobody of the rung
    can answer now.
    """

    label: str
    role: str
    holders: list[str]
    wait: timedelta
    awake: bool = True
    away: dict[str, str] = field(default_factory=dict)
    groups_away: list[str] = field(default_factory=list)
    fell_to_lead: bool = False
    why: dict[str, str] = field(default_factory=dict)


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
    actor: Actor,
    now: datetime,
) -> bool:
    """Set the release's waits between rungs (None: back to the default); leads only.

    Returns False when they were already so.
    """
    require_lead(session, release, actor, "set the escalation")
    before, after = release.escalation, stored_waits(waits)
    if before == after:
        return False
    release.escalation = after
    session.add(release)
    audit.record(
        session,
        release,
        "release.escalation",
        release.name,
        before=before,
        after=after,
        actor=actor.user,
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
    away_of: AwayOf | None = None,
) -> list[Rung]:
    """The rungs to tell about something `role` owns, in order: owners, backup, lead.

    A rung nobody holds is left out (an empty role's owners are the leads, and then the
    lead rung is not repeated). Each rung says whether anyone of it can answer `now` (an
    unknown zone counts as awake: nobody is skipped on a guess).
    """
    people = Presence(zone_of, members_of, away_of)
    return owners_ladder(session, release, None, [role], now, people, default_wait=default_wait)


@dataclass(frozen=True)
class Presence:
    """How the ladder learns who can answer: zones, group members, and who is away."""

    zone_of: ZoneOf
    members_of: MembersOf | None = None
    away_of: AwayOf | None = None


def owners_ladder(
    session: Session,
    release: Release,
    owners: list[str] | None,
    roles: list[str],
    now: datetime,
    people: Presence,
    *,
    default_wait: timedelta,
) -> list[Rung]:
    """The ladder of something owned by people and roles (a gate): owners, backups, lead.

    `owners` are who owns it now (people and the roles' holders; empty falls to the lead;
    None: the holders of the one role in `roles`); the backup rung holds the holders of
    each of `roles`' `ROLE-shadow`.
    """
    assert release.id is not None
    holders = role_holders(session, release.id)
    if owners is None:
        owners = holders.get(roles[0], [])
    leads = holders.get(LEAD, [])
    role = ", ".join(roles) or OWNERS
    found: list[tuple[str, str, list[str], bool]] = [
        (OWNERS, role, owners or leads, not owners and LEAD not in roles)
    ]
    shadows = [shadow_of(r) for r in roles]
    backup = list(dict.fromkeys(h for name in shadows for h in holders.get(name, [])))
    if backup:
        found.append((BACKUP, ", ".join(shadows), backup, False))
    if leads and set(leads) != set(found[0][2]):
        found.append((LEADS, LEAD, leads, False))
    waits = waits_of(release) or (default_wait,)
    rungs = []
    for index, (label, name, holding, fell) in enumerate(found):
        if not holding:
            continue
        wait = waits[min(index, len(waits) - 1)]
        rungs.append(_rung(label, name, holding, wait, fell, now, people))
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
    people: Presence,
) -> Rung:
    """A rung with who of it cannot answer now, and why."""
    away: dict[str, str] = {}
    why: dict[str, str] = {}
    groups_away: list[str] = []
    awake = False
    for holder in holders:
        if is_group(holder):
            members = _members(holder, people.members_of)
            if not members or any(_absence(m, now, people) is None for m in members):
                awake = True
            else:
                groups_away.append(holder)
            continue
        absence = _absence(holder, now, people)
        if absence is None:
            awake = True
            continue
        why[holder], clock = absence
        if clock:
            away[holder] = clock
    return Rung(label, role, list(holders), wait, awake, away, groups_away, fell, why)


def _absence(person: str, now: datetime, people: Presence) -> tuple[str, str] | None:
    """Why the person cannot answer now, and their clock when off hours is why; None: they can.

    Away by status and public holidays come first: they say more than the hour does.
    """
    if people.away_of is not None:
        reason = people.away_of(person, now)
        if reason:
            return reason, ""
    clock = _clock(person, now, people.zone_of)
    if clock is None or _working(clock):
        return None
    return f"outside working hours ({clock:%H:%M} there)", f"{clock:%H:%M}"


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


@dataclass(frozen=True)
class Climb:
    """What a look at a red spell's ladder decides: who to tell now, and when to look again.

    `told` is None when nobody is told now; `rungs_told` counts the rungs told after it;
    `due_at` is the next look (None: the ladder's end); `answerless` is True when the rung
    before was told long enough ago and did not answer (False: it could not answer now).
    """

    told: Told | None
    rungs_told: int
    due_at: datetime | None
    answerless: bool = False
    before: Rung | None = None  # the rung told last before this look


def climb(
    ladder: list[Rung], rungs_told: int, *, first_look: bool, since: datetime, now: datetime
) -> Climb:
    """Look at the ladder when `rungs_told` rungs were told (the first at `since`).

    The next rung is told now when those told last cannot answer now (asleep, away, on
    holiday), or when this is not the first look (the look was planned for the end of the
    last rung's wait). At the first look, with someone told able to answer, the next look
    is planned for the end of the first rung's wait.
    """
    if rungs_told < 1 or rungs_told >= len(ladder):
        return Climb(None, rungs_told, None)
    last = ladder[rungs_told - 1]
    if first_look and last.awake:
        return Climb(None, rungs_told, since + last.wait)
    told = next_rungs(ladder, rungs_told)
    wait = told.wait
    due = now + wait if wait is not None else None
    return Climb(told, rungs_told + len(told.rungs), due, last.awake, last)


def why_text(rung: Rung) -> str:
    """Why nobody of the rung can answer now: `@ana is on holiday (Republic Day)`; or ""."""
    parts = [f"{mention(person)} is {why}" for person, why in rung.why.items()]
    parts += [
        f"every member of {mention(group)} is off hours, away or on holiday"
        for group in rung.groups_away
    ]
    return "; ".join(parts)

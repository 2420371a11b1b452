"""Reading `/release` arguments: a new release's name and day, a role's holders, a new day."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.core.text.escape import quoted
from bot.core.text.timeparse import ParseError, looks_like_zone, parse_moment
from bot.release.groups import holder_ids
from bot.release.models import Release

DEFAULT_TIME = time(9, 0)
UTC_ZONE = ZoneInfo("UTC")
MAX_REASON = 1000  # the same for every reason, typed here or in a reason modal


def parse_new(
    args: list[str], *, now: datetime, caller_zone: Callable[[], ZoneInfo]
) -> tuple[str, datetime | None, ZoneInfo]:
    """`NAME [on DATE [TIME] [TZ]]`: the name, release day (if given) and the release's zone.

    A day without a time is at 09:00; without a zone, both are in the caller's zone (asked
    for only then: reading it may ask Slack).
    """
    lowered = [a.lower() for a in args]
    cut = lowered.index("on") if "on" in lowered else len(args)
    name = " ".join(args[:cut]).strip()
    if not name:
        raise ParseError("A release needs a name.")
    if cut == len(args):
        return name, None, caller_zone()
    rest = args[cut + 1 :]
    if not rest:
        raise ParseError("`on` needs a date after it, like `on 2027-03-15`.")
    named = any(looks_like_zone(word) for word in rest[1:])
    default_zone = UTC_ZONE if named else caller_zone()
    moment, left = parse_moment(rest, now=now, default_zone=default_zone, default_time=DEFAULT_TIME)
    _nothing_left(left)
    return name, moment.instant, moment.zone


def parse_role(args: list[str]) -> tuple[str, list[str]]:
    """`ROLE @person|@group...` or `ROLE none`: the role and its new holders (people, groups)."""
    if not args:
        raise ParseError("Name a role and the people (or user groups) who hold it.")
    name, people = args[0], args[1:]
    if not people:
        raise ParseError("Name the people or user groups who hold the role, or `none` to empty it.")
    return name, [] if [p.lower() for p in people] == ["none"] else holder_ids(people)


def check_postpone(args: list[str], reason: str) -> None:
    """Refuse a postponement that names no day or gives too long a reason."""
    if not args:
        raise ParseError("Say when release day moves to.")
    if len(reason) > MAX_REASON:
        raise ParseError(
            f"A reason can be at most {MAX_REASON:,} characters; this one has {len(reason):,}."
        )


def parse_new_day(args: list[str], release: Release, *, now: datetime) -> datetime:
    """`DATE [TIME] [TZ]`: the new release day; time and zone default to the release's."""
    zone = ZoneInfo(release.zone)
    old_time = (
        release.release_at.astimezone(zone).time().replace(tzinfo=None)
        if release.release_at
        else DEFAULT_TIME
    )
    moment, left = parse_moment(args, now=now, default_zone=zone, default_time=old_time)
    _nothing_left(left)
    return moment.instant


def parse_close(args: list[str]) -> bool:
    """`[--cancelled]`: True when the release is called off rather than released."""
    flags = {a.lower() for a in args}
    if flags - {"--cancelled", "cancelled"}:
        raise ParseError("`close` takes nothing but an optional `--cancelled`.")
    return bool(flags)


def _nothing_left(left: list[str]) -> None:
    if left:
        raise ParseError(f"I did not understand {quoted(' '.join(left))} after the date.")

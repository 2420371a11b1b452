"""Reading `/release schedule` and `/release milestone` arguments (decoded words) into specs.

A milestone's NAME may be several words: the words before its DATE. A DATE is a calendar
date (`2027-03-01`, `today`, `tomorrow`, `fri`) or an offset from release day (`R-21d`,
`-5w thu`, `R`). Without a time, a milestone falls at the end of its day (23:59); without a
zone, times are in the release's zone.
"""

from __future__ import annotations

import re
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.errors import DomainError
from bot.core.text.escape import decode, quoted
from bot.core.text.timeparse import ParseError, parse_moment
from bot.release.models import Release
from bot.schedule.service import NewMilestone, When
from bot.schedule.template_yaml import MAX_DESCRIPTION
from bot.schedule.timing import END_OF_DAY, is_date_word, is_offset_word, is_time_word, parse_offset

MAX_REASON = 1000
_MINOR = re.compile(r"\d{1,3}\.\d{1,3}")


def split_name(args: list[str], example: str) -> tuple[str, list[str]]:
    """The words before the first date-like word (the name), and the words from it on."""
    cut = next((i for i, word in enumerate(args) if i > 0 and is_date_word(word)), None)
    if not args:
        raise ParseError(f"Name the milestone and its date, like `{example}`.")
    if cut is None:
        raise ParseError(
            f"I found no date after {quoted(' '.join(args))}. Put the date after the name, "
            f"like `{example}`."
        )
    return " ".join(args[:cut]), args[cut:]


def parse_when(words: list[str], release: Release, *, now: datetime) -> tuple[When, list[str]]:
    """`DATE [TIME] [TZ]` or `OFFSET [TIME] [TZ]` from the front of words, and the rest."""
    zone = ZoneInfo(release.zone)
    if words and is_offset_word(words[0]):
        if release.release_at is None:
            raise DomainError(
                "This release has no release day to count from yet: give a date, or set "
                "release day with `/release postpone DATE`."
            )
        offset, rest = parse_offset(words)
        at, meant = offset.resolve(release.release_at, zone)
        return When(at, meant, offset, end_of_day=offset.at is None and not offset.is_release), rest
    timed = len(words) > 1 and is_time_word(words[1])
    moment, rest = parse_moment(words, now=now, default_zone=zone, default_time=END_OF_DAY)
    return When(moment.instant, moment.zone, None, end_of_day=not timed), rest


def parse_add(
    args: list[str], description: str, release: Release, *, now: datetime
) -> NewMilestone:
    """`NAME DATE [TIME] [TZ] [owner ROLE]` and the description after ` -- `."""
    name, rest = split_name(args, "milestone add Docs freeze 2027-03-01 18:00 UTC owner docs")
    when, rest = parse_when(rest, release, now=now)
    owner = None
    if rest and rest[0].lower() == "owner":
        if len(rest) < 2:
            raise ParseError("`owner` needs a role after it, like `owner docs`.")
        owner, rest = rest[1], rest[2:]
    if rest:
        raise ParseError(
            f"I did not understand {quoted(' '.join(rest))} after the date. "
            "A description goes after ` -- `."
        )
    if len(description) > MAX_DESCRIPTION:
        raise ParseError(
            f"A description can be at most {MAX_DESCRIPTION} characters; "
            f"this one has {len(description):,}."
        )
    return NewMilestone(name, when, owner, description)


def parse_move(
    args: list[str], reason: str, release: Release, *, now: datetime
) -> tuple[str, When]:
    """`NAME DATE [TIME] [TZ]`: which milestone and where it goes."""
    name, rest = split_name(args, "milestone move Docs freeze 2027-03-08")
    when, rest = parse_when(rest, release, now=now)
    if rest:
        raise ParseError(
            f"I did not understand {quoted(' '.join(rest))} after the date. "
            "The reason goes after ` -- `."
        )
    if len(reason) > MAX_REASON:
        raise ParseError(
            f"A reason can be at most {MAX_REASON:,} characters; this one has {len(reason):,}."
        )
    return name, when


def parse_remove(args: list[str]) -> str:
    """`NAME`: the milestone to remove."""
    if not args:
        raise ParseError("Name the milestone to remove, like `milestone remove Docs freeze`.")
    return " ".join(args)


IMPORT_EXAMPLE = (
    "/release schedule import "
    "https://raw.githubusercontent.com/kubernetes/website/main/data/releases/schedule.yaml 1.31"
)


def parse_import(args: list[str]) -> tuple[str, str | None]:
    """`URL [MINOR]`: the file's address (as Slack sent it, link or not) and the minor release."""
    if not args or len(args) > 2:
        raise ParseError(f"Give the schedule file's URL, like `{IMPORT_EXAMPLE}`.")
    word = args[0]
    url = word[1:-1].split("|", 1)[0] if word.startswith("<") and word.endswith(">") else word
    url = decode(url).strip()
    if not url.lower().startswith(("http://", "https://")):
        raise ParseError(f"{quoted(url[:80])} is not a URL; give one like `{IMPORT_EXAMPLE}`.")
    stream = args[1] if len(args) == 2 else None
    if stream is not None and not _MINOR.fullmatch(stream.removeprefix("v")):
        raise ParseError(
            f"{quoted(stream)} is not a minor release; name one like `1.31` after the URL."
        )
    return url, stream.removeprefix("v") if stream else None

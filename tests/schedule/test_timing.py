"""Milestone instants counted from release day, exact across DST on real transition dates."""

from __future__ import annotations

from datetime import UTC, datetime, time
from zoneinfo import ZoneInfo

import pytest

from bot.core.text.timeparse import ParseError
from bot.schedule.render import left
from bot.schedule.timing import (
    DEFAULT_NOTIFY,
    Offset,
    describe_notify,
    offset_of,
    parse_notify,
    parse_offset,
)

LA = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")
KOLKATA = ZoneInfo("Asia/Kolkata")
CHATHAM = ZoneInfo("Pacific/Chatham")
FREEZE = offset_of("-33d 02:00 UTC")


def local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %z")


# Release days 33 days after a Friday on which some zone changes its clocks that weekend,
# so code freeze (02:00 UTC on that Friday) is read on both sides of the change.
@pytest.mark.parametrize(
    ("zone", "release_day", "freeze_utc", "read_there"),
    [
        # US: clocks go forward on Sun 9 Mar 2025. The Friday before is still PST.
        (LA, datetime(2025, 4, 9, 17, 0, tzinfo=UTC), "2025-03-07", "Thu 2025-03-06 18:00 -0800"),
        # ...and a week later Thursday evening is PDT: one hour later on the wall.
        (LA, datetime(2025, 4, 16, 17, 0, tzinfo=UTC), "2025-03-14", "Thu 2025-03-13 19:00 -0700"),
        # EU: forward on Sun 30 Mar 2025: 03:00 CET on Fri 28 Mar, 04:00 CEST a week later.
        (
            BERLIN,
            datetime(2025, 4, 30, 8, 0, tzinfo=UTC),
            "2025-03-28",
            "Fri 2025-03-28 03:00 +0100",
        ),
        (
            BERLIN,
            datetime(2025, 5, 7, 8, 0, tzinfo=UTC),
            "2025-04-04",
            "Fri 2025-04-04 04:00 +0200",
        ),
        # Kolkata has no DST: always 07:30 on the Friday.
        (
            KOLKATA,
            datetime(2025, 4, 30, 4, 30, tzinfo=UTC),
            "2025-03-28",
            "Fri 2025-03-28 07:30 +0530",
        ),
        # Chatham leaves DST on Sun 6 Apr 2025 (+13:45 to +12:45).
        (
            CHATHAM,
            datetime(2025, 5, 7, 0, 0, tzinfo=UTC),
            "2025-04-04",
            "Fri 2025-04-04 15:45 +1345",
        ),
        (
            CHATHAM,
            datetime(2025, 5, 14, 0, 0, tzinfo=UTC),
            "2025-04-11",
            "Fri 2025-04-11 14:45 +1245",
        ),
    ],
)
def test_code_freeze_is_friday_0200_utc_whatever_the_release_zone(
    zone: ZoneInfo, release_day: datetime, freeze_utc: str, read_there: str
) -> None:
    at, meant = FREEZE.resolve(release_day, zone)
    assert at == datetime.fromisoformat(f"{freeze_utc}T02:00:00+00:00")
    assert meant.key == "UTC"
    assert local(at, zone) == read_there


def test_the_same_instant_read_in_every_zone_on_a_transition_weekend() -> None:
    at, _ = FREEZE.resolve(datetime(2025, 5, 7, 0, 0, tzinfo=UTC), CHATHAM)  # Fri 4 Apr 2025
    assert local(at, LA) == "Thu 2025-04-03 19:00 -0700"
    assert local(at, BERLIN) == "Fri 2025-04-04 04:00 +0200"
    assert local(at, KOLKATA) == "Fri 2025-04-04 07:30 +0530"
    assert local(at, CHATHAM) == "Fri 2025-04-04 15:45 +1345"


def test_a_day_without_a_time_ends_at_2359_in_the_release_zone_across_dst() -> None:
    # release day Wed 2 Apr 2025 in Berlin (CEST); 7 days earlier is still CET
    release_at = datetime(2025, 4, 2, 8, 0, tzinfo=UTC)
    at, meant = offset_of("-7d").resolve(release_at, BERLIN)
    assert meant is BERLIN or meant.key == "Europe/Berlin"
    assert local(at, BERLIN) == "Wed 2025-03-26 23:59 +0100"
    assert at == datetime(2025, 3, 26, 22, 59, tzinfo=UTC)


def test_a_local_time_in_the_spring_forward_gap_moves_past_it() -> None:
    # release day Fri 11 Apr 2025 in LA; -33d is Sun 9 Mar, whose 02:30 does not exist
    release_at = datetime(2025, 4, 11, 17, 0, tzinfo=UTC)
    at, _ = offset_of("-33d 02:30 America/Los_Angeles").resolve(release_at, LA)
    assert local(at, LA) == "Sun 2025-03-09 03:00 -0700"


def test_release_day_itself_and_week_days_like_openstack() -> None:
    release_at = datetime(2025, 10, 1, 14, 0, tzinfo=UTC)  # Flamingo: Wed 1 Oct 2025
    utc = ZoneInfo("UTC")
    assert offset_of("R").resolve(release_at, utc)[0] == release_at
    dates = {
        text: offset_of(text).resolve(release_at, utc)[0].date().isoformat()
        for text in ("-20w thu", "-13w thu", "-5w thu", "-3w thu", "-1w thu")
    }
    assert dates == {
        "-20w thu": "2025-05-15",
        "-13w thu": "2025-07-03",
        "-5w thu": "2025-08-28",
        "-3w thu": "2025-09-11",
        "-1w thu": "2025-09-25",
    }


@pytest.mark.parametrize(
    ("text", "canonical"),
    [
        ("R", "R"),
        ("r-33d 2:00am utc", "-33d 02:00 UTC"),
        ("-5w THU", "-5w thu"),
        ("+2d 18:00", "+2d 18:00"),
        ("+0d", "R"),
    ],
)
def test_offsets_are_kept_in_one_form(text: str, canonical: str) -> None:
    assert offset_of(text).text() == canonical
    assert offset_of(canonical) == offset_of(text)


@pytest.mark.parametrize(
    ("words", "expected"),
    [
        (["-33"], "not an offset"),
        (["-3d", "thu"], "weeks"),
        (["-3d", "UTC"], "after a time"),
        (["-3d", "27:99"], "27:99"),
        (["-9999w"], "three years"),
        ([], "offset is needed"),
    ],
)
def test_bad_offsets_say_what_is_wrong(words: list[str], expected: str) -> None:
    with pytest.raises(ParseError, match=expected):
        parse_offset(words)


def test_countdown_offsets() -> None:
    assert parse_notify("4w,1w,1d,1h") == DEFAULT_NOTIFY
    assert parse_notify("1h, 2d ,1h") == (2 * 86400, 3600)
    assert parse_notify("off") == ()
    assert describe_notify(DEFAULT_NOTIFY) == "announced 4w, 1w, 1d and 1h before"
    for bad in ("4x", "0m", "30w", "1d,,", "1,2"):
        with pytest.raises(ParseError):
            parse_notify(bad)
    with pytest.raises(ParseError, match="At most"):
        parse_notify(",".join(f"{n}h" for n in range(1, 10)))


def test_how_far_reads_naturally() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    day, hour, minute = 86400, 3600, 60
    cases = {
        28 * day: "in 28 days",
        7 * day - 2: "in 7 days",
        day: "in 1 day",
        20 * hour: "in 20 hours",
        hour: "in 1 hour",
        10 * minute: "in 10 minutes",
        -3 * day: "3 days ago",
    }
    for seconds, expected in cases.items():
        assert left(now, datetime.fromtimestamp(now.timestamp() + seconds, UTC)) == expected


def test_offset_defaults() -> None:
    assert Offset().is_release
    assert Offset(-3, at=time(2, 0), zone="UTC").text() == "-3d 02:00 UTC"

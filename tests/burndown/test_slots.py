"""Scoring meeting slots for a team spread over timezones."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.burndown.slots import first_slot, in_hours, region_of, suggest, team_zones

LA = ZoneInfo("America/Los_Angeles")
NY = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
BANGALORE = ZoneInfo("Asia/Kolkata")
SYDNEY = ZoneInfo("Australia/Sydney")
HALF_HOUR = timedelta(minutes=30)
# A Monday in June: everyone on summer time in the north, winter time in Sydney.
MONDAY = datetime(2027, 6, 7, 0, 0, tzinfo=UTC)


def test_working_hours_are_local_weekdays_from_8_to_18() -> None:
    # 16:00 UTC on a Monday is 09:00 in Los Angeles (PDT)
    assert in_hours(LA, datetime(2027, 6, 7, 16, 0, tzinfo=UTC), HALF_HOUR)
    # ending exactly at 18:00 local is fine, running past it is not
    assert in_hours(BERLIN, datetime(2027, 6, 7, 15, 30, tzinfo=UTC), HALF_HOUR)
    assert not in_hours(BERLIN, datetime(2027, 6, 7, 15, 45, tzinfo=UTC), HALF_HOUR)
    # 07:30 local is too early
    assert not in_hours(BERLIN, datetime(2027, 6, 7, 5, 30, tzinfo=UTC), HALF_HOUR)
    # Saturday morning in Sydney is Friday in UTC, but it is the weekend there
    assert not in_hours(SYDNEY, datetime(2027, 6, 11, 23, 0, tzinfo=UTC), HALF_HOUR)


def test_los_angeles_berlin_bangalore_gets_a_rotating_pair() -> None:
    zones = [LA, LA, BERLIN, BANGALORE]
    result = suggest(zones, MONDAY, HALF_HOUR)
    # Los Angeles (15:00-01:00 UTC) and Bangalore (02:30-12:30 UTC) never overlap
    assert result.top[0].count == 3
    assert result.top[0].first.time() in (time(15, 0), time(15, 30))
    assert result.pair is not None
    assert result.pair_count == 4
    first, second = result.pair
    assert {first.count, second.count} <= {2, 3}
    # the top slot reaches both Americans and the European, not the Asian member
    assert result.reached(result.top[0], "America") == 2
    assert result.reached(result.top[0], "Europe") == 1
    assert result.reached(result.top[0], "Asia") == 0
    assert list(result.regions) == ["America", "Asia", "Europe"]


def test_a_time_that_reaches_everyone_needs_no_pair() -> None:
    result = suggest([LA, NY, NY], MONDAY, HALF_HOUR)
    assert result.top[0].count == 3
    assert result.pair is None
    # same UTC time on several weekdays is one suggestion, with its days
    assert len({slot.first.time() for slot in result.top}) == len(result.top)
    assert set(result.top[0].weekdays) == {0, 1, 2, 3, 4}


def test_a_longer_meeting_has_fewer_shared_slots() -> None:
    short = suggest([LA, BERLIN], MONDAY, HALF_HOUR)
    long = suggest([LA, BERLIN], MONDAY, timedelta(hours=1))
    both_short = [s for s in short.top if s.count == 2]
    both_long = [s for s in long.top if s.count == 2]
    assert len(both_short) == 2  # 15:00 and 15:30 UTC
    assert [s.first.time() for s in both_long] == [time(15, 0)]


def test_slots_start_on_the_next_half_hour_and_regions_group_zones() -> None:
    assert first_slot(datetime(2027, 6, 7, 9, 10, tzinfo=UTC)) == datetime(
        2027, 6, 7, 9, 30, tzinfo=UTC
    )
    assert first_slot(MONDAY) == MONDAY
    assert region_of(ZoneInfo("Pacific/Chatham")) == "Pacific"
    assert region_of(ZoneInfo("UTC")) == "Other"


def test_nobody_reachable_gives_no_slots() -> None:
    result = suggest([], MONDAY, HALF_HOUR)
    assert result.top == [] and result.pair is None


def test_team_zones_leave_out_bots_and_count_unknown_zones_apart() -> None:
    profiles = {
        "U_LA": {"id": "U_LA", "tz": "America/Los_Angeles"},
        "U_BER": {"id": "U_BER", "tz": "Europe/Berlin", "is_bot": False, "deleted": False},
        "U_NOTZ": {"id": "U_NOTZ", "tz": None},
        "U_ODD": {"id": "U_ODD", "tz": "Mars/Olympus"},
        "U_APP": {"id": "U_APP", "tz": "Asia/Tokyo", "is_bot": True},
        "U_GONE": {"id": "U_GONE", "tz": "Asia/Tokyo", "deleted": True},
    }
    members = ["U_LA", "U_BER", "U_NOTZ", "U_ODD", "U_APP", "U_GONE", "U_UNLISTED"]
    zones, unknown = team_zones(members, profiles)
    assert zones == [LA, BERLIN]
    assert unknown == 3  # no zone, a zone that does not exist, not in the list Slack gave

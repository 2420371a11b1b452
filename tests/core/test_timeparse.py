"""Behaviour of bot.timeparse: what people type, and what it means."""

from __future__ import annotations

import dataclasses
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.text.timeparse import (
    ALIASES,
    AMBIGUOUS,
    Moment,
    ParseError,
    localize,
    looks_like_zone,
    parse_date,
    parse_duration,
    parse_moment,
    parse_time,
    parse_weekdays,
    parse_zone,
)

LA = ZoneInfo("America/Los_Angeles")
BERLIN = ZoneInfo("Europe/Berlin")
TOKYO = ZoneInfo("Asia/Tokyo")
WEDNESDAY = date(2026, 12, 9)
UTC_ZONE = ZoneInfo("UTC")
NOW = datetime(2026, 12, 9, 12, 0, tzinfo=UTC)  # Wednesday, 04:00 in Los Angeles


def utc(
    year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0
) -> datetime:
    """An aware UTC datetime, shortly."""
    return datetime(year, month, day, hour, minute, second, tzinfo=UTC)


# --- zones -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "name"),
    [
        ("America/Los_Angeles", "America/Los_Angeles"),
        ("america/los_angeles", "America/Los_Angeles"),
        ("EUROPE/BERLIN", "Europe/Berlin"),
        ("  Asia/Kolkata  ", "Asia/Kolkata"),
        ("America/Argentina/Buenos_Aires", "America/Argentina/Buenos_Aires"),
        ("Etc/GMT+5", "Etc/GMT+5"),
        ("Japan", "Japan"),
        ("PT", "America/Los_Angeles"),
        ("pst", "America/Los_Angeles"),
        ("PDT", "America/Los_Angeles"),
        ("MT", "America/Denver"),
        ("CT", "America/Chicago"),
        ("et", "America/New_York"),
        ("EST", "America/New_York"),
        ("EDT", "America/New_York"),
        ("UTC", "UTC"),
        ("utc", "UTC"),
        ("GMT", "UTC"),
        ("Z", "UTC"),
        ("CET", "Europe/Berlin"),
        ("CEST", "Europe/Berlin"),
        ("JST", "Asia/Tokyo"),
        ("AEST", "Australia/Sydney"),
        ("AEDT", "Australia/Sydney"),
        ("AET", "Australia/Sydney"),
        ("NPT", "Asia/Kathmandu"),
        ("NZST", "Pacific/Auckland"),
        ("NZDT", "Pacific/Auckland"),
    ],
)
def test_parse_zone_accepts_iana_names_and_aliases(text: str, name: str) -> None:
    assert parse_zone(text) == ZoneInfo(name)
    assert parse_zone(text).key == name


@pytest.mark.parametrize(
    ("text", "options"),
    [
        ("IST", ["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"]),
        ("ist", ["Asia/Kolkata", "Europe/Dublin", "Asia/Jerusalem"]),
        ("CST", ["America/Chicago", "Asia/Shanghai", "America/Havana"]),
        ("BST", ["Europe/London", "Asia/Dhaka"]),
        ("AST", ["America/Halifax", "Asia/Riyadh"]),
    ],
)
def test_parse_zone_refuses_ambiguous_abbreviations_and_lists_options(
    text: str, options: list[str]
) -> None:
    with pytest.raises(ParseError) as caught:
        parse_zone(text)
    message = str(caught.value)
    assert message.startswith(f"`{text}` could mean several zones: ")
    assert ", ".join(options) in message
    assert message.endswith("Name one of them.")


def test_ambiguous_message_matches_the_documented_wording() -> None:
    with pytest.raises(ParseError, match="could mean") as caught:
        parse_zone("IST")
    assert str(caught.value) == (
        "`IST` could mean several zones: Asia/Kolkata, Europe/Dublin, Asia/Jerusalem. "
        "Name one of them."
    )


@pytest.mark.parametrize("text", ["Mars/Olympus", "Pacific/Atlantis", "XYZ", "America/"])
def test_parse_zone_unknown_names_the_text_and_the_forms(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_zone(text)
    assert str(caught.value) == (
        f"`{text}` is not a timezone I know. Use an IANA name like America/Los_Angeles "
        "or an alias like PT, ET, UTC, CET."
    )


@pytest.mark.parametrize("text", ["localtime", "Factory", ""])
def test_parse_zone_refuses_server_local_and_placeholder_zones(text: str) -> None:
    with pytest.raises(ParseError, match="America/Los_Angeles"):
        parse_zone(text)


def test_every_alias_and_every_ambiguous_option_is_a_real_zone() -> None:
    for name in [*ALIASES.values(), *(o for options in AMBIGUOUS.values() for o in options)]:
        assert ZoneInfo(name).key == name
    assert not set(ALIASES) & set(AMBIGUOUS)
    assert all(key == key.upper() for key in [*ALIASES, *AMBIGUOUS])


@pytest.mark.parametrize(
    "text", ["America/Los_Angeles", "Mars/Olympus", "PT", "pt", "UTC", "utc", "IST", "cst", "Z"]
)
def test_looks_like_zone_true(text: str) -> None:
    assert looks_like_zone(text)


@pytest.mark.parametrize("text", ["deploy", "now", "16:00", "fri", "", "release-7", "Japan"])
def test_looks_like_zone_false(text: str) -> None:
    assert not looks_like_zone(text)


# --- dates -----------------------------------------------------------------------------------


def test_wednesday_fixture_is_a_wednesday() -> None:
    assert WEDNESDAY.weekday() == 2


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-12-09", date(2026, 12, 9)),
        ("2028-02-29", date(2028, 2, 29)),
        ("2025-01-01", date(2025, 1, 1)),
        ("today", WEDNESDAY),
        ("TODAY", WEDNESDAY),
        ("tomorrow", date(2026, 12, 10)),
        ("wed", WEDNESDAY),
        ("wednesday", WEDNESDAY),
        ("thu", date(2026, 12, 10)),
        ("Thursday", date(2026, 12, 10)),
        ("fri", date(2026, 12, 11)),
        ("friday", date(2026, 12, 11)),
        ("sat", date(2026, 12, 12)),
        ("sun", date(2026, 12, 13)),
        ("mon", date(2026, 12, 14)),
        ("monday", date(2026, 12, 14)),
        ("tue", date(2026, 12, 15)),
        ("tuesday", date(2026, 12, 15)),
    ],
)
def test_parse_date_forms(text: str, expected: date) -> None:
    assert parse_date(text, today=WEDNESDAY) == expected


def test_parse_date_tomorrow_crosses_month_and_year() -> None:
    assert parse_date("tomorrow", today=date(2026, 12, 31)) == date(2027, 1, 1)
    assert parse_date("fri", today=date(2026, 12, 31)) == date(2027, 1, 1)


@pytest.mark.parametrize(
    "text",
    ["2026-13-45", "2026-02-30", "2027-02-29", "2026-00-10", "2026-1-5", "12/09/2026", "someday"],
)
def test_parse_date_rejects_with_text_and_forms(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_date(text, today=WEDNESDAY)
    message = str(caught.value)
    assert f"`{text}`" in message
    assert "YYYY-MM-DD, today, tomorrow or a weekday like fri" in message


def test_parse_date_empty_asks_for_a_date() -> None:
    with pytest.raises(ParseError, match="YYYY-MM-DD"):
        parse_date("  ", today=WEDNESDAY)


# --- times -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("10:00", time(10, 0)),
        ("9:05", time(9, 5)),
        ("09:05", time(9, 5)),
        ("16:00", time(16, 0)),
        ("0:00", time(0, 0)),
        ("23:59", time(23, 59)),
        ("10am", time(10, 0)),
        ("10AM", time(10, 0)),
        ("10pm", time(22, 0)),
        ("4:30pm", time(16, 30)),
        ("4:30PM", time(16, 30)),
        ("1am", time(1, 0)),
        ("12pm", time(12, 0)),
        ("12:30pm", time(12, 30)),
        ("12am", time(0, 0)),
        ("12:15am", time(0, 15)),
        ("noon", time(12, 0)),
        ("Midnight", time(0, 0)),
    ],
)
def test_parse_time_forms(text: str, expected: time) -> None:
    assert parse_time(text) == expected


@pytest.mark.parametrize(
    "text", ["27:99", "24:00", "10:60", "13pm", "0am", "10", "ten", "10:5", "4.30pm", "10:00:00"]
)
def test_parse_time_rejects_with_text_and_forms(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_time(text)
    assert str(caught.value) == (
        f"`{text}` is not a time of day. Use 24-hour HH:MM like 16:00, or 10am, 4:30pm."
    )


def test_parse_time_documented_message() -> None:
    with pytest.raises(ParseError) as caught:
        parse_time("27:99")
    assert str(caught.value) == (
        "`27:99` is not a time of day. Use 24-hour HH:MM like 16:00, or 10am, 4:30pm."
    )


# --- durations -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("45m", timedelta(minutes=45)),
        ("1h", timedelta(hours=1)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("90m", timedelta(minutes=90)),
        ("2d", timedelta(days=2)),
        ("30s", timedelta(seconds=30)),
        ("24h", timedelta(hours=24)),
        ("1d2h3m4s", timedelta(days=1, hours=2, minutes=3, seconds=4)),
        ("1H30M", timedelta(hours=1, minutes=30)),
        ("0h5m", timedelta(minutes=5)),
    ],
)
def test_parse_duration_forms(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text",
    ["", "0m", "0h0m", "-5m", "5", "m", "1.5h", "30m1h", "1 h", "soon", "1w", "999999999999d"],
)
def test_parse_duration_rejects_with_form(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_duration(text)
    message = str(caught.value)
    assert f"`{text}`" in message
    assert "like 45m, 1h30m, 24h" in message


def test_parse_duration_overflow_is_a_parse_error() -> None:
    with pytest.raises(ParseError, match="too long"):
        parse_duration("999999999d24h")


# --- weekday sets ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("daily", {0, 1, 2, 3, 4, 5, 6}),
        ("DAILY", {0, 1, 2, 3, 4, 5, 6}),
        ("weekdays", {0, 1, 2, 3, 4}),
        ("weekends", {5, 6}),
        ("mon,wed,fri", {0, 2, 4}),
        ("mon, wed, fri", {0, 2, 4}),
        ("tue", {1}),
        ("monday,thursday", {0, 3}),
        ("mon-fri", {0, 1, 2, 3, 4}),
        ("sat-sun", {5, 6}),
        ("fri-mon", {4, 5, 6, 0}),
        ("mon-wed,fri", {0, 1, 2, 4}),
        ("wed-wed", {2}),
        ("mon,mon", {0}),
    ],
)
def test_parse_weekdays_forms(text: str, expected: set[int]) -> None:
    result = parse_weekdays(text)
    assert isinstance(result, frozenset)
    assert result == expected


@pytest.mark.parametrize("text", ["", ",", "someday", "mon-", "mon-tue-wed", "mon;fri", "1,2"])
def test_parse_weekdays_rejects_with_form(text: str) -> None:
    with pytest.raises(ParseError) as caught:
        parse_weekdays(text)
    message = str(caught.value)
    assert f"`{text}`" in message
    assert "daily, weekdays, weekends" in message
    assert "mon,wed,fri" in message
    assert "mon-fri" in message


# --- localize --------------------------------------------------------------------------------


def test_localize_documented_example() -> None:
    instant = localize(date(2027, 3, 15), time(10, 0), LA)
    assert instant.timestamp() == 1805130000
    assert instant.utcoffset() == timedelta(0)
    assert instant == utc(2027, 3, 15, 17, 0)


@pytest.mark.parametrize(
    ("zone", "day", "at", "expected"),
    [
        # America/Los_Angeles springs forward 2026-03-08 02:00 -> 03:00.
        ("America/Los_Angeles", (2026, 3, 8), (1, 59), (2026, 3, 8, 9, 59)),
        ("America/Los_Angeles", (2026, 3, 8), (2, 0), (2026, 3, 8, 10, 0)),
        ("America/Los_Angeles", (2026, 3, 8), (2, 30), (2026, 3, 8, 10, 0)),
        ("America/Los_Angeles", (2026, 3, 8), (3, 0), (2026, 3, 8, 10, 0)),
        ("America/Los_Angeles", (2026, 3, 8), (3, 30), (2026, 3, 8, 10, 30)),
        # ... and falls back 2026-11-01 02:00 -> 01:00: 01:30 happens twice, take PDT.
        ("America/Los_Angeles", (2026, 11, 1), (0, 30), (2026, 11, 1, 7, 30)),
        ("America/Los_Angeles", (2026, 11, 1), (1, 0), (2026, 11, 1, 8, 0)),
        ("America/Los_Angeles", (2026, 11, 1), (1, 30), (2026, 11, 1, 8, 30)),
        ("America/Los_Angeles", (2026, 11, 1), (2, 0), (2026, 11, 1, 10, 0)),
        # Europe/Berlin springs forward 2026-03-29 02:00 -> 03:00.
        ("Europe/Berlin", (2026, 3, 29), (1, 59), (2026, 3, 29, 0, 59)),
        ("Europe/Berlin", (2026, 3, 29), (2, 30), (2026, 3, 29, 1, 0)),
        ("Europe/Berlin", (2026, 3, 29), (3, 0), (2026, 3, 29, 1, 0)),
        # ... and falls back 2026-10-25 03:00 -> 02:00: 02:30 happens twice, take CEST.
        ("Europe/Berlin", (2026, 10, 25), (2, 0), (2026, 10, 25, 0, 0)),
        ("Europe/Berlin", (2026, 10, 25), (2, 30), (2026, 10, 25, 0, 30)),
        ("Europe/Berlin", (2026, 10, 25), (3, 0), (2026, 10, 25, 2, 0)),
        # Australia/Sydney falls back 2026-04-05 03:00 -> 02:00: take AEDT (+11).
        ("Australia/Sydney", (2026, 4, 5), (1, 30), (2026, 4, 4, 14, 30)),
        ("Australia/Sydney", (2026, 4, 5), (2, 30), (2026, 4, 4, 15, 30)),
        ("Australia/Sydney", (2026, 4, 5), (3, 0), (2026, 4, 4, 17, 0)),
        # ... and springs forward 2026-10-04 02:00 -> 03:00.
        ("Australia/Sydney", (2026, 10, 4), (1, 59), (2026, 10, 3, 15, 59)),
        ("Australia/Sydney", (2026, 10, 4), (2, 30), (2026, 10, 3, 16, 0)),
        ("Australia/Sydney", (2026, 10, 4), (3, 0), (2026, 10, 3, 16, 0)),
        # Asia/Kolkata: +05:30 all year.
        ("Asia/Kolkata", (2026, 1, 15), (10, 0), (2026, 1, 15, 4, 30)),
        ("Asia/Kolkata", (2026, 7, 15), (10, 0), (2026, 7, 15, 4, 30)),
        ("Asia/Kolkata", (2026, 7, 15), (2, 0), (2026, 7, 14, 20, 30)),
        # Asia/Kathmandu: +05:45 all year.
        ("Asia/Kathmandu", (2026, 1, 15), (10, 0), (2026, 1, 15, 4, 15)),
        ("Asia/Kathmandu", (2026, 7, 15), (0, 0), (2026, 7, 14, 18, 15)),
        # Pacific/Chatham falls back 2026-04-05 03:45 -> 02:45 (+13:45 -> +12:45).
        ("Pacific/Chatham", (2026, 4, 5), (2, 44), (2026, 4, 4, 12, 59)),
        ("Pacific/Chatham", (2026, 4, 5), (2, 45), (2026, 4, 4, 13, 0)),
        ("Pacific/Chatham", (2026, 4, 5), (3, 15), (2026, 4, 4, 13, 30)),
        ("Pacific/Chatham", (2026, 4, 5), (3, 45), (2026, 4, 4, 15, 0)),
        # ... and springs forward 2026-09-27 02:45 -> 03:45.
        ("Pacific/Chatham", (2026, 9, 27), (2, 44), (2026, 9, 26, 13, 59)),
        ("Pacific/Chatham", (2026, 9, 27), (2, 45), (2026, 9, 26, 14, 0)),
        ("Pacific/Chatham", (2026, 9, 27), (3, 0), (2026, 9, 26, 14, 0)),
        ("Pacific/Chatham", (2026, 9, 27), (3, 45), (2026, 9, 26, 14, 0)),
        ("Pacific/Chatham", (2026, 9, 27), (4, 0), (2026, 9, 26, 14, 15)),
        # Australia/Lord_Howe moves by 30 minutes: 02:00 -> 02:30 on 2026-10-04 ...
        ("Australia/Lord_Howe", (2026, 10, 4), (1, 59), (2026, 10, 3, 15, 29)),
        ("Australia/Lord_Howe", (2026, 10, 4), (2, 15), (2026, 10, 3, 15, 30)),
        ("Australia/Lord_Howe", (2026, 10, 4), (2, 30), (2026, 10, 3, 15, 30)),
        # ... and 02:00 -> 01:30 on 2026-04-05: 01:45 happens twice, take +11.
        ("Australia/Lord_Howe", (2026, 4, 5), (1, 45), (2026, 4, 4, 14, 45)),
        ("Australia/Lord_Howe", (2026, 4, 5), (2, 0), (2026, 4, 4, 15, 30)),
        # Samoa skipped 2011-12-30 entirely: any time that day is the start of 12-31.
        ("Pacific/Apia", (2011, 12, 30), (12, 0), (2011, 12, 30, 10, 0)),
    ],
)
def test_localize_across_transitions(
    zone: str,
    day: tuple[int, int, int],
    at: tuple[int, int],
    expected: tuple[int, int, int, int, int],
) -> None:
    instant = localize(date(*day), time(*at), ZoneInfo(zone))
    assert instant == utc(*expected)
    assert instant.tzinfo == UTC


def test_localize_overlap_takes_the_earlier_summer_instant() -> None:
    instant = localize(date(2026, 11, 1), time(1, 30), LA)
    local = instant.astimezone(LA)
    assert local.tzname() == "PDT"
    later = datetime(2026, 11, 1, 1, 30, tzinfo=LA, fold=1)
    assert instant < later


def test_localize_gap_lands_on_the_first_wall_time_after_the_gap() -> None:
    local = localize(date(2026, 3, 8), time(2, 30), LA).astimezone(LA)
    assert (local.hour, local.minute, local.tzname()) == (3, 0, "PDT")


@pytest.mark.parametrize(
    ("zone", "day"),
    [
        ("America/Los_Angeles", date(2026, 3, 8)),
        ("America/Los_Angeles", date(2026, 11, 1)),
        ("Europe/Berlin", date(2026, 3, 29)),
        ("Europe/Berlin", date(2026, 10, 25)),
        ("Australia/Sydney", date(2026, 4, 5)),
        ("Australia/Sydney", date(2026, 10, 4)),
        ("Australia/Lord_Howe", date(2026, 4, 5)),
        ("Australia/Lord_Howe", date(2026, 10, 4)),
        ("Pacific/Chatham", date(2026, 4, 5)),
        ("Pacific/Chatham", date(2026, 9, 27)),
    ],
)
def test_localize_whole_transition_day_is_monotonic_and_round_trips(zone: str, day: date) -> None:
    tz = ZoneInfo(zone)
    previous: datetime | None = None
    for minute in range(0, 24 * 60, 5):
        wall = datetime.combine(day, time(minute // 60, minute % 60))
        instant = localize(day, wall.time(), tz)
        back = instant.astimezone(tz).replace(tzinfo=None)
        assert back >= wall
        if back != wall:  # only inside a gap, which is at most an hour long
            assert back - wall <= timedelta(hours=1)
            just_before = instant - timedelta(seconds=1)
            assert instant.astimezone(tz).utcoffset() != just_before.astimezone(tz).utcoffset()
        if previous is not None:
            assert instant >= previous
        previous = instant


def test_localize_keeps_seconds_and_ignores_tzinfo_on_the_time() -> None:
    assert localize(date(2026, 6, 1), time(10, 0, 30), UTC_ZONE) == utc(2026, 6, 1, 10, 0, 30)
    assert localize(date(2026, 6, 1), time(10, 0, tzinfo=TOKYO), LA) == utc(2026, 6, 1, 17, 0)


# --- parse_moment ----------------------------------------------------------------------------


def moment(
    tokens: list[str],
    now: datetime = NOW,
    zone: ZoneInfo = LA,
    default_time: time | None = None,
    date_required: bool = True,
) -> tuple[Moment, list[str]]:
    return parse_moment(
        tokens, now=now, default_zone=zone, default_time=default_time, date_required=date_required
    )


def test_parse_moment_full_form_with_explicit_zone_and_leftovers() -> None:
    got, rest = moment(["2026-12-09", "16:00", "PT", "ship", "it"], zone=BERLIN)
    assert got == Moment(utc(2026, 12, 10, 0, 0), LA)
    assert rest == ["ship", "it"]


def test_parse_moment_uses_default_zone_when_none_given() -> None:
    got, rest = moment(["2026-12-09", "16:00"], zone=BERLIN)
    assert got == Moment(utc(2026, 12, 9, 15, 0), BERLIN)
    assert rest == []


def test_parse_moment_iana_zone_any_case() -> None:
    got, _ = moment(["fri", "4:30pm", "europe/berlin"])
    assert got.instant == utc(2026, 12, 11, 15, 30)
    assert got.zone.key == "Europe/Berlin"


def test_parse_moment_does_not_mutate_tokens() -> None:
    tokens = ["tomorrow", "10am", "CET", "notes"]
    moment(tokens)
    assert tokens == ["tomorrow", "10am", "CET", "notes"]


def test_parse_moment_relative_dates_use_the_default_zone_today() -> None:
    now = utc(2026, 12, 9, 23, 30)  # Wed 15:30 in Los Angeles, already Thu 00:30 in Berlin
    in_la, _ = moment(["tomorrow", "10am"], now=now, zone=LA)
    in_berlin, _ = moment(["tomorrow", "10am"], now=now, zone=BERLIN)
    assert in_la.instant == utc(2026, 12, 10, 18, 0)
    assert in_berlin.instant == utc(2026, 12, 11, 9, 0)


def test_parse_moment_relative_dates_use_the_explicit_zone_today() -> None:
    now = utc(2026, 12, 9, 23, 30)  # already Thursday in Tokyo
    got, _ = moment(["today", "09:00", "Asia/Tokyo"], now=now, zone=LA)
    assert got == Moment(utc(2026, 12, 10, 0, 0), TOKYO)
    got, _ = moment(["thu", "09:00", "JST"], now=now, zone=LA)
    assert got.instant == utc(2026, 12, 10, 0, 0)


def test_parse_moment_default_time_fills_a_missing_time() -> None:
    got, rest = moment(["fri", "ET", "go"], default_time=time(10, 0))
    assert got == Moment(utc(2026, 12, 11, 15, 0), ZoneInfo("America/New_York"))
    assert rest == ["go"]
    got, rest = moment(["fri"], default_time=time(10, 0))
    assert got.instant == utc(2026, 12, 11, 18, 0)
    assert rest == []


def test_parse_moment_missing_time_without_default_explains_with_an_example() -> None:
    with pytest.raises(ParseError) as caught:
        moment(["fri", "release"])
    message = str(caught.value)
    assert "`fri`" in message
    assert "time" in message
    assert "`2026-12-09 16:00 PT`" in message


def test_parse_moment_missing_date_when_required() -> None:
    with pytest.raises(ParseError, match="date and time are needed, like `2026-12-09 16:00 PT`"):
        moment([])


def test_parse_moment_first_token_must_be_a_date_when_required() -> None:
    with pytest.raises(ParseError, match="`16:00` is not a date I understand"):
        moment(["16:00", "PT"])


def test_parse_moment_bad_date_raises_its_error() -> None:
    with pytest.raises(ParseError, match="`2026-13-45` is not a real date"):
        moment(["2026-13-45", "10:00"])


def test_parse_moment_bad_time_raises_its_error() -> None:
    with pytest.raises(ParseError, match="`27:99` is not a time of day"):
        moment(["fri", "27:99", "PT"], default_time=time(10, 0))


def test_parse_moment_does_not_eat_trailing_words() -> None:
    got, rest = moment(["fri", "10:00", "deploy", "PT"])
    assert got.zone == LA
    assert rest == ["deploy", "PT"]
    _, rest = moment(["fri", "deploy"], default_time=time(9, 0))
    assert rest == ["deploy"]


@pytest.mark.parametrize(
    ("token", "fragment"),
    [
        ("IST", "`IST` could mean several zones"),
        ("cst", "`cst` could mean several zones"),
        ("Mars/Olympus", "`Mars/Olympus` is not a timezone I know"),
    ],
)
def test_parse_moment_bad_zone_looking_token_raises(token: str, fragment: str) -> None:
    with pytest.raises(ParseError, match=fragment):
        moment(["fri", "10:00", token])
    with pytest.raises(ParseError, match=fragment):
        moment(["fri", token], default_time=time(10, 0))


def test_parse_moment_gap_time_moves_past_the_gap() -> None:
    got, _ = moment(["2026-03-08", "02:30", "PT"])
    assert got.instant == utc(2026, 3, 8, 10, 0)


def test_parse_moment_time_only_means_the_next_such_time() -> None:
    now = utc(2026, 12, 9, 12, 0)  # 04:00 in Los Angeles
    later_today, _ = moment(["16:00"], now=now, date_required=False)
    assert later_today.instant == utc(2026, 12, 10, 0, 0)
    already_past, _ = moment(["3am"], now=now, date_required=False)
    assert already_past.instant == utc(2026, 12, 10, 11, 0)


def test_parse_moment_time_only_exactly_now_is_tomorrow() -> None:
    now = utc(2026, 12, 9, 12, 0)
    got, _ = moment(["12:00", "UTC"], now=now, date_required=False)
    assert got == Moment(utc(2026, 12, 10, 12, 0), ZoneInfo("UTC"))


def test_parse_moment_time_only_in_explicit_zone_with_leftovers() -> None:
    now = utc(2026, 12, 9, 12, 0)  # 21:00 in Tokyo
    got, rest = moment(["9am", "JST", "standup"], now=now, date_required=False)
    assert got == Moment(utc(2026, 12, 10, 0, 0), TOKYO)
    assert rest == ["standup"]


def test_parse_moment_date_still_accepted_when_optional() -> None:
    got, rest = moment(["fri", "16:00", "x"], date_required=False)
    assert got.instant == utc(2026, 12, 12, 0, 0)
    assert rest == ["x"]


def test_parse_moment_optional_date_still_validates_date_shaped_tokens() -> None:
    with pytest.raises(ParseError, match="`2026-13-45`"):
        moment(["2026-13-45", "16:00"], date_required=False)


@pytest.mark.parametrize("tokens", [[], ["deploy"], ["PT"]])
def test_parse_moment_time_required_when_date_optional(tokens: list[str]) -> None:
    with pytest.raises(ParseError, match="A time is needed, like `2026-12-09 16:00 PT`"):
        moment(tokens, date_required=False, default_time=time(10, 0))


def test_parse_moment_rejects_naive_now() -> None:
    with pytest.raises(ValueError, match="aware"):
        parse_moment(["today", "10:00"], now=datetime(2026, 12, 9, 12, 0), default_zone=LA)


def test_moment_is_frozen() -> None:
    got, _ = moment(["today", "10:00"])
    with pytest.raises(dataclasses.FrozenInstanceError):
        got.instant = utc(2030, 1, 1)  # type: ignore[misc]


# --- messages are safe to show in Slack ------------------------------------------------------


def test_long_user_text_is_truncated_in_messages() -> None:
    text = "Mars/" + "x" * 500
    with pytest.raises(ParseError) as caught:
        parse_zone(text)
    message = str(caught.value)
    quoted = message.split("`")[1]
    assert len(quoted) <= 60
    assert quoted.endswith("…")
    assert len(message) < 200


def test_backticks_and_angle_brackets_in_user_text_cannot_break_out() -> None:
    with pytest.raises(ParseError) as caught:
        parse_duration("`<!channel>`")
    message = str(caught.value)
    assert message.count("`") == 2
    assert "<!channel>" not in message
    assert "&lt;!channel&gt;" in message

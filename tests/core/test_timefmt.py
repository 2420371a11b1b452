"""Behaviour of bot.blocks.timefmt: how instants read in Slack, files and logs."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.text.timefmt import duration, plain, utc_plain, when
from bot.core.text.timeparse import localize

LA = ZoneInfo("America/Los_Angeles")
INSTANT = datetime(2027, 3, 15, 17, 0, tzinfo=UTC)  # Mon 10:00 PDT


def test_instant_fixture_matches_localize() -> None:
    assert localize(date(2027, 3, 15), time(10, 0), LA) == INSTANT
    assert int(INSTANT.timestamp()) == 1805130000


def test_when_full() -> None:
    assert when(INSTANT, LA) == (
        "<!date^1805130000^{date_short_pretty} at {time}"
        "|Mon 15 Mar 2027 10:00 PDT (America/Los_Angeles)>"
    )
    assert when(INSTANT, LA, style="full") == when(INSTANT, LA)


def test_when_time() -> None:
    assert when(INSTANT, LA, style="time") == "<!date^1805130000^{time}|10:00 PDT>"


def test_when_date() -> None:
    assert when(INSTANT, LA, style="date") == (
        "<!date^1805130000^{date_short_pretty}|Mon 15 Mar 2027>"
    )


@pytest.mark.parametrize("style", ["full", "time", "date"])
def test_when_uses_the_same_unix_time_whatever_the_zone(style: str) -> None:
    for zone in ["UTC", "Asia/Tokyo", "Pacific/Chatham", "Asia/Kathmandu"]:
        assert when(INSTANT, ZoneInfo(zone), style=style).startswith("<!date^1805130000^")


@pytest.mark.parametrize("style", ["full", "time", "date"])
def test_when_fallback_has_no_token_breaking_characters(style: str) -> None:
    for zone in ["UTC", "Asia/Kathmandu", "Etc/GMT+5", "America/Argentina/Buenos_Aires"]:
        token = when(INSTANT, ZoneInfo(zone), style=style)
        assert token.startswith("<!date^") and token.endswith(">")
        fallback = token.split("|", 1)[1][:-1]
        assert "|" not in fallback and ">" not in fallback and "<" not in fallback


def test_when_fallback_is_written_in_the_given_zone() -> None:
    tokyo = when(INSTANT, ZoneInfo("Asia/Tokyo"))
    assert tokyo.endswith("|Tue 16 Mar 2027 02:00 JST (Asia/Tokyo)>")
    kathmandu = when(INSTANT, ZoneInfo("Asia/Kathmandu"), style="time")
    assert kathmandu.endswith("|22:45 +0545>")


def test_when_day_of_month_has_no_leading_zero() -> None:
    instant = datetime(2027, 3, 5, 17, 0, tzinfo=UTC)
    assert when(instant, LA, style="date").endswith("|Fri 5 Mar 2027>")


def test_when_accepts_any_aware_datetime() -> None:
    assert when(INSTANT.astimezone(LA), LA) == when(INSTANT, LA)


def test_when_floors_sub_second_instants() -> None:
    assert when(INSTANT + timedelta(microseconds=900_000), LA).startswith("<!date^1805130000^")


def test_when_rejects_unknown_style_and_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="style"):
        when(INSTANT, LA, style="long")
    with pytest.raises(ValueError, match="aware"):
        when(datetime(2027, 3, 15, 17, 0), LA)


def test_plain() -> None:
    assert plain(INSTANT, LA) == "2027-03-15 10:00 PDT (America/Los_Angeles)"
    winter = datetime(2027, 1, 4, 18, 5, tzinfo=UTC)
    assert plain(winter, LA) == "2027-01-04 10:05 PST (America/Los_Angeles)"
    assert plain(INSTANT, ZoneInfo("Pacific/Chatham")) == (
        "2027-03-16 06:45 +1345 (Pacific/Chatham)"
    )


def test_utc_plain() -> None:
    assert utc_plain(INSTANT) == "2027-03-15 17:00 UTC"
    assert utc_plain(INSTANT.astimezone(ZoneInfo("Asia/Kolkata"))) == "2027-03-15 17:00 UTC"


def test_plain_rejects_naive_datetimes() -> None:
    with pytest.raises(ValueError, match="aware"):
        plain(datetime(2027, 3, 15, 17, 0), LA)
    with pytest.raises(ValueError, match="aware"):
        utc_plain(datetime(2027, 3, 15, 17, 0))


@pytest.mark.parametrize(
    ("td", "text"),
    [
        (timedelta(0), "0s"),
        (timedelta(milliseconds=400), "0s"),
        (timedelta(seconds=12), "12s"),
        (timedelta(seconds=59), "59s"),
        (timedelta(minutes=1), "1m"),
        (timedelta(minutes=1, seconds=5), "1m 05s"),
        (timedelta(minutes=45), "45m"),
        (timedelta(hours=1), "1h"),
        (timedelta(hours=1, minutes=5), "1h 05m"),
        (timedelta(hours=1, minutes=5, seconds=59), "1h 05m"),
        (timedelta(hours=23, minutes=59), "23h 59m"),
        (timedelta(days=1), "1d"),
        (timedelta(days=2, hours=3), "2d 3h"),
        (timedelta(days=2, hours=3, minutes=59), "2d 3h"),
        (timedelta(days=14), "14d"),
        (timedelta(minutes=-45), "-45m"),
        (timedelta(hours=-1, minutes=-5), "-1h 05m"),
    ],
)
def test_duration(td: timedelta, text: str) -> None:
    assert duration(td) == text

"""A zone's country from tzdata's tables, and that country's public holidays."""

from __future__ import annotations

from datetime import date

import pytest

from bot.core.holidays import country_name, country_of, holiday, holiday_in_zone


@pytest.mark.parametrize(
    ("zone", "country"),
    [
        ("Asia/Kolkata", "IN"),
        ("Asia/Calcutta", "IN"),  # an old name, followed to the zone it links to
        ("Europe/Berlin", "DE"),
        ("Europe/Oslo", "NO"),  # zone.tab's exact country, not the zone it shares rules with
        ("America/Los_Angeles", "US"),
        ("Australia/Sydney", "AU"),
        ("UTC", None),
        ("Etc/GMT+5", None),
        ("Not/AZone", None),
    ],
)
def test_the_country_of_a_zone_comes_from_tzdata(zone: str, country: str | None) -> None:
    assert country_of(zone) == country


def test_a_public_holiday_is_named_with_its_country() -> None:
    found = holiday_in_zone("Asia/Kolkata", date(2027, 1, 26))
    assert found is not None
    assert (found.name, found.country, found.country_name) == ("Republic Day", "IN", "India")
    assert holiday_in_zone("Asia/Kolkata", date(2027, 1, 27)) is None
    assert holiday_in_zone("UTC", date(2027, 1, 1)) is None


def test_observed_days_count_and_each_country_has_its_own() -> None:
    observed = holiday("US", date(2027, 7, 5))  # 4 July 2027 is a Sunday
    assert observed is not None and "Independence Day" in observed.name
    assert holiday("DE", date(2027, 7, 5)) is None
    assert holiday("DE", date(2027, 10, 3)) is not None
    assert holiday("ZZ", date(2027, 1, 1)) is None  # no table for that code: no holiday
    assert country_name("DE") == "Germany" and country_name("ZZ") == "ZZ"

"""Which country a timezone is in, and which days are public holidays there. Pure.

The country comes from tzdata's own tables, shipped with the `tzdata` package: `zone.tab`
gives a zone's country; a zone only `zone1970.tab` lists gives its first (main) country; an
old name (`Asia/Calcutta`) is followed to the zone it links to (`tzdata.zi`). Zones of no
country (`UTC`, `Etc/GMT+5`) have none. Holidays are the national public holidays of the
`holidays` library, observed days included.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from functools import lru_cache
from importlib import resources

import holidays as holiday_tables


@dataclass(frozen=True)
class Holiday:
    """A public holiday in a country: the day, its name, and the country's code and name."""

    day: date
    name: str
    country: str
    country_name: str


def _table(name: str) -> str:
    return resources.files("tzdata").joinpath("zoneinfo", name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def _zones() -> dict[str, str]:
    """Country code by zone name, from zone1970.tab (first code) then zone.tab (exact)."""
    found: dict[str, str] = {}
    for name in ("zone1970.tab", "zone.tab"):
        for line in _table(name).splitlines():
            if line.startswith("#") or not line.strip():
                continue
            fields = line.split("\t")
            if len(fields) >= 3:
                found[fields[2]] = fields[0].split(",")[0]
    return found


@lru_cache(maxsize=1)
def _links() -> dict[str, str]:
    """Old zone names and the zones they stand for (`L TARGET NAME` lines of tzdata.zi)."""
    found: dict[str, str] = {}
    for line in _table("tzdata.zi").splitlines():
        if line.startswith("L "):
            parts = line.split()
            if len(parts) == 3:
                found[parts[2]] = parts[1]
    return found


@lru_cache(maxsize=1)
def _country_names() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in _table("iso3166.tab").splitlines():
        if line and not line.startswith("#") and "\t" in line:
            code, name = line.split("\t", 1)
            found[code] = name.strip()
    return found


def country_of(zone: str) -> str | None:
    """The two-letter country code of a zone name, or None when it has no country."""
    zones = _zones()
    for _ in range(5):  # links may chain
        if zone in zones:
            return zones[zone]
        target = _links().get(zone)
        if target is None:
            return None
        zone = target
    return None


def country_name(code: str) -> str:
    """The country's name in tzdata's own table (`Germany`), else the code."""
    return _country_names().get(code, code)


@lru_cache(maxsize=512)
def _calendar(country: str, year: int) -> dict[date, str]:
    try:
        return dict(holiday_tables.country_holidays(country, years=year).items())
    except NotImplementedError:  # a country the library has no table for
        return {}


def holiday(country: str, day: date) -> Holiday | None:
    """The public holiday on that day in that country, if there is one."""
    name = _calendar(country, day.year).get(day)
    if name is None:
        return None
    return Holiday(day, str(name), country, country_name(country))

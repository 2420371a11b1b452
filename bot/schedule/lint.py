"""Schedule lint: dates that are likely wrong, each with its evidence and a better day. Pure.

Rules: a milestone on a Saturday or Sunday in the release's zone; on a public holiday in a
country where the team has people; a year that differs from its neighbours' (a typo: the
date is out of order, and with a neighbour's year it falls in place); out of the order its
template or source writes it; after release day; already past when imported. Findings
warn, they never block: leads decide.

Items of one `chain` are meant to fall in their `seq` order (a template's milestones, a
file's rows, a lead's own milestones in the order they were added); the order rule holds
only for `ordered` chains (a lead adds milestones in any order).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from bot.core.holidays import Holiday, country_of, holiday

WEEKEND, HOLIDAY, YEAR, ORDER, AFTER_RELEASE, PAST = (
    "weekend",
    "holiday",
    "year",
    "order",
    "after release day",
    "already past",
)


@dataclass(frozen=True)
class Item:
    """A milestone as lint sees it."""

    name: str
    at: datetime
    chain: str = ""
    seq: int = 0
    ordered: bool = False
    after_release: bool = False  # comes after release day by nature (thaw, end of life)
    history: bool = False  # its source says it has happened
    is_release: bool = False
    fresh: bool = False  # just imported: a date already past is suspicious


@dataclass(frozen=True)
class Finding:
    """A likely mistake: the milestone, the rule, the evidence, and a day that would do."""

    milestone: str
    rule: str
    evidence: str
    suggested: date | None = None
    other: str | None = None  # the milestone it is compared with
    people: tuple[str, ...] = ()  # members whose holiday it is


@dataclass(frozen=True)
class Team:
    """The members' zones and the countries they are in."""

    members: tuple[tuple[str, ZoneInfo], ...] = ()

    def countries(self) -> dict[str, list[tuple[str, ZoneInfo]]]:
        """The members by country code (members in zones of no country are left out)."""
        found: dict[str, list[tuple[str, ZoneInfo]]] = {}
        for user, zone in self.members:
            code = country_of(zone.key)
            if code:
                found.setdefault(code, []).append((user, zone))
        return found


def lint(
    items: Sequence[Item],
    *,
    zone: ZoneInfo,
    release_at: datetime | None,
    team: Team,
    now: datetime,
) -> list[Finding]:
    """Every finding about the items, by milestone in date order."""
    countries = team.countries()
    typos = _years(items, zone)
    typo_names = {f.milestone for f in typos}
    found = list(typos)
    found += _order(items, zone, typo_names)
    release_day = _release_day(items, zone, release_at)
    for item in sorted(items, key=lambda i: i.at):
        if item.fresh and not item.history and item.at <= now and item.name not in typo_names:
            found.append(
                Finding(item.name, PAST, f"it was on {_day(item.at, zone)}, already past.")
            )
        if item.at <= now:
            continue  # what has passed is not worth moving
        found += _day_rules(item, zone, countries)
        if release_day and not item.after_release and not item.is_release:
            day = item.at.astimezone(zone).date()
            if day > release_day:
                better = _working_before(release_day - timedelta(days=1), zone, countries)
                found.append(
                    Finding(
                        item.name,
                        AFTER_RELEASE,
                        f"it falls on {_fmt(day)}, after release day ({_fmt(release_day)}).",
                        better,
                    )
                )
    order = {item.name: item.at for item in items}
    return sorted(found, key=lambda f: (order.get(f.milestone, now), f.rule))


def _day_rules(
    item: Item, zone: ZoneInfo, countries: dict[str, list[tuple[str, ZoneInfo]]]
) -> list[Finding]:
    found: list[Finding] = []
    local = item.at.astimezone(zone)
    if local.weekday() >= 5:
        better = _working_before(local.date(), zone, countries)
        found.append(
            Finding(item.name, WEEKEND, f"it falls on {_day(item.at, zone)} in {zone.key}.", better)
        )
    for code, members in sorted(countries.items()):
        hit = _holiday_for(item.at, members)
        if hit is None:
            continue
        found_holiday, people = hit
        better = _working_before(found_holiday.day, zone, countries)
        evidence = (
            f"{_fmt(found_holiday.day)} is {found_holiday.name} in "
            f"{found_holiday.country_name} ({code})."
        )
        found.append(Finding(item.name, HOLIDAY, evidence, better, people=people))
    return found


def _holiday_for(
    at: datetime, members: list[tuple[str, ZoneInfo]]
) -> tuple[Holiday, tuple[str, ...]] | None:
    """The holiday the instant falls on for members of one country, and whose it is."""
    hits: dict[Holiday, list[str]] = {}
    for user, zone in members:
        code = country_of(zone.key) or ""
        found = holiday(code, at.astimezone(zone).date())
        if found is not None:
            hits.setdefault(found, []).append(user)
    if not hits:
        return None
    first = next(iter(hits))
    return first, tuple(hits[first])


def _years(items: Sequence[Item], zone: ZoneInfo) -> list[Finding]:
    found: list[Finding] = []
    for chain in _chains(items).values():
        days = [i.at.astimezone(zone).date() for i in chain]
        for n, item in enumerate(chain):
            before = days[n - 1] if n > 0 else None
            after = days[n + 1] if n + 1 < len(days) else None
            fixed = _fixed_year(days[n], before, after)
            if fixed is None:
                continue
            around = [
                f"{chain[m].name} {_fmt(days[m])}" for m in (n - 1, n + 1) if 0 <= m < len(chain)
            ]
            evidence = (
                f"its year {days[n].year} differs from its neighbours' "
                f"({'; '.join(around)}): a typo for {fixed.year}?"
            )
            found.append(Finding(item.name, YEAR, evidence, fixed))
    return found


def _fixed_year(day: date, before: date | None, after: date | None) -> date | None:
    """The day with a neighbour's year when that puts an out-of-order day in place."""
    if before is None and after is None:
        return None
    if not ((before and day < before) or (after and day > after)):
        return None
    for year in sorted({d.year for d in (before, after) if d} - {day.year}):
        try:
            fixed = day.replace(year=year)
        except ValueError:  # 29 February
            continue
        if (before is None or before <= fixed) and (after is None or fixed <= after):
            return fixed
    return None


def _order(items: Sequence[Item], zone: ZoneInfo, skip: set[str]) -> list[Finding]:
    found: list[Finding] = []
    for chain in _chains(items).values():
        if not chain[0].ordered:
            continue
        kept = [i for i in chain if i.name not in skip]
        days = [i.at.astimezone(zone).date() for i in kept]
        for n in range(1, len(kept)):
            if days[n - 1] <= days[n]:
                continue
            early = n >= 2 and days[n] < days[n - 2]
            culprit, other = (kept[n], kept[n - 1]) if early else (kept[n - 1], kept[n])
            side = "after" if early else "before"
            evidence = (
                f"it is meant to come {side} {other.name} ({_fmt(days[kept.index(other)])}), "
                f"but falls on {_fmt(days[kept.index(culprit)])}."
            )
            found.append(
                Finding(culprit.name, ORDER, evidence, days[kept.index(other)], other=other.name)
            )
    return found


def _chains(items: Sequence[Item]) -> dict[str, list[Item]]:
    chains: dict[str, list[Item]] = {}
    for item in items:
        chains.setdefault(item.chain, []).append(item)
    return {key: sorted(found, key=lambda i: i.seq) for key, found in chains.items()}


def _release_day(items: Sequence[Item], zone: ZoneInfo, release_at: datetime | None) -> date | None:
    if release_at is not None:
        return release_at.astimezone(zone).date()
    marked = next((i for i in items if i.is_release), None)
    return marked.at.astimezone(zone).date() if marked else None


def _working_before(
    day: date, zone: ZoneInfo, countries: dict[str, list[tuple[str, ZoneInfo]]]
) -> date | None:
    """The closest day on or before `day` that is a weekday and no team holiday."""
    for back in range(0, 14):
        candidate = day - timedelta(days=back)
        if candidate.weekday() >= 5:
            continue
        if any(holiday(code, candidate) for code in countries):
            continue
        return candidate
    return None


def _fmt(day: date) -> str:
    return f"{day:%A} {day.day} {day:%B %Y}"


def _day(at: datetime, zone: ZoneInfo) -> str:
    return _fmt(at.astimezone(zone).date())

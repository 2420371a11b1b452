"""The two Kubernetes formats: the website's patch-release file and sig-release's timeline.

Patch releases (`data/releases/schedule.yaml`): per minor release its release date, the next
patch and the previous ones (each a cherry-pick deadline and a target date), maintenance
mode and end of life. One minor release is read: the one asked for, or the only one.

The timeline (`releases/release-1.NN/README.md`): a Markdown table with the columns What,
Who and When; a When is a day (`Monday 18th May 2026`), a range of days (the first counts),
or an AoE/UTC pair (`... (AoE) / Wednesday 10th June 2026, 12:00 UTC`: the UTC instant).
"""

from __future__ import annotations

import re
from datetime import date, time

from yaml.nodes import Node, SequenceNode

from bot.schedule.upstream.formats import (
    KUBERNETES_PATCHES,
    MAX_ENTRIES,
    SIG_RELEASE,
    Entry,
    NotUnderstood,
    Parsed,
    keys_of,
    line_of,
    parse_day,
    read_yaml,
    scalar,
)

RELEASE = "release"
_EMPTY = {"", "n/a", "na", "none", "-", "tbd"}
_MONTHS = {
    name: number
    for number, name in enumerate(
        ("january", "february", "march", "april", "may", "june", "july", "august",
         "september", "october", "november", "december"),
        start=1,
    )
}  # fmt: skip
_DAY = re.compile(
    r"(?:(?P<weekday>[A-Za-z]+),?\s+)?(?P<day>\d{1,2})(?:st|nd|rd|th)?"
    r"(?:\s+(?P<month>[A-Za-z]+))?(?:,?\s+(?P<year>\d{4}))?"
)
_UTC_TIME = re.compile(r"(\d{1,2}):(\d{2})\s*UTC", re.IGNORECASE)
_MARKUP = re.compile(r"\*\*|__|`|\[([^\]]*)\](?:\[[^\]]*\]|\([^)]*\))?")


class NeedsStream(ValueError):
    """A patch file with several minor releases and none chosen: the ones it has."""

    def __init__(self, available: list[str]) -> None:
        super().__init__(", ".join(available))
        self.available = available


# --- patch releases ------------------------------------------------------------------------


def parse_patches(text: str, want: str | None) -> Parsed:
    """The patch schedule of minor release `want` (e.g. `1.31`)."""
    root = read_yaml(text)
    schedules = keys_of(root).get("schedules")
    if not isinstance(schedules, SequenceNode) or not schedules.value:
        at = line_of(schedules) if schedules is not None else 1
        raise NotUnderstood("`schedules` must be a list of minor releases.", at)
    by_minor: dict[str, Node] = {}
    for item in schedules.value:
        minor = scalar(keys_of(item).get("release"))
        if not minor:
            raise NotUnderstood(
                'a schedule has no `release` (like `release: "1.31"`).', line_of(item)
            )
        by_minor[minor] = item
    if want is None and len(by_minor) == 1:
        want = next(iter(by_minor))
    if want is None or want not in by_minor:
        raise NeedsStream(list(by_minor))
    entries = _minor_entries(want, by_minor[want])
    return Parsed(KUBERNETES_PATCHES, f"Kubernetes {want} patch releases", want, entries)


def _minor_entries(minor: str, node: Node) -> list[Entry]:
    fields = keys_of(node)
    patches: list[tuple[str, Node, bool]] = []
    nxt = fields.get("next")
    if nxt is not None and keys_of(nxt):
        patches.append((_patch_name(nxt), nxt, False))
    previous = fields.get("previousPatches")
    if isinstance(previous, SequenceNode):
        patches += [(_patch_name(p), p, True) for p in previous.value]
    patches.sort(key=lambda p: _version_key(p[0]))
    if "releaseDate" not in fields:
        raise NotUnderstood(f"the {minor} schedule has no `releaseDate`.", line_of(node))
    found: list[tuple[str, str, Node | None, bool, bool]] = []
    if not any(name == f"{minor}.0" for name, _, _ in patches):
        found.append(("release", f"{minor} release", fields.get("releaseDate"), True, False))
    for name, patch, history in patches:
        parts = keys_of(patch)
        found.append(
            (
                f"{name}/cherry-pick",
                f"{name} cherry-pick deadline",
                parts.get("cherryPickDeadline"),
                history,
                True,
            )
        )
        found.append(
            (
                f"{name}/target",
                f"{name} release",
                _required(parts, "targetDate", patch, name),
                history,
                True,
            )
        )
    found.append(
        (
            "maintenance",
            f"{minor} maintenance mode",
            fields.get("maintenanceModeStartDate"),
            False,
            True,
        )
    )
    found.append(("end-of-life", f"{minor} end of life", fields.get("endOfLifeDate"), False, True))
    return _dated(found)


def _dated(found: list[tuple[str, str, Node | None, bool, bool]]) -> list[Entry]:
    entries: list[Entry] = []
    for key, name, value, history, after in found:
        raw = scalar(value)
        if value is None or raw is None or raw.lower() in _EMPTY:
            continue  # no date given (a patch without a cherry-pick window)
        day = parse_day(raw, line_of(value), f"the date of {name}")
        chain = "support" if key in ("maintenance", "end-of-life") else "patches"
        entries.append(
            Entry(
                key,
                name,
                day,
                line_of(value),
                len(entries),
                history=history,
                after_release=after,
                chain=chain,
            )
        )
    if len(entries) > MAX_ENTRIES:
        raise NotUnderstood(f"it has {len(entries)} dates; at most {MAX_ENTRIES} can be laid out.")
    return entries


def _patch_name(node: Node) -> str:
    name = scalar(keys_of(node).get("release"))
    if not name:
        raise NotUnderstood("a patch has no `release` (like `release: 1.31.2`).", line_of(node))
    return name


def _required(parts: dict[str, Node], key: str, node: Node, name: str) -> Node:
    if key not in parts:
        raise NotUnderstood(f"patch {name} has no `{key}`.", line_of(node))
    return parts[key]


def _version_key(version: str) -> tuple[int, ...]:
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


# --- the release timeline ------------------------------------------------------------------


def parse_timeline(text: str) -> Parsed:
    """The rows of the README's timeline table, in the order written."""
    lines = text.splitlines()
    start, what_col, when_col = _header(lines)
    entries: list[Entry] = []
    seen: set[str] = set()
    released = False
    for number in range(start, len(lines)):
        line = lines[number]
        if not line.lstrip().startswith("|"):
            break
        cells = _cells(line)
        if len(cells) <= max(what_col, when_col) or set(cells[what_col]) <= set("-: "):
            continue
        name = _clean(cells[what_col])[:80]
        if not name:
            continue
        key = name if name not in seen else f"{name} ({number + 1})"
        seen.add(key)
        day, at_time = parse_when(_clean(cells[when_col]), number + 1)
        marks = RELEASE if re.fullmatch(r"v?\d+\.\d+\.0 released", name, re.I) else None
        entries.append(
            Entry(
                key,
                name,
                day,
                number + 1,
                len(entries),
                at_time=at_time,
                zone="UTC" if at_time else None,
                after_release=released,
                marks=marks,
            )
        )
        released = released or marks == RELEASE
    if not entries:
        raise NotUnderstood("the timeline table has no rows.", start)
    if len(entries) > MAX_ENTRIES:
        raise NotUnderstood(f"it has {len(entries)} rows; at most {MAX_ENTRIES} can be laid out.")
    return Parsed(SIG_RELEASE, _title(lines), None, entries)


def _header(lines: list[str]) -> tuple[int, int, int]:
    for number, line in enumerate(lines):
        cells = [_clean(c).lower() for c in _cells(line)] if line.lstrip().startswith("|") else []
        if "what" in cells and "when" in cells:
            return number + 1, cells.index("what"), cells.index("when")
    raise NotUnderstood("no timeline table: a table with the columns What and When.")


def _cells(line: str) -> list[str]:
    return [c.strip() for c in line.strip().strip("|").split("|")]


def _clean(cell: str) -> str:
    return " ".join(_MARKUP.sub(lambda m: m.group(1) or "", cell).split())


def _title(lines: list[str]) -> str:
    heading = next((line[2:].strip() for line in lines if line.startswith("# ")), "")
    return _clean(heading)[:80] or "Kubernetes release timeline"


def parse_when(text: str, line: int) -> tuple[date, time | None]:
    """A When cell: the day, and the UTC time when it gives an AoE/UTC pair."""
    if "/" in text and "UTC" in text.upper():
        utc = next(part for part in text.split("/") if "UTC" in part.upper())
        clock = _UTC_TIME.search(utc)
        if clock is None:
            raise NotUnderstood(f"`{text[:60]}` gives UTC but no time like 12:00 UTC.", line)
        day = _day(utc[: clock.start()], line, text)
        return day, time(int(clock.group(1)), int(clock.group(2)))
    parts = re.split(r"\s[-\u2013\u2014]\s", text, maxsplit=1)
    last = parts[1] if len(parts) == 2 else None  # a range of days: the first one counts
    return _day(parts[0], line, text, fallback=last), None


def _day(part: str, line: int, whole: str, fallback: str | None = None) -> date:
    found = _DAY.search(part.strip().rstrip(","))
    later = _DAY.search(fallback.strip()) if fallback else None
    if found is None:
        raise NotUnderstood(f"`{whole[:60]}` is not a day like `Monday 18th May 2026`.", line)
    month = found.group("month") or (later.group("month") if later else None)
    year = found.group("year") or (later.group("year") if later else None)
    if month is None or month.lower() not in _MONTHS:
        raise NotUnderstood(f"`{whole[:60]}` has no month I can read.", line)
    if year is None:
        raise NotUnderstood(f"`{whole[:60]}` has no year.", line)
    try:
        return date(int(year), _MONTHS[month.lower()], int(found.group("day")))
    except ValueError:
        raise NotUnderstood(f"`{whole[:60]}` is no day of the calendar.", line) from None

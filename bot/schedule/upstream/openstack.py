"""OpenStack's `doc/source/<series>/schedule.yaml`: weeks R-n with the events they hold.

Each week has a `start` (its Monday) and, usually, a `name` (`R-5`); its `x-project` and
`project-specific` lists hold event keys made of the series' initial and the event
(`i-ff`: feature freeze of the series starting with I). An event's deadline is the
Thursday of its week; the final release is on the Wednesday. Keys of another series (the
previous release, listed in the first week) are left out.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, timedelta

from yaml.nodes import Node, SequenceNode

from bot.schedule.upstream.formats import (
    MAX_ENTRIES,
    OPENSTACK,
    Entry,
    NotUnderstood,
    Parsed,
    keys_of,
    line_of,
    parse_day,
    read_yaml,
    scalar,
    thursday_of,
)

EVENTS = {
    "1": "Milestone 1",
    "2": "Milestone 2",
    "3": "Milestone 3",
    "ff": "Feature freeze",
    "rf": "Requirements freeze",
    "soft-sf": "Soft string freeze",
    "hard-sf": "Hard string freeze",
    "final-lib": "Final release for non-client libraries",
    "final-clientlib": "Final release for client libraries",
    "rc1": "RC1 target week",
    "finalrc": "Final RCs and intermediary releases",
    "final": "Final release",
    "cycle-highlights": "Cycle highlights",
    "vptg": "Virtual PTG",
    "ptg": "PTG",
    "mf": "Membership freeze",
    "extra-acs": "Extra-ACs deadline",
    "cycle-trail": "Cycle-trailing release deadline",
    "election-email-deadline": "Election email deadline",
    "summit": "Summit",
}
LISTS = ("x-project", "project-specific")


def parse_openstack(text: str, series: str | None = None) -> Parsed:
    """The series' events, week by week, each on the Thursday (release: Wednesday) of its week."""
    root = read_yaml(text)
    cycle = keys_of(root).get("cycle")
    if not isinstance(cycle, SequenceNode) or not cycle.value:
        raise NotUnderstood("`cycle` must be a list of weeks.", line_of(cycle) if cycle else 1)
    weeks = [(week, _events(week)) for week in cycle.value]
    initial = _initial([key for _, events in weeks for key, _ in events], line_of(cycle))
    entries: list[Entry] = []
    seen: set[str] = set()
    released = False
    for week, events in weeks:
        mine = [(key, line) for key, line in events if key.startswith(f"{initial}-")]
        if not mine:
            continue
        monday = _start(week)
        for key, line in mine:
            event = key[len(initial) + 1 :]
            day = monday + timedelta(days=2) if event == "final" else thursday_of(monday)
            unique = key if key not in seen else f"{key}@{monday.isoformat()}"
            seen.add(unique)
            entries.append(
                Entry(
                    unique,
                    _name(event),
                    day,
                    line,
                    len(entries),
                    after_release=released,
                    marks="release" if event == "final" else None,
                )
            )
        released = released or any(key == f"{initial}-final" for key, _ in mine)
    if not entries:
        raise NotUnderstood(f"no week lists an event of the series (keys like `{initial}-ff`).")
    if len(entries) > MAX_ENTRIES:
        raise NotUnderstood(f"it has {len(entries)} events; at most {MAX_ENTRIES} can be laid out.")
    title = f"OpenStack {series.capitalize()}" if series else "OpenStack series"
    return Parsed(OPENSTACK, title, series, entries)


def _events(week: Node) -> list[tuple[str, int]]:
    fields = keys_of(week)
    if not fields:
        raise NotUnderstood(
            "a week must be a mapping with `start`, `name` and events.", line_of(week)
        )
    found: list[tuple[str, int]] = []
    for name in LISTS:
        listed = fields.get(name)
        if listed is None:
            continue
        if not isinstance(listed, SequenceNode):
            raise NotUnderstood(f"`{name}` must be a list of event keys.", line_of(listed))
        found += [(scalar(item) or "", line_of(item)) for item in listed.value]
    return [(key.lower(), line) for key, line in found if key]


def _start(week: Node) -> date:
    start = keys_of(week).get("start")
    if start is None:
        raise NotUnderstood("a week with events has no `start` date.", line_of(week))
    return parse_day(scalar(start) or "", line_of(start), "a week's `start`")


def _initial(keys: list[str], line: int) -> str:
    initials = Counter(key.split("-", 1)[0] for key in keys if "-" in key)
    if not initials:
        raise NotUnderstood("no week lists an event key like `f-ff`.", line)
    return initials.most_common(1)[0][0]


def _name(event: str) -> str:
    return EVENTS.get(event) or event.replace("-", " ").capitalize()

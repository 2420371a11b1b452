"""Reading one schedule template from YAML, with every mistake tied to its file and line.

A schedule template names milestones and where each falls: an `offset` from release day
(`-68d`, `-33d 02:00 UTC`, `-5w thu`, `R`) or a fixed `date` (`2027-03-01`, `2027-03-01
18:00 UTC`). The text is read with `yaml.compose`, so every value keeps its line; the walk
collects all mistakes instead of stopping at the first.

```yaml
name: our-schedule
description: Our freezes
roles: [lead, docs]
milestones:
  - name: Docs freeze
    offset: -21d 02:00 UTC
    owner: docs
    marks: docs-freeze        # code-freeze, docs-freeze or release
    phase: docs freeze        # the phase this milestone opens, for /release status
    description: Docs PRs are merged or wait for the next release.
```
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from bot.core.templatefiles import has_top_key
from bot.core.text.timeparse import ParseError, localize, parse_time, parse_zone
from bot.core.yamlfile import Form, Head, Reader, kind, read_template
from bot.core.yamlfile import TemplateInvalid as TemplateInvalid  # what parse raises
from bot.schedule.timing import END_OF_DAY, Offset, parse_offset

MAX_MILESTONES = 50
MAX_NAME = 80
MAX_DESCRIPTION = 500
MAX_PHASE = 60
MARKS = ("code-freeze", "docs-freeze", "release")
TEMPLATE_KEYS = ("name", "description", "roles", "milestones")
MILESTONE_KEYS = ("name", "offset", "date", "owner", "description", "phase", "marks")

ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
FORM = Form(TEMPLATE_KEYS, example="my-schedule", description=MAX_DESCRIPTION, fold=True)


@dataclass(frozen=True)
class FixedDate:
    """A calendar date with an optional time and zone, as a template gives it."""

    day: date
    at: time | None = None
    zone: str | None = None

    def resolve(self, release_zone: ZoneInfo) -> tuple[datetime, ZoneInfo]:
        """The instant (end of day when no time is given) and the zone it is meant in."""
        zone = ZoneInfo(self.zone) if self.zone else release_zone
        return localize(self.day, self.at or END_OF_DAY, zone), zone


@dataclass(frozen=True)
class MilestoneSpec:
    """One milestone as a template describes it: relative (`offset`) or fixed (`fixed`)."""

    name: str
    offset: Offset | None = None
    fixed: FixedDate | None = None
    owner: str | None = None
    description: str = ""
    phase: str | None = None
    marks: str | None = None


@dataclass(frozen=True)
class ScheduleTemplate:
    """A named list of milestones, and where it came from."""

    name: str
    description: str
    roles: tuple[str, ...]
    milestones: tuple[MilestoneSpec, ...]
    source: str = "built-in"


def is_schedule_text(text: str) -> bool:
    """True for YAML text meant as a schedule template (it has a top-level `milestones`)."""
    return has_top_key(text, "milestones")


def parse(text: str, path: str) -> ScheduleTemplate:
    """Read one template from YAML text; TemplateInvalid lists every mistake with its line."""
    return read_template(text, path, FORM, _template)


def _template(reader: Reader, head: Head) -> ScheduleTemplate | None:
    roles = _roles(reader, head.top["roles"]) if "roles" in head.top else None
    if "milestones" not in head.top:
        reader.error(head.root, "the template has no `milestones` list.")
        return None
    milestones = _milestones(reader, head.top["milestones"], roles)
    return ScheduleTemplate(head.name, head.description, tuple(roles or ()), tuple(milestones), "")


def _roles(reader: Reader, node: Node) -> list[str]:
    if not isinstance(node, SequenceNode):
        reader.error(node, f"roles must be a list like [lead, docs], not {kind(node)}.")
        return []
    found = [reader.role(item, "an entry of roles") for item in node.value]
    return [role for role in found if role is not None]


def _milestones(reader: Reader, node: Node, roles: list[str] | None) -> list[MilestoneSpec]:
    entries = reader.entries(node, "milestones", "schedule", "milestone")
    if len(entries) > MAX_MILESTONES:
        reader.error(node, f"a schedule can have at most {MAX_MILESTONES} milestones.")
    found: list[MilestoneSpec] = []
    seen: dict[str, int] = {}
    marked: dict[str, int] = {}
    for item in entries:
        spec = _milestone(reader, item, roles)
        if spec is None:
            continue
        line = item.start_mark.line + 1
        key = spec.name.casefold()
        if key in seen:
            reader.error(item, f"milestone `{spec.name}` is already named on line {seen[key]}.")
            continue
        if spec.marks and spec.marks in marked:
            reader.error(item, f"`marks: {spec.marks}` is already on line {marked[spec.marks]}.")
            continue
        seen[key] = line
        if spec.marks:
            marked[spec.marks] = line
        found.append(spec)
    return found


def _milestone(reader: Reader, node: Node, roles: list[str] | None) -> MilestoneSpec | None:
    keys = reader.mapping(node, MILESTONE_KEYS, "a milestone")
    if not isinstance(node, MappingNode):
        return None
    name = reader.text(keys["name"], "name", MAX_NAME) if "name" in keys else None
    if "name" not in keys:
        reader.error(node, "this milestone has no `name`.")
    offset = _offset(reader, keys["offset"]) if "offset" in keys else None
    fixed = _fixed(reader, keys["date"]) if "date" in keys else None
    if "offset" in keys and "date" in keys:
        reader.error(keys["date"], "a milestone has an `offset` or a `date`, not both.")
    elif "offset" not in keys and "date" not in keys:
        reader.error(node, "this milestone has no `offset` (like -33d 02:00 UTC) or `date`.")
    owner = reader.owner(keys["owner"], roles) if "owner" in keys else None
    description = ""
    if "description" in keys:
        description = reader.text(keys["description"], "description", MAX_DESCRIPTION) or ""
    phase = reader.text(keys["phase"], "phase", MAX_PHASE) if "phase" in keys else None
    marks = None
    if "marks" in keys:
        marks = reader.text(keys["marks"], "marks", 16)
        if marks is not None and marks not in MARKS:
            reader.error(keys["marks"], f"`marks` can only be {', '.join(MARKS)}.")
            marks = None
    if name is None or (offset is None and fixed is None):
        return None
    return MilestoneSpec(name, offset, fixed, owner, description, phase, marks)


def _offset(reader: Reader, node: Node) -> Offset | None:
    value = reader.unit_text(node, "offset", "-33d or -5w thu", 60)
    if value is None:
        return None
    try:
        offset, rest = parse_offset(value.split())
    except ParseError as err:
        reader.error(node, f"offset: {err}")
        return None
    if rest:
        reader.error(node, f"offset: `{' '.join(rest)}` is not part of an offset.")
        return None
    return offset


def _fixed(reader: Reader, node: Node) -> FixedDate | None:
    if isinstance(node, ScalarNode) and node.tag == "tag:yaml.org,2002:timestamp":
        value: str | None = str(node.value)
    else:
        value = reader.text(node, "date", 60)
    if value is None:
        return None
    words = value.split()
    match = ISO_DATE.match(words[0])
    try:
        if match is None:
            raise ParseError(f"`{words[0]}` is not a date like 2027-03-01.")
        day = date(int(match[1]), int(match[2]), int(match[3]))
        at = parse_time(words[1]) if len(words) > 1 else None
        zone = parse_zone(words[2]).key if len(words) > 2 else None
        if len(words) > 3:
            raise ParseError("a date is a day, a time and a zone at most.")
    except ParseError as err:
        reader.error(node, f"date: {err}")
        return None
    except ValueError:
        reader.error(node, f"date: `{words[0]}` is not a real date.")
        return None
    return FixedDate(day, at, zone)

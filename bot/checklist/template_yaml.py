"""Reading one checklist template from YAML, with every mistake tied to its file and line.

The text is read with `yaml.compose`, so every value keeps the line it came from; the walk
collects all mistakes instead of stopping at the first.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import time, timedelta

from yaml.nodes import MappingNode, Node

from bot.checklist.jobs.spec import RunSpec, read_run
from bot.core.text.timeparse import ParseError, parse_duration, parse_time, parse_zone
from bot.core.yamlfile import ROLE, Form, Head, Reader, read_template

MAX_STEPS = 100  # the message shows a window of steps, so this is no Slack limit
MAX_TITLE = 300
MAX_DESCRIPTION = 300
MAX_EXPECTED = timedelta(days=7)
REQUIREMENTS = ("gonogo",)
TEMPLATE_KEYS = ("name", "description", "roles", "steps")
STEP_KEYS = ("title", "owner", "not_before", "expected", "gates", "requires", "run")

FORM = Form(TEMPLATE_KEYS, example="my-release", description=MAX_DESCRIPTION, fold=False)
GATE = re.compile(r"^[a-z0-9][a-z0-9._-]{0,39}$")
CLOCK = re.compile(r"^(\d{1,2}):(\d{2}):(\d{2})$")


@dataclass(frozen=True)
class StepSpec:
    """One step as a template describes it."""

    title: str
    owner: str
    not_before: time | None = None
    not_before_zone: str | None = None  # an IANA name; None means the release's timezone
    expected: timedelta | None = None
    gates: tuple[str, ...] = ()
    requires: str | None = None
    run: RunSpec | None = None  # the job the step runs when a person presses Run


@dataclass(frozen=True)
class Template:
    """A named, ordered list of steps, and where it came from."""

    name: str
    description: str
    roles: tuple[str, ...]
    steps: tuple[StepSpec, ...]
    source: str = "built-in"


def parse(text: str, path: str) -> Template:
    """Read one template from YAML text; TemplateInvalid lists every mistake with its line."""
    return read_template(text, path, FORM, _template)


def _template(reader: Reader, head: Head) -> Template | None:
    roles: list[str] | None = None
    if "roles" in head.top:
        roles = reader.names(head.top["roles"], "roles", ROLE, "lead, branch-manager, docs")
    if "steps" not in head.top:
        reader.error(head.root, "the template has no `steps` list.")
        return None
    steps = _steps(reader, head.top["steps"], roles)
    return Template(head.name, head.description, tuple(roles or ()), tuple(steps), source="")


def _steps(reader: Reader, node: Node, roles: list[str] | None) -> list[StepSpec]:
    entries = reader.entries(node, "steps", "checklist", "step")
    if len(entries) > MAX_STEPS:
        reader.error(
            node, f"a checklist can have at most {MAX_STEPS} steps; this one has {len(entries)}."
        )
    steps = [_step(reader, item, roles) for item in entries]
    return [step for step in steps if step is not None]


def _step(reader: Reader, node: Node, roles: list[str] | None) -> StepSpec | None:
    if not isinstance(node, MappingNode):
        reader.mapping(node, STEP_KEYS, "a step")
        return None
    keys = reader.mapping(node, STEP_KEYS, "a step")
    title = reader.text(keys["title"], "title", MAX_TITLE) if "title" in keys else None
    if "title" not in keys:
        reader.error(node, "this step has no `title`.")
    owner = _owner(reader, node, keys.get("owner"), roles)
    at, zone = _not_before(reader, keys["not_before"]) if "not_before" in keys else (None, None)
    expected = _expected(reader, keys["expected"]) if "expected" in keys else None
    gates = reader.names(keys["gates"], "gates", GATE, "ci-blocking") if "gates" in keys else []
    requires = None
    if "requires" in keys:
        requires = reader.text(keys["requires"], "requires", 16)
        if requires is not None and requires not in REQUIREMENTS:
            reader.error(keys["requires"], f"`requires` can only be {', '.join(REQUIREMENTS)}.")
    run = read_run(reader, keys["run"]) if "run" in keys else None
    if title is None or owner is None:
        return None
    return StepSpec(title, owner, at, zone, expected, tuple(gates), requires, run)


def _owner(reader: Reader, step: Node, node: Node | None, roles: list[str] | None) -> str | None:
    if node is None:
        reader.error(step, "this step has no `owner` (the role that does it).")
        return None
    return reader.owner(node, roles)


def _not_before(reader: Reader, node: Node) -> tuple[time | None, str | None]:
    value = reader.text(node, "not_before", 80)
    if value is None:
        return None, None
    words = value.split()
    if len(words) > 2:
        reader.error(node, 'not_before is a time and a timezone, like "16:00 America/Los_Angeles".')
        return None, None
    try:
        clock = CLOCK.match(words[0])
        at = time(int(clock[1]), int(clock[2]), int(clock[3])) if clock else parse_time(words[0])
        zone = parse_zone(words[1]).key if len(words) == 2 else None
    except (ParseError, ValueError) as err:
        reader.error(node, f"not_before: {err}")
        return None, None
    return at, zone


def _expected(reader: Reader, node: Node) -> timedelta | None:
    value = reader.unit_text(node, "expected", "45m or 1h30m", 20)
    if value is None:
        return None
    try:
        span = parse_duration(value)
    except ParseError as err:
        reader.error(node, f"expected: {err}")
        return None
    if span > MAX_EXPECTED:
        reader.error(node, "expected can be at most 7d.")
        return None
    return span

"""What a published schedule reads as, and which reader a file's content calls for. Pure.

Each entry keeps a key that names it within its source (so a later sync finds it again),
its place in the order the source writes it (`seq`), and what the source itself says about
it: that it already happened (`history`) or that it comes after release day by nature.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import yaml
from yaml.nodes import MappingNode, Node, ScalarNode

KUBERNETES_PATCHES = "kubernetes-patches"
SIG_RELEASE = "sig-release"
OPENSTACK = "openstack"
FORMAT_NAMES = {
    KUBERNETES_PATCHES: "Kubernetes patch releases (data/releases/schedule.yaml)",
    SIG_RELEASE: "Kubernetes release timeline (sig-release README.md)",
    OPENSTACK: "OpenStack series schedule (doc/source/<series>/schedule.yaml)",
}
MAX_ENTRIES = 60
_ISO_DAY = re.compile(r"\d{4}-\d{2}-\d{2}")
_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml when PyYAML has it


class NotUnderstood(ValueError):
    """A file that cannot be read as a schedule: why, and the line (1-based) it is about."""

    def __init__(self, reason: str, line: int = 1) -> None:
        super().__init__(f"line {line}: {reason}")
        self.reason = reason
        self.line = line


@dataclass(frozen=True)
class Entry:
    """One dated thing a schedule file names."""

    key: str
    name: str
    day: date
    line: int
    seq: int
    at_time: time | None = None  # with `zone`; None: the end of the day in the release's zone
    zone: str | None = None
    history: bool = False  # the file itself says it has happened
    after_release: bool = False  # falls after release day by nature (thaw, end of life)
    marks: str | None = None  # "release" for release day
    chain: str = ""  # entries of one chain are meant to fall in their `seq` order

    def instant(self, release_zone: ZoneInfo) -> tuple[datetime, ZoneInfo]:
        """When it falls, and the zone it was meant in."""
        if self.at_time is not None and self.zone:
            zone = ZoneInfo(self.zone)
            return datetime.combine(self.day, self.at_time, zone), zone
        end = datetime.combine(self.day, time(23, 59), release_zone)
        return end, release_zone


@dataclass(frozen=True)
class Parsed:
    """A schedule read from a file: its format, what it is of, and its entries in order."""

    format: str
    title: str
    stream: str | None
    entries: list[Entry]


def parse_day(text: str, line: int, what: str) -> date:
    """A `YYYY-MM-DD` day; NotUnderstood (with the line) when it is anything else."""
    if not _ISO_DAY.fullmatch(text):
        raise NotUnderstood(f"{what} is `{text[:40]}`, not a date like 2026-04-22.", line)
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise NotUnderstood(f"{what} is `{text}`, which is no day of the calendar.", line) from None


def thursday_of(monday: date) -> date:
    """The Thursday of the week that starts on `monday` (any day of it will do)."""
    return monday - timedelta(days=monday.weekday()) + timedelta(days=3)


def yaml_root(text: str) -> Node | None:
    """The YAML nodes of the text (they keep their lines), or None when it is not YAML."""
    try:
        return yaml.compose(text, Loader=_LOADER)
    except yaml.YAMLError:
        return None


def yaml_error(text: str) -> NotUnderstood:
    """Why the text is not YAML, at the line YAML stopped."""
    try:
        yaml.compose(text, Loader=_LOADER)
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        return NotUnderstood(f"not valid YAML: {err.problem}", mark.line + 1 if mark else 1)
    except yaml.YAMLError as err:
        return NotUnderstood(f"not valid YAML: {err}")
    return NotUnderstood("not valid YAML")


def read_yaml(text: str) -> Node:
    """The YAML nodes of the text (they keep their lines); NotUnderstood when it is not YAML."""
    root = yaml_root(text)
    if root is None:
        raise yaml_error(text)
    return root


def keys_of(node: Node) -> dict[str, Node]:
    """A mapping node's values by key (empty for anything else)."""
    if not isinstance(node, MappingNode):
        return {}
    return {str(k.value): v for k, v in node.value if isinstance(k, ScalarNode)}


def line_of(node: Node) -> int:
    """The 1-based line a node starts on."""
    return int(node.start_mark.line) + 1


def scalar(node: Node | None) -> str | None:
    """A scalar's text exactly as written (so `1.30` stays `1.30`), else None."""
    if isinstance(node, ScalarNode):
        return str(node.value).strip()
    return None


def recognise(text: str) -> str:
    """Which format the content is; NotUnderstood saying what was expected otherwise."""
    root = yaml_root(text)
    found = keys_of(root) if root is not None else {}
    if "schedules" in found:
        return KUBERNETES_PATCHES
    if "cycle" in found or "release-week" in found:
        return OPENSTACK
    if re.search(r"^\|[^\n]*\bWhat\b[^\n]*\|[^\n]*\bWhen\b", text, re.MULTILINE | re.IGNORECASE):
        return SIG_RELEASE
    if root is None and text.lstrip().startswith(("---", "{", "-")):
        raise yaml_error(text)
    raise NotUnderstood(
        "this is not a schedule I know: expected a Kubernetes patch-release file "
        "(`schedules:`), an OpenStack series schedule (`cycle:` of weeks) or a sig-release "
        "README with a timeline table (columns What and When)."
    )

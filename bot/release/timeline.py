"""The audit trail as a Markdown document for the retrospective. Pure.

Times are shown in UTC and in the release's zone; step durations and gates' time to green
are derived from the trail itself.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.core.models import AuditEvent
from bot.core.text.timefmt import duration, plain, utc_plain
from bot.release.models import Release


def filename(release: Release) -> str:
    """A safe file name for the release's timeline."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", release.name).strip("-") or "release"
    return f"timeline-{slug[:60]}.md"


def _cell(text: str | None) -> str:
    if not text:
        return ""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _who(actor: str) -> str:
    return actor if actor == "releasebot" else f"<@{actor}>"


@dataclass(frozen=True)
class Span:
    """How long something stayed in a state: a step from active to finished, a gate red."""

    subject: str
    began: datetime
    ended: datetime | None
    outcome: str


def step_spans(events: list[AuditEvent]) -> list[Span]:
    """Each checklist step from its first activation to done or skipped."""
    started: dict[str, datetime] = {}
    spans: list[Span] = []
    for event in events:
        if not event.action.startswith("step."):
            continue
        if event.after == "active":
            started.setdefault(event.subject, event.at)
        elif event.after in ("done", "skipped") and event.subject in started:
            spans.append(Span(event.subject, started.pop(event.subject), event.at, event.after))
    spans += [Span(subject, began, None, "unfinished") for subject, began in started.items()]
    return spans


def gate_spans(events: list[AuditEvent]) -> list[Span]:
    """Each time a gate went red, and how long until it was green again."""
    red: dict[str, datetime] = {}
    spans: list[Span] = []
    for event in events:
        if event.action == "gate.failing":
            red.setdefault(event.subject, event.at)
        elif event.action == "gate.passing" and event.subject in red:
            spans.append(Span(event.subject, red.pop(event.subject), event.at, "green"))
    spans += [Span(subject, began, None, "still red") for subject, began in red.items()]
    return spans


def _span_rows(spans: list[Span], zone: ZoneInfo) -> list[str]:
    rows = []
    for span in spans:
        ended = plain(span.ended, zone) if span.ended else ""
        took = duration(span.ended - span.began) if span.ended else ""
        rows.append(
            f"| {_cell(span.subject)} | {plain(span.began, zone)} | {ended} | {took} "
            f"| {span.outcome} |"
        )
    return rows


def durations(events: list[AuditEvent], zone: ZoneInfo) -> list[str]:
    """Markdown sections with step durations and gates' time to green."""
    lines: list[str] = []
    steps, gates = step_spans(events), gate_spans(events)
    if steps:
        lines += ["", "## Step durations", "", "| step | active from | finished | took | outcome |"]
        lines += ["|---|---|---|---|---|", *_span_rows(steps, zone)]
    if gates:
        lines += [
            "",
            "## Gates: time to green",
            "",
            "| gate | red from | green again | red for | now |",
        ]
        lines += ["|---|---|---|---|---|", *_span_rows(gates, zone)]
    return lines


def markdown(release: Release, events: list[AuditEvent]) -> str:
    """Every audit event in order, with times in UTC and in the release's zone."""
    zone = ZoneInfo(release.zone)
    lines = [
        f"# Timeline of release {_cell(release.name)}",
        "",
        f"- Timezone: {release.zone}",
        f"- State: {release.state}",
        f"- Release day: {plain(release.release_at, zone) if release.release_at else 'not set'}",
        f"- Events: {len(events)}",
        "",
        f"| # | UTC | {release.zone} | who | what | subject | before | after | detail |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for number, event in enumerate(events, start=1):
        cells = [
            str(number),
            utc_plain(event.at),
            plain(event.at, zone),
            _who(event.actor),
            event.action,
            _cell(event.subject),
            _cell(event.before),
            _cell(event.after),
            _cell(event.detail),
        ]
        lines.append("| " + " | ".join(cells) + " |")
    lines += durations(events, zone)
    return "\n".join(lines) + "\n"

"""The audit trail as a Markdown document for the retrospective. Pure.

Times are shown in UTC and in the release's zone; step durations and gates' time to green
are derived from the trail itself.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.core.models import AuditEvent
from bot.core.text.timefmt import duration, plain, utc_plain
from bot.release.models import Release

if TYPE_CHECKING:
    from bot.release.retro import Figures


def filename(release: Release) -> str:
    """A safe file name for the release's timeline."""
    slug = re.sub(r"[^A-Za-z0-9._-]+", "-", release.name).strip("-") or "release"
    return f"timeline-{slug[:60]}.md"


def _cell(text: str | None) -> str:
    if not text:
        return ""
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _who(actor: str) -> str:
    if actor == "releasebot" or actor.startswith("api:"):  # the bot, or a token's own label
        return actor
    return f"<@{actor}>"


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
        columns = ["step", "active from", "finished", "took", "outcome"]
        lines += _table("## Step durations", columns, _span_rows(steps, zone))
    if gates:
        columns = ["gate", "red from", "green again", "red for", "now"]
        lines += _table("## Gates: time to green", columns, _span_rows(gates, zone))
    return lines


def _table(title: str, columns: list[str], rows: Iterable[str]) -> list[str]:
    """A titled Markdown table: a blank line, the title, a blank line, the head, `rows`."""
    head = "| " + " | ".join(columns) + " |"
    return ["", title, "", head, "|" + "---|" * len(columns), *rows]


def _when(instant: datetime | None, zone: ZoneInfo) -> str:
    return plain(instant, zone) if instant else ""


def _signed(delta: timedelta | None) -> str:
    """'+2d 3h' later, '-45m' earlier, 'on time' for no change; '' when unknown."""
    if delta is None:
        return ""
    if not delta:
        return "on time"
    return duration(delta) if delta < timedelta(0) else "+" + duration(delta)


def _took(delta: timedelta | None) -> str:
    return duration(delta) if delta is not None else ""


def figures_section(figures: Figures, zone: ZoneInfo) -> list[str]:
    """The retrospective's figures as Markdown tables: planned against actual."""
    day = figures.release_day
    lines = ["", "## Figures", "", f"As of {plain(figures.until, zone)}."]
    columns = ["planned", "actual", "moved", "postponed", "outcome", "closed"]
    lines += _table(
        "### Release day",
        columns,
        [
            f"| {_when(day.planned, zone) or 'not set'} | {_when(day.actual, zone) or 'not set'} "
            f"| {_signed(day.slip)} | {day.postponements} times | {day.outcome} "
            f"| {_when(day.closed_at, zone)} |"
        ],
    )
    if figures.milestones:
        columns = ["milestone", "planned", "actual", "moved"]
        lines += _table(
            "### Milestones",
            columns,
            (
                f"| {_cell(m.name)} | {plain(m.planned, zone)} | {plain(m.actual, zone)} "
                f"| {_signed(m.moved)} |"
                for m in figures.milestones
            ),
        )
    if figures.steps:
        lines += _step_table(figures)
    if figures.gates:
        columns = ["gate", "now", "red in total", "longest red", "times red", "checks", "chart"]
        lines += _table(
            "### Gates: time red",
            columns,
            (
                f"| {_cell(g.name)} | {g.state} | {duration(g.red_total)} "
                f"| {duration(g.red_longest)} | {g.stretches} | {g.checks} "
                f"| {'attached' if g.counts and g.checks else ''} |"
                for g in figures.gates
            ),
        )
    if figures.votes:
        lines += _vote_table(figures, zone)
    return lines


def _step_table(figures: Figures) -> list[str]:
    """Each checklist step's expected and actual duration, and how far over it ran."""
    rows = []
    for step in figures.steps:
        over = (
            _signed(step.actual - step.expected)
            if step.actual is not None and step.expected is not None
            else ""
        )
        rows.append(
            f"| {step.position} | {_cell(step.title)} | {_cell(step.owner)} "
            f"| {step.state} | {_took(step.expected)} | {_took(step.actual)} | {over} "
            f"| {step.activations} |"
        )
    columns = ["#", "step", "owner", "state", "expected", "took", "over by", "activations"]
    return _table("### Checklist steps: expected and actual duration", columns, rows)


def _vote_table(figures: Figures, zone: ZoneInfo) -> list[str]:
    """When each required voter of each poll voted, and how long after the poll opened."""
    columns = ["poll", "opened", "voter", "vote", "voted", "after opening"]
    return _table(
        "### Go/no-go: when each required voter voted",
        columns,
        (
            f"| {v.poll}. {_cell(v.question[:80])} | {plain(v.opened_at, zone)} "
            f"| {_who(v.user_id)} | {v.choice or 'did not vote'} | {_when(v.voted_at, zone)} "
            f"| {_took(v.after_opening)} |"
            for v in figures.votes
        ),
    )


def markdown(release: Release, events: list[AuditEvent], figures: Figures | None = None) -> str:
    """Every audit event in order, with times in UTC and in the release's zone.

    With `figures` (from `bot.release.retro.figures`) a Figures section follows the events.
    """
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
    if figures is not None:
        lines += figures_section(figures, zone)
    return "\n".join(lines) + "\n"

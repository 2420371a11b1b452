"""The release page for people outside Slack: pure, PageData in, HTML out.

Rendered with Jinja2 and autoescaping, so every text people typed (step titles, gate
names, the poll's question) shows as text. No Slack user id reaches the page: role holders
are shown by the `names` given, and Slack's mention markup in typed text is replaced by
names too. Times are `<time datetime=ISO>` elements with the release zone's reading as
their text; an inline script (allowed by the response's CSP nonce) rewrites them to the
reader's browser timezone and keeps the release zone's reading beside them. Without the
script the page is complete.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache, lru_cache
from pathlib import Path
from zoneinfo import ZoneInfo

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.calendar.service import PageData
from bot.core.asks.calendar import GateView, StepRow
from bot.core.chart import burndown_png
from bot.core.text.timefmt import duration

TEMPLATES = Path(__file__).resolve().parent / "templates"
SOMEONE = "a team member"
REFRESH_SECONDS = 60
_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
STEP_STATES = {
    "pending": ("·", "pending"),
    "waiting": ("◷", "waiting for its time"),
    "active": ("▶", "in progress"),
    "done": ("✓", "done"),
    "failed": ("✗", "failed"),
    "skipped": ("↷", "skipped"),
}
GATE_STATES = {
    "passing": ("✓", "passing"),
    "failing": ("✗", "failing"),
    "yellow": ("!", "yellow: not good enough"),
    "unknown": ("?", "unknown"),
}
RESULTS = {"pass": "✓", "fail": "✗", "yellow": "!", "unknown": "?"}
# A chart is redrawn when its values, release day or milestones change, and otherwise at most
# once per CHART_STEP (its last value is drawn as holding until then): the page stays fast.
CHART_STEP = timedelta(minutes=15)
CHART_CACHE = 128
CHART_ROWS = 48  # a chart's table of values shows at most its latest changes
_MARKUP = re.compile(r"<([@#!])([^>|]*)(?:\|([^>]*))?>|<(https?://[^>|]+)(?:\|([^>]*))?>")

Names = Callable[[str], str]


def someone(user_id: str) -> str:
    """The name shown when no people directory is given."""
    return SOMEONE


@dataclass(frozen=True)
class GateChart:
    """What a counting gate's burndown chart shows; hashable, so a drawing can be reused."""

    gate: str
    points: tuple[tuple[datetime, float], ...]
    release_day: datetime | None
    marks: tuple[tuple[datetime, str], ...]
    zone: str


@dataclass(frozen=True)
class When:
    """An instant for the page: ISO 8601 in UTC, and its reading in the release zone."""

    iso: str
    text: str


def when(instant: datetime, zone: ZoneInfo) -> When:
    """'Mon 15 Mar 2027, 10:00 PDT', with the instant in UTC for the script."""
    local = instant.astimezone(zone)
    abbreviation = local.tzname() or local.strftime("%z")
    text = (
        f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}, "
        f"{local:%H:%M} {abbreviation}"
    )
    return When(instant.astimezone(ZoneInfo("UTC")).strftime("%Y-%m-%dT%H:%M:%SZ"), text)


def plain(text: str, names: Names) -> str:
    """Typed text with Slack's markup (mentions, channels, groups, links) as readable words."""

    def word(match: re.Match[str]) -> str:
        sigil, target, label, url, url_label = match.groups()
        if url is not None:
            return url_label or url
        if sigil == "@":
            return label or names(target)
        if sigil == "#":
            return f"#{label}" if label else "a channel"
        if target.startswith("subteam^"):
            return label or "a group"
        return f"@{target}" if target in ("here", "channel", "everyone") else (label or "")

    return _MARKUP.sub(word, text)


def render(data: PageData, names: Names = someone, *, nonce: str = "") -> str:
    """The release page as HTML; `nonce` lets the response's CSP allow its style and script."""
    release = data.release
    zone = ZoneInfo(release.zone)
    # Counted and numbered as the checklist's Slack message does (`checklist.render.progress`).
    done = sum(1 for step in data.steps if step.finished)
    steps = [_step(step, data.now, zone) for step in data.steps]
    current = next((s for s in steps if not s["finished"]), None)
    context = {
        "nonce": nonce,
        "refresh": REFRESH_SECONDS if data.release_day else None,
        "name": release.name,
        "zone": release.zone,
        "phase": data.phase,
        "release_at": when(release.release_at, zone) if release.release_at else None,
        "now": when(data.now, zone),
        "roles": [
            (role, ", ".join(dict.fromkeys(names(user) for user in users)))
            for role, users in data.holders.items()
        ],
        "checklist": data.checklist,
        "checklist_state": data.checklist_state,
        "done": done,
        "progress": f"{done}/{len(steps)} done",
        "counts": _counts(data.steps),
        "steps": steps,
        "current": current,
        "gates": [_gate(gate, _chart(gate, data), zone, data.now) for gate in data.gates],
        "failing": sum(1 for gate in data.gates if gate.state == "failing"),
        "poll": data.poll,
        "question": plain(data.poll.question, names) if data.poll else "",
        "deadline": (when(data.poll.deadline, zone) if data.poll and data.poll.deadline else None),
        "meetings": [
            {
                "at": when(m.at, zone),
                "days": f"{m.days} ({m.zone})",
                "link": m.link if m.link and m.link.startswith(("https://", "http://")) else None,
            }
            for m in data.meetings
        ],
        "milestones": [
            {"name": m.name, "at": when(m.at, zone), "owner": m.owner_role} for m in data.milestones
        ],
    }
    return _environment().get_template("release.html").render(context)


def _step(step: StepRow, now: datetime, zone: ZoneInfo) -> dict[str, object]:
    icon, label = STEP_STATES.get(step.state, ("·", step.state))
    timing: list[tuple[str, When | str]] = []
    if step.state == "done" and step.started_at and step.finished_at:
        timing.append(("took", duration(step.finished_at - step.started_at)))
        timing.append(("finished", when(step.finished_at, zone)))
    elif step.state in ("done", "skipped", "failed") and step.finished_at:
        timing.append(("at", when(step.finished_at, zone)))
    elif step.state == "active" and step.activated_at:
        timing.append(("running for", duration(max(now - step.activated_at, timedelta(0)))))
        timing.append(("since", when(step.activated_at, zone)))
    elif step.not_before and step.state in ("pending", "waiting"):
        timing.append(("opens", when(step.not_before, zone)))
    if step.expected and step.state in ("pending", "waiting", "active"):
        timing.append(("expected", duration(step.expected)))
    return {
        "position": step.position,
        "title": step.title,
        "owner": step.owner,
        "state": step.state,
        "finished": step.finished,
        "icon": icon,
        "label": label,
        "timing": timing,
    }


def _chart(gate: GateView, data: PageData) -> GateChart | None:
    """A counting gate's chart, with release day and the milestones marked; None for others."""
    if not gate.points:
        return None
    release = data.release
    return GateChart(gate.name, gate.points, release.release_at, data.marks, release.zone)


def _gate(
    gate: GateView, chart: GateChart | None, zone: ZoneInfo, now: datetime
) -> dict[str, object]:
    icon, label = GATE_STATES.get(gate.state, ("?", "not known yet"))
    red = None
    if gate.red_total:
        longest = duration(gate.red_longest) if gate.red_longest else ""
        red = f"red for {duration(gate.red_total)} in total, {longest} at the longest"
    elif gate.red_total is not None:
        red = "never red"
    return {
        "red": red,
        "recent": " ".join(RESULTS.get(result, "?") for result in gate.recent),
        "recent_words": ", ".join(gate.recent),
        "chart": chart_uri(chart, _step_of(now)) if chart else None,
        **_chart_text(chart, zone),
        "name": gate.name,
        "kind": "manual" if gate.kind == "manual" else "checked",
        "state": gate.state,
        "icon": icon,
        "label": label,
        "since": when(gate.since, zone) if gate.since else None,
        "checked": when(gate.checked_at, zone) if gate.checked_at else None,
    }


def _counts(steps: list[StepRow]) -> str:
    """`2 of them skipped`: the finished steps that were skipped rather than done."""
    skipped = sum(1 for step in steps if step.state == "skipped")
    return f"{skipped} of them skipped" if skipped else ""


def _chart_text(chart: GateChart | None, zone: ZoneInfo) -> dict[str, object]:
    """The chart in words and as a table of its changes: its text equivalent."""
    if chart is None:
        return {"trend": "", "points": [], "earlier": 0}
    values = [value for _, value in chart.points]
    changes = [
        (when(at, zone), f"{value:g}")
        for n, (at, value) in enumerate(chart.points)
        if n == 0 or value != chart.points[n - 1][1]
    ]
    trend = (
        f"{values[0]:g} at the first check, {values[-1]:g} at the latest, "
        f"{max(values):g} at the most, over {len(values)} checks."
    )
    return {
        "trend": trend,
        "points": changes[-CHART_ROWS:],
        "earlier": max(len(changes) - CHART_ROWS, 0),
    }


def _step_of(now: datetime) -> datetime:
    """`now` rounded down to a CHART_STEP, so a chart's drawing is reused meanwhile."""
    epoch = datetime(2000, 1, 1, tzinfo=now.tzinfo)
    return epoch + (now - epoch) // CHART_STEP * CHART_STEP


@lru_cache(maxsize=CHART_CACHE)
def chart_uri(chart: GateChart, until: datetime) -> str:
    """The gate's burndown chart as a `data:image/png;base64,` URI (drawings are reused)."""
    png = burndown_png(
        chart.points,
        chart.release_day,
        chart.marks,
        title=chart.gate,
        zone=ZoneInfo(chart.zone),
        now=max(until, chart.points[-1][0]),
    )
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


@cache
def _environment() -> Environment:
    """The template environment (made once; templates are compiled on first use)."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(["html"], default=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )

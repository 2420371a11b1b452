"""The audit trail as a Markdown document for the retrospective. Pure."""

from __future__ import annotations

import re
from zoneinfo import ZoneInfo

from bot.blocks.timefmt import plain, utc_plain
from bot.models import AuditEvent, Release


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
    return "\n".join(lines) + "\n"

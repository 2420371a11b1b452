"""Block Kit text for what native gates found: open GitHub items, TestGrid jobs not passing.

Pure: the findings stored on a gate in, mrkdwn lines out. Everything GitHub or TestGrid
wrote (titles, labels, logins, job names, status lines) is escaped once here; links are
only made of URLs that cannot break out of Slack's `<url|label>` token.
"""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.core.text.escape import escape, shorten
from bot.core.text.fit import fit_lines
from bot.core.text.timefmt import duration, when

SHOWN = 10  # items or jobs listed; the rest are counted
_SAFE_URL = re.compile(r"https?://[^\s<>|]{1,500}")
JOB_ICONS = {
    "failing": ":red_circle:",
    "flaky": ":large_yellow_circle:",
    "stale": ":hourglass:",
    "unknown": ":white_circle:",
}


def lines(findings: dict[str, Any], now: datetime, zone: ZoneInfo) -> list[str]:
    """One line per open item or job not passing, at most SHOWN, then how many more."""
    shown, rest, noun = listed(findings, now, zone)
    return [*shown, f"_…and {rest} more {noun}_"] if rest else shown


def fitted(findings: dict[str, Any], now: datetime, zone: ZoneInfo, room: int) -> str:
    """The lines that fit whole in `room` characters, the rest counted ("" for none)."""
    shown, rest, noun = listed(findings, now, zone)
    if not shown and not rest:
        return ""

    def more(left: int) -> str:
        return f"_…and {left + rest} more {noun}_"

    tail = more(0) if rest else ""
    body = fit_lines(shown, room - (len(tail) + 1 if tail else 0), more)
    return f"{body}\n{tail}" if tail and not body.endswith(f"{noun}_") else body


def listed(findings: dict[str, Any], now: datetime, zone: ZoneInfo) -> tuple[list[str], int, str]:
    """(a line per item or job shown, how many more there are, what they are called)."""
    if findings.get("kind") == "github":
        items = [item for item in findings.get("items") or [] if isinstance(item, dict)]
        total = int(findings.get("total") or len(items))
        shown = [_item(item, now) for item in items[:SHOWN]]
        return shown, max(total - len(shown), 0), "items"
    if findings.get("kind") == "testgrid":
        jobs = [job for job in findings.get("jobs") or [] if isinstance(job, dict)]
        shown = [_job(job, zone) for job in jobs[:SHOWN]]
        return shown, len(jobs) - len(shown) + int(findings.get("more") or 0), "jobs"
    return [], 0, ""


def counted(findings: dict[str, Any]) -> str:
    """A short count of what was found, like `3 open` or `2 jobs not passing`."""
    if findings.get("kind") == "github":
        return f"{int(findings.get('total') or 0)} open"
    if findings.get("kind") == "testgrid":
        jobs = len(findings.get("jobs") or []) + int(findings.get("more") or 0)
        return f"{jobs} job{'s' if jobs != 1 else ''} not passing"
    return ""


def link(url: str, label: str) -> str:
    """A Slack link when the URL is safe to put in one, else the label alone (escaped)."""
    shown = escape(label)
    return f"<{escape(url)}|{shown}>" if _SAFE_URL.fullmatch(url or "") else shown


def _item(item: dict[str, Any], now: datetime) -> str:
    number = item.get("number")
    parts = [f"• {link(str(item.get('url') or ''), f'#{number}')} "
             f"{escape(shorten(str(item.get('title') or ''), 120))}"]  # fmt: skip
    if item.get("pr"):
        parts.append("draft PR" if item.get("draft") else "PR")
    assignees = [str(a) for a in item.get("assignees") or []][:5]
    parts.append(
        "assigned " + ", ".join(escape(f"@{a}") for a in assignees) if assignees else "unassigned"
    )
    labels = [str(label) for label in item.get("labels") or []][:5]
    if labels:
        parts.append(" ".join(_code(label) for label in labels))
    opened = _instant(item.get("opened"))
    if opened is not None and opened <= now:
        parts.append(f"open {duration(now - opened)}")
    return " · ".join(parts)


def _job(job: dict[str, Any], zone: ZoneInfo) -> str:
    status = str(job.get("status") or "unknown")
    name = f"{job.get('dashboard', '')} / {job.get('name', '')}"
    parts = [f"• {JOB_ICONS.get(status, ':white_circle:')} {link(str(job.get('link') or ''), name)}"
             f" *{escape(status)}*"]  # fmt: skip
    if not job.get("blocking"):
        parts[0] += " (informing)"
    if job.get("line"):
        parts.append(escape(shorten(str(job["line"]), 120)))
    if job.get("failing_tests"):
        count = int(job["failing_tests"])
        parts.append(f"{count} failing test{'s' if count != 1 else ''}")
    last_run = _instant(job.get("last_run"))
    if last_run is not None:
        parts.append(f"last run {when(last_run, zone)}")
    return " · ".join(parts)


def _code(text: str) -> str:
    return "`" + escape(shorten(text, 50)).replace("`", "'") + "`"


def _instant(raw: Any) -> datetime | None:
    try:
        found = datetime.fromisoformat(str(raw))
    except ValueError:
        return None
    return found if found.tzinfo is not None else None

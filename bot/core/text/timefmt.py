"""Render instants for Slack messages, files and logs.

Slack's `<!date^UNIX^FORMAT|FALLBACK>` token shows each reader their own local time; the fallback
is what clients that cannot render it (notifications, exports) show, written in the release zone.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, tzinfo
from zoneinfo import ZoneInfo

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

_SLACK_FORMATS = {
    "full": "{date_short_pretty} at {time}",
    "time": "{time}",
    "date": "{date_short_pretty}",
}


def when(instant: datetime, zone: ZoneInfo, *, style: str = "full") -> str:
    """Return a Slack date token (style full, time or date) with a fallback written in `zone`."""
    if style not in _SLACK_FORMATS:
        raise ValueError(f"unknown style {style!r}; use one of {', '.join(_SLACK_FORMATS)}")
    local = _in_zone(instant, zone)
    fallback = {
        "full": f"{_day(local)} {_clock(local)} ({_zone_name(zone)})",
        "time": _clock(local),
        "date": _day(local),
    }[style]
    return f"<!date^{int(instant.timestamp())}^{_SLACK_FORMATS[style]}|{_safe(fallback)}>"


def plain(instant: datetime, zone: ZoneInfo) -> str:
    """Return '2027-03-15 10:00 PDT (America/Los_Angeles)' for files and Markdown."""
    local = _in_zone(instant, zone)
    return f"{local:%Y-%m-%d} {_clock(local)} ({_zone_name(zone)})"


def utc_plain(instant: datetime) -> str:
    """Return '2027-03-15 17:00 UTC'."""
    return f"{_in_zone(instant, UTC):%Y-%m-%d %H:%M} UTC"


def duration(td: timedelta) -> str:
    """Return a compact human duration in at most two units: '1h 05m', '45m', '2d 3h', '12s'."""
    if td < timedelta(0):
        return "-" + duration(-td)
    total = int(td.total_seconds())
    days, rest = divmod(total, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, seconds = divmod(rest, 60)
    if days:
        return f"{days}d {hours}h" if hours else f"{days}d"
    if hours:
        return f"{hours}h {minutes:02d}m" if minutes else f"{hours}h"
    if minutes:
        return f"{minutes}m {seconds:02d}s" if seconds else f"{minutes}m"
    return f"{seconds}s"


def _in_zone(instant: datetime, zone: tzinfo) -> datetime:
    """Convert an aware instant to `zone`; naive datetimes are a programming error."""
    if instant.tzinfo is None or instant.utcoffset() is None:
        raise ValueError("timefmt needs an aware datetime, not a naive one")
    return instant.astimezone(zone)


def _day(local: datetime) -> str:
    """'Mon 15 Mar 2027', independent of the process locale."""
    return f"{_DAYS[local.weekday()]} {local.day} {_MONTHS[local.month - 1]} {local.year}"


def _clock(local: datetime) -> str:
    """'10:00 PDT' (zones without an abbreviation show their offset, like '+0545')."""
    return f"{local:%H:%M} {local.tzname() or local.strftime('%z')}"


def _zone_name(zone: ZoneInfo) -> str:
    """The IANA name of a zone, or its repr if it was not loaded by name."""
    return zone.key if zone.key else str(zone)


def _safe(text: str) -> str:
    """Strip characters that would end a Slack token early or open a new one."""
    return text.replace("|", "/").replace(">", "").replace("<", "")

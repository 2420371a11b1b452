"""Words for imported schedules and lint: the import, a slip, an unreadable source, findings.

Pure: everything it shows comes in as arguments.
"""

from __future__ import annotations

from datetime import date, datetime

from bot.core.blocks import SECTION_LIMIT, Block, Blocks, context, mrkdwn
from bot.core.text.escape import escape
from bot.core.text.fit import cut, fit_lines
from bot.release.models import Release
from bot.schedule.lint import Finding
from bot.schedule.models import Milestone, ScheduleSource
from bot.schedule.render import Rendered, at_token, left
from bot.schedule.upstream.formats import FORMAT_NAMES

SHOWN = 12


def link(source: ScheduleSource) -> str:
    """The source as a link named by its title."""
    url = source.url.replace("|", "%7C").replace(">", "%3E")
    return f"<{url}|{escape(source.title)}>"


def _day(day: date) -> str:
    return f"{day:%a} {day.day} {day:%b %Y}"


def finding_line(finding: Finding) -> str:
    """One finding: the milestone, the rule, the evidence, a better day, whose holiday."""
    line = f"• *{escape(finding.milestone)}* · _{finding.rule}_: {escape(finding.evidence)}"
    if finding.people:
        line += " For " + ", ".join(f"<@{u}>" for u in finding.people[:10]) + "."
    if finding.suggested is not None:
        line += f" Suggested: *{_day(finding.suggested)}*."
    return line


def findings_blocks(findings: list[Finding], *, intro: str = "") -> Blocks:
    """Findings as warnings (they never block), fitted into one section."""
    if not findings:
        return [
            mrkdwn(
                ":white_check_mark: Lint found nothing: no weekend, holiday, year, "
                "order or release-day problem."
            )
        ]
    head = intro or f":warning: *Lint: {len(findings)} finding{'s' if len(findings) != 1 else ''}*"
    lines = [finding_line(f) for f in findings]
    body = fit_lines(lines, SECTION_LIMIT - len(head) - 1, lambda n: f"_…and {n} more_")
    return [
        mrkdwn(f"{head}\n{body}"),
        context("Findings only warn; nothing was changed. `/release milestone move` fixes one."),
    ]


def findings_text(findings: list[Finding]) -> str:
    """The plain text of findings, for notifications."""
    if not findings:
        return "Lint found nothing."
    return f"Lint: {len(findings)} finding(s), first: {findings[0].milestone} ({findings[0].rule})."


def imported_answer(
    release: Release,
    source: ScheduleSource,
    created: list[Milestone],
    moved: int,
    kept: list[Milestone],
    findings: list[Finding],
    now: datetime,
) -> Rendered:
    """The lead's answer to an import: what was laid out, what stayed, the lint."""
    passed = sum(1 for m in created if m.at <= now)
    head = (
        f"Imported {link(source)} ({FORMAT_NAMES.get(source.format, source.format)}) into "
        f"release *{escape(release.name)}*: {len(created)} new milestones"
        + (f", {moved} moved" if moved else "")
        + (f" ({passed} already past, not announced)" if passed else "")
        + ". `/release schedule sync` reads it again; it is also read once a day."
    )
    if kept:
        names = ", ".join(f"*{escape(m.name)}*" for m in kept[:10])
        head += f" Your own {names} stayed as they were."
    text = cut(f"Imported {source.title} into release {release.name}.", 3000)
    return text, [mrkdwn(cut(head, SECTION_LIMIT)), *findings_blocks(findings)]


def imported_post(
    release: Release, source: ScheduleSource, created: list[Milestone], actor: str, now: datetime
) -> Rendered:
    """The channel hears of an import, with the next milestones."""
    ahead = [m for m in created if m.at > now]
    lines = [
        f"• *{escape(m.name)}*: {at_token(m.at, release)} ({left(now, m.at)})"
        for m in ahead[:SHOWN]
    ]
    if len(ahead) > SHOWN:
        lines.append(f"_…and {len(ahead) - SHOWN} more (`/release schedule` lists them)_")
    head = (
        f":calendar: <@{actor}> imported the schedule of release *{escape(release.name)}* "
        f"from {link(source)}: {len(created)} milestones."
    )
    body = fit_lines(lines, SECTION_LIMIT) if lines else "_None of them lies ahead._"
    text = f"The schedule of release {release.name} was imported from {source.title}"
    return cut(text, 3000), [mrkdwn(cut(head, SECTION_LIMIT)), mrkdwn(body)]


def slipped(
    release: Release, milestone: Milestone, before: datetime, source: ScheduleSource, now: datetime
) -> Rendered:
    """The channel hears that the published schedule moved a milestone: from, to."""
    name = escape(milestone.name)
    lines = [
        f":arrows_counterclockwise: *Slip:* milestone *{name}* of release "
        f"*{escape(release.name)}* moved in {link(source)}",
        f"*From:* ~{at_token(before, release)}~",
        f"*To:* {at_token(milestone.at, release)} ({left(now, milestone.at)})",
    ]
    text = f"Slip: {milestone.name} of release {release.name} moved in the published schedule"
    return cut(text, 3000), [
        mrkdwn(cut("\n".join(lines), SECTION_LIMIT)),
        context("Its countdown starts again for the new date."),
    ]


def added_from_source(
    release: Release, source: ScheduleSource, created: list[Milestone], now: datetime
) -> Rendered:
    """The channel hears of milestones that are new in the published schedule."""
    lines = [
        f"• *{escape(m.name)}*: {at_token(m.at, release)} ({left(now, m.at)})" for m in created
    ]
    head = f":new: {link(source)} has new milestones for release *{escape(release.name)}*:"
    text = f"{len(created)} new milestone(s) in the published schedule of release {release.name}"
    return cut(text, 3000), [mrkdwn(cut(head + "\n" + fit_lines(lines, 2500), SECTION_LIMIT))]


def source_context(source: ScheduleSource, release: Release) -> Block:
    """Under the schedule list: where it was imported from, and whether it still reads."""
    line = f":link: Imported from {link(source)}; read again once a day"
    if source.synced_at is not None:
        line += f" (last {at_token(source.synced_at, release)})"
    if source.failing_since is not None:
        line += (
            f". :warning: It could not be read since {at_token(source.failing_since, release)}: "
            f"{escape(source.failure or 'no reason given')}"
        )
    return context(cut(line + ".", 2900))


def unreachable(release: Release, source: ScheduleSource, reason: str) -> Rendered:
    """A lead hears, once, that the published schedule could not be read."""
    body = (
        f":warning: I could not read the published schedule of release *{escape(release.name)}* "
        f"({link(source)}): {escape(reason)}\nI keep trying once a day and tell you again only "
        "after it could be read once more. `/release schedule sync` tries now."
    )
    text = f"The published schedule of release {release.name} could not be read"
    return cut(text, 3000), [mrkdwn(cut(body, SECTION_LIMIT))]


def synced_answer(
    source: ScheduleSource, moved: int, created: int, gone: list[str], unchanged: bool
) -> str:
    """The lead's answer to a sync."""
    if unchanged or not (moved or created or gone):
        return f"{link(source)} is unchanged since it was last read: nothing moved."
    parts = [f"{moved} milestone{'s' if moved != 1 else ''} moved (announced as slips)"]
    if created:
        parts.append(f"{created} new")
    answer = f"Read {link(source)} again: " + ", ".join(parts) + "."
    if gone:
        names = ", ".join(f"*{escape(n)}*" for n in gone[:10])
        answer += f" No longer in the file, kept as they are: {names}."
    return answer

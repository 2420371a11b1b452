"""/gonogo: go/no-go polls in the channel, their buttons, reminder and deadline."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from slack_bolt import App
from sqlmodel import Session

from bot.core import audit
from bot.core.errors import NotFound
from bot.core.scheduler import Timer
from bot.core.services import Services
from bot.core.status import Section
from bot.core.text.commandline import CommandLine, user_id
from bot.core.text.escape import escape, quoted
from bot.core.text.timeparse import ParseError, looks_like_zone, parse_moment
from bot.gonogo import render
from bot.gonogo import service as polls
from bot.gonogo.flows import (
    VoteWriter,
    announce,
    click_go,
    click_nogo,
    poll_id_of,
    post_poll,
    submit_reason,
)
from bot.release import service as releases
from bot.release.models import Release
from handlers.interactions import Click, on_click, on_submit
from handlers.router import Command, Ctx, Reply, Sub, register_command

KEYWORDS = ("voters", "by")
UTC_ZONE = ZoneInfo("UTC")
START_USAGE = "/gonogo [QUESTION] [voters @person ROLE...] [by [DATE] TIME [TZ]]"


def split_words(words: list[str]) -> dict[str, list[str]]:
    """Cut the words into the question, the `voters` part and the `by` part."""
    parts: dict[str, list[str]] = {"question": []}
    current = "question"
    for word in words:
        key = word.lower()
        if key in KEYWORDS:
            if key in parts:
                raise ParseError(f"Say `{key}` once (quote a question that uses the word).")
            current = key
            parts[key] = []
            continue
        parts[current].append(word)
    for key in KEYWORDS:
        if key in parts and not parts[key]:
            what = "people (@mention) or role names" if key == "voters" else "a time"
            raise ParseError(f"`{key}` needs {what} after it.")
    return parts


def split_voters(words: list[str]) -> tuple[list[str], list[str]]:
    """Mentions and role names, apart; a plain @name is refused (Slack did not link it)."""
    users, role_names = [], []
    for word in words:
        uid = user_id(word)
        if uid is not None:
            users.append(uid)
        elif word.startswith("@") or word.startswith("<"):
            raise ParseError(f"{quoted(word)} is not a mention: type @ and pick the person.")
        else:
            role_names.append(word)
    return users, role_names


def start(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gonogo [QUESTION] [voters ...] [by TIME [TZ]]`: open the channel's poll."""
    parts = split_words(line.words)
    question = " ".join(parts["question"] + ([f"-- {line.reason}"] if line.reason else []))
    users, role_names = split_voters(parts.get("voters", []))
    now = ctx.services.now()
    deadline = None
    if "by" in parts:
        named = any(looks_like_zone(word) for word in parts["by"])
        zone = UTC_ZONE if named else ctx.services.people.zone_of(ctx.user_id)
        moment, left = parse_moment(parts["by"], now=now, default_zone=zone, date_required=False)
        if left:
            raise ParseError(f"I did not understand {quoted(' '.join(left))} after the time.")
        deadline = moment.instant
    admins = ctx.services.settings.admins
    with ctx.services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        releases.require_lead(s, release, ctx.user_id, admins, "start a go/no-go poll")
        voters, fallen = polls.resolve_voters(s, release, users, role_names)
        poll = polls.start(
            s,
            release,
            question=question,
            voters=voters,
            deadline=deadline,
            actor=ctx.user_id,
            now=now,
        )
        tally = polls.tally(s, poll)
    zone = ZoneInfo(release.zone)
    text, blocks = render.poll_message(tally, zone)
    assert poll.id is not None
    ctx.services.scheduler.poke()
    count = len(tally.required)
    note = f"Poll started with {count} required voter{'s' if count != 1 else ''}."
    if fallen:
        note += (
            f" Nobody holds {', '.join(f'*{escape(r)}*' for r in fallen)}: that falls to the lead."
        )
    return Reply(text=note, after=partial(post_poll, ctx.services, poll.id, text, blocks))


def close(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gonogo close`: close the open poll now (a lead or an admin)."""
    if line.args:
        raise ParseError("`close` takes nothing after it.")
    admins = ctx.services.settings.admins
    with ctx.services.db.session() as s:
        release = releases.active_release(s, ctx.channel_id)
        releases.require_lead(s, release, ctx.user_id, admins, "close the poll")
        assert release.id is not None
        poll = polls.open_poll(s, release.id)
        if poll is None:
            raise NotFound("There is no open poll in this channel. Start one with `/gonogo`.")
        assert poll.id is not None
        closed = _close(s, poll.id, ctx.user_id, ctx.services)
    return Reply(
        text=f"Poll closed: *{closed.outcome}*.", after=partial(announce, ctx.services, poll.id)
    )


def _close(s: Session, poll_id: int, actor: str, services: Services) -> polls.Poll:
    closed = polls.close(s, poll_id, actor=actor, now=services.now(), why="closed early by a lead")
    if closed is None:
        raise polls.refused(polls.get(s, poll_id))
    return closed


def click_close(click: Click) -> str | None:
    """Close poll: a lead or an admin only."""
    poll_id = poll_id_of(click.data())
    services = click.services
    with services.db.session() as s:
        poll = polls.get(s, poll_id)
        release = releases.get(s, poll.release_id)
        releases.require_lead(s, release, click.user_id, services.settings.admins, "close the poll")
        closed = _close(s, poll_id, click.user_id, services)
    services.notifier.later(announce, services, poll_id)
    return f"Poll closed: *{closed.outcome}*."


def remind(services: Services, poll_id: int, now: datetime) -> None:
    """Nudge the missing voters once, 15 minutes before the deadline."""
    with services.db.session() as s:
        claimed = polls.claim_ping(s, poll_id, now)
        release = releases.get(s, claimed.poll.release_id) if claimed else None
    if claimed is None or release is None or not claimed.missing:
        return
    text, blocks = render.reminder(claimed, ZoneInfo(release.zone))
    poll = claimed.poll
    services.notifier.post(poll.channel_id, text, blocks, thread_ts=poll.message_ts, broadcast=True)


def expire(services: Services, poll_id: int, now: datetime) -> None:
    """Close the poll at its deadline, once, and announce the result."""
    with services.db.session() as s:
        closed = polls.close(s, poll_id, actor=audit.SYSTEM_ACTOR, now=now, why="deadline")
    if closed is not None:
        announce(services, poll_id)


def planner(
    services: Services, session: Session, now: datetime, until: datetime
) -> Iterator[Timer]:
    """The reminder and the deadline close of every open poll due before `until`."""
    for poll in polls.with_deadline_before(session, until):
        assert poll.id is not None and poll.deadline is not None
        due = polls.ping_due(poll)
        if due is not None and due <= until:
            yield Timer(f"gonogo:ping:{poll.id}", due, partial(remind, services, poll.id))
        if poll.deadline <= until:
            yield Timer(
                f"gonogo:close:{poll.id}", poll.deadline, partial(expire, services, poll.id)
            )


def status_section(session: Session, release: Release, now: datetime) -> Section | None:
    """`/release status`: the open poll with its tally and deadline, or the last result."""
    assert release.id is not None
    poll = polls.open_poll(session, release.id) or polls.last_poll(session, release.id)
    if poll is None:
        return Section("Go / No-Go", ["No poll yet; a lead starts one with `/gonogo`."])
    return Section(
        "Go / No-Go", render.status_lines(polls.tally(session, poll), ZoneInfo(release.zone))
    )


COMMAND = Command(
    name="/gonogo",
    summary="a go/no-go poll of the release's required voters.",
    subs={"close": Sub(close, "/gonogo close")},
    fallback=Sub(start, START_USAGE),
    notes=[
        "Without `voters`, every role holder must vote; a role nobody holds falls to the lead. "
        "Anyone else may vote too: advisory, shown apart.",
        "GO as soon as every required voter says Go; at the deadline (or `/gonogo close`) "
        "any required No-Go makes it NO-GO, a missing vote NO DECISION.",
        "TIME: 16:00, 4pm, `tomorrow 10am`, `2027-03-15 16:00 PT`; without a zone, yours.",
    ],
)


def register(app: App, services: Services) -> None:
    """Attach /gonogo, its buttons and modal, its timers and its status section."""
    register_command(app, COMMAND, services)
    services.add_step_guard(polls.require_go)
    writer = VoteWriter(services)
    on_click(app, "gonogo:go", services, partial(click_go, writer))
    on_click(app, "gonogo:nogo", services, click_nogo)
    on_click(app, "gonogo:close", services, click_close)
    on_submit(app, "gonogo:reason", services, partial(submit_reason, writer))
    services.scheduler.add_planner("gonogo", partial(planner, services))
    services.add_section("gonogo", 40, status_section)

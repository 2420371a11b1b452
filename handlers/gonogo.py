"""/gonogo: the command that starts and closes polls, and the poll's buttons and modal."""

from __future__ import annotations

from datetime import datetime
from functools import partial
from zoneinfo import ZoneInfo

from slack_bolt import App

from bot.core.blocks import modal_value
from bot.core.services import Services
from bot.core.text.commandline import CommandLine
from bot.core.text.escape import quoted
from bot.core.text.timeparse import ParseError, looks_like_zone, parse_moment
from bot.gonogo import flows, ids, render
from bot.gonogo.writer import VoteWriter
from bot.release.groups import holder_id
from handlers.interactions import Click, Submission, on_click, on_submit, unopened
from handlers.router import Command, Ctx, Reply, Sub, register_command

KEYWORDS = ("voters", "by")
UTC_ZONE = ZoneInfo("UTC")
START_USAGE = "/gonogo [QUESTION] [voters @person @group ROLE...] [by [DATE] TIME [TZ]]"


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
    """Mentions (people, user groups) and role names, apart; a plain @name is refused."""
    users, role_names = [], []
    for word in words:
        uid = holder_id(word)
        if uid is not None:
            users.append(uid)
        elif word.startswith("@") or word.startswith("<"):
            raise ParseError(
                f"{quoted(word)} is not a mention: type @ and pick the person or user group."
            )
        else:
            role_names.append(word)
    return users, role_names


def deadline_of(ctx: Ctx, words: list[str], now: datetime) -> datetime:
    """The instant `by ...` names: in the zone it names, else in the typist's own zone."""
    named = any(looks_like_zone(word) for word in words)
    zone = UTC_ZONE if named else ctx.services.people.zone_of(ctx.user_id)
    moment, left = parse_moment(words, now=now, default_zone=zone, date_required=False)
    if left:
        raise ParseError(f"I did not understand {quoted(' '.join(left))} after the time.")
    return moment.instant


def start(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gonogo [QUESTION] [voters ...] [by TIME [TZ]]`: open the channel's poll."""
    parts = split_words(line.words)
    question = " ".join(parts["question"] + ([f"-- {line.reason}"] if line.reason else []))
    users, role_names = split_voters(parts.get("voters", []))
    services = ctx.services
    now = services.now()
    deadline = deadline_of(ctx, parts["by"], now) if "by" in parts else None
    started = flows.start(
        services,
        ctx.channel_id,
        ctx.actor,
        question=question,
        users=users,
        role_names=role_names,
        deadline=deadline,
        now=now,
    )
    return Reply(text=render.started_note(started.tally, started.fallen))


def close(ctx: Ctx, line: CommandLine) -> Reply:
    """`/gonogo close`: close the open poll now (a lead or an admin)."""
    if line.args:
        raise ParseError("`close` takes nothing after it.")
    closed = flows.close(ctx.services, ctx.channel_id, ctx.actor)
    return Reply(text=render.closed_note(closed))


def click_close(click: Click) -> str | None:
    """Close poll: a lead or an admin only."""
    closed = flows.close_poll(click.services, ids.decode_poll(click.value), click.actor)
    return render.closed_note(closed)


def click_votes(click: Click) -> str | None:
    """All votes: every list of the poll in a modal, for whoever asks."""
    tally = flows.tally_of(click.services, ids.decode_poll(click.value))
    click.open_modal(render.votes_modal(tally), unopened("the list of votes", "Nothing changed."))
    return None


def click_go(writer: VoteWriter, click: Click) -> str | None:
    """Go: stored before the click is acknowledged."""
    poll_id = ids.decode_poll(click.value)
    voted = flows.vote(
        writer, poll_id, user=click.user_id, choice="go", channel_id=click.channel_id
    )
    return render.vote_note("go", voted)


def click_nogo(click: Click) -> str | None:
    """No-Go: ask for the reason first (the vote is stored when the modal is submitted)."""
    poll_id = ids.decode_poll(click.value)
    poll = flows.votable(click.services, poll_id, click.channel_id)
    kept = "Your No-Go is not recorded yet: click *No-Go* again to give your reason."
    click.open_modal(render.nogo_modal(poll), unopened("the No-Go form", kept))
    return None


def submit_reason(writer: VoteWriter, sub: Submission) -> str | None:
    """The No-Go modal: the reason is required; the vote counts when stored."""
    poll_id, channel_id = ids.decode_reason(sub.private_metadata)
    reason = modal_value(sub.view, "reason", "text")
    voted = flows.vote(
        writer, poll_id, user=sub.user_id, choice="nogo", reason=reason, channel_id=channel_id
    )
    return render.vote_note("nogo", voted)


COMMAND = Command(
    name="/gonogo",
    summary="a go/no-go poll of the release's required voters.",
    subs={"close": Sub(close, "/gonogo close")},
    fallback=Sub(start, START_USAGE),
    notes=[
        "Without `voters`, every role holder must vote; a role nobody holds falls to the lead. "
        "A user group (as voters, or holding a role) makes every member it has when the poll "
        "starts a required voter, and the poll mentions the group, not each member. "
        "Anyone else may vote too: advisory, shown apart.",
        "GO as soon as every required voter says Go; at the deadline (or `/gonogo close`) "
        "any required No-Go makes it NO-GO, a missing vote NO DECISION.",
        "TIME: 16:00, 4pm, `tomorrow 10am`, `2027-03-15 16:00 PT`; without a zone, yours.",
    ],
)


def register(app: App, services: Services) -> None:
    """Attach /gonogo, the poll's buttons and its No-Go modal (votes go to the one writer)."""
    register_command(app, COMMAND, services)
    writer = services.part(VoteWriter)
    on_click(app, ids.GO_ACTION, services, partial(click_go, writer))
    on_click(app, ids.NOGO_ACTION, services, click_nogo)
    on_click(app, ids.CLOSE_ACTION, services, click_close)
    on_click(app, ids.VOTES_ACTION, services, click_votes)
    on_submit(app, ids.REASON_FORM, services, partial(submit_reason, writer))

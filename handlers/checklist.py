"""/checklist: the release-day checklist, one step after another."""

from __future__ import annotations

from datetime import datetime

from slack_bolt import App
from sqlmodel import Session

from bot.checklist import notes, render, steps
from bot.checklist import service as checklists
from bot.checklist.flows import announce, check_templates, planner_for, post_board, refresh, thread
from bot.checklist.templates import DEFAULT_TEMPLATE, catalog
from bot.core.blocks import modal_value, mrkdwn
from bot.core.errors import DomainError, NotFound
from bot.core.services import Services
from bot.core.status import Section
from bot.core.text.commandline import CommandLine
from bot.core.text.escape import escape, quoted
from bot.core.text.timeparse import ParseError
from bot.gates.service import GateBlocked
from bot.release import service as releases
from bot.release.models import Release
from handlers.interactions import Click, Submission, on_click, on_submit
from handlers.router import Command, Ctx, Reply, Sub, register_command

__all__ = ["COMMAND", "check_templates", "register"]


def start(ctx: Ctx, line: CommandLine) -> Reply:
    """`/checklist start [TEMPLATE]`."""
    if len(line.args) > 1:
        raise ParseError("`start` takes at most one template name.")
    name = line.args[0].lower() if line.args else DEFAULT_TEMPLATE
    found = catalog(ctx.services.settings.templates_dir)
    template = found.templates.get(name)
    if template is None:
        names = ", ".join(f"`{escape(n)}`" for n in sorted(found.templates))
        raise NotFound(
            f"There is no checklist template {quoted(name)}. Choose one of {names} "
            "(`/checklist templates` describes them)."
        )
    services = ctx.services
    with services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        outcome = checklists.start(
            s,
            release,
            template,
            actor=ctx.user_id,
            admins=services.settings.admins,
            now=services.now(),
        )
    services.scheduler.poke()
    return Reply(
        text=f"Started the `{escape(template.name)}` checklist ({len(template.steps)} steps); "
        "it is posted in this channel.",
        after=lambda: post_board(services, outcome),
    )


def templates(ctx: Ctx, line: CommandLine) -> Reply:
    """`/checklist templates`."""
    return Reply(text=render.templates_text(catalog(ctx.services.settings.templates_dir)))


def show(ctx: Ctx, line: CommandLine) -> Reply:
    """`/checklist status`: the checklist as it stands, for the caller only."""
    with ctx.services.db.read() as s:
        release = releases.active_release(s, ctx.channel_id)
        assert release.id is not None
        checklist = checklists.latest(s, release.id)
        if checklist is None or checklist.id is None:
            raise NotFound(
                "No checklist has been started for this release yet. "
                "A lead starts one with `/checklist start [TEMPLATE]`."
            )
        board = checklists.board(s, checklist.id)
    text, blocks = render.board_message(board, interactive=False)
    return Reply(text=text, blocks=blocks)


def cancel(ctx: Ctx, line: CommandLine) -> Reply:
    """`/checklist cancel`: stop the running checklist (lead)."""
    services = ctx.services
    with services.db.session() as s:
        release = releases.lock_active(s, ctx.channel_id)
        checklist = checklists.cancel(
            s, release, actor=ctx.user_id, admins=services.settings.admins, now=services.now()
        )
        assert checklist.id is not None
        note = render.cancelled(ctx.user_id, checklists.board(s, checklist.id))
    refresh(services, checklist.id)
    return Reply(
        text="The checklist is cancelled.",
        after=lambda: services.notifier.post(ctx.channel_id, note, [mrkdwn(note)]),
    )


# --- buttons and modals ----------------------------------------------------------------------


def _target(data: dict[str, object]) -> tuple[int, str, int]:
    """(step id, state, attempt) a button or modal was rendered for."""
    try:
        return int(str(data["s"])), str(data["st"]), int(str(data["v"]))
    except (KeyError, TypeError, ValueError):
        raise DomainError("That button is not one of mine; nothing changed.") from None


def _act(services: Services, action: str, actor: str, data: dict[str, object], reason: str) -> None:
    step_id, state, attempt = _target(data)
    with services.db.session() as s:
        outcome = steps.transition(
            s,
            action=action,
            step_id=step_id,
            state=state,
            attempt=attempt,
            actor=actor,
            admins=services.settings.admins,
            now=services.now(),
            reason=reason,
            guards=services.step_guards,
        )
    announce(services, outcome)


def done(click: Click) -> str | None:
    """Done on the current step."""
    try:
        _act(click.services, "done", click.user_id, click.data(), "")
    except GateBlocked as blocked:
        text = notes.gate_ping(blocked.step, click.user_id, blocked.blocked)
        click.services.notifier.later(thread, click.services, blocked.step.checklist_id, text)
        raise
    return None


def retry(click: Click) -> str | None:
    """Retry a failed step."""
    _act(click.services, "retry", click.user_id, click.data(), "")
    return None


def _ask_reason(click: Click, action: str, kind: str) -> str | None:
    """Check the click now (so a refusal comes at once), then open the reason modal."""
    step_id, state, attempt = _target(click.data())
    with click.services.db.read() as s:
        _, _, step = steps.check(
            s,
            action=action,
            step_id=step_id,
            state=state,
            attempt=attempt,
            actor=click.user_id,
            admins=click.services.settings.admins,
        )
    view = render.reason_view(kind, step, state)
    click.client.views_open(trigger_id=click.trigger_id, view=view)
    return None


def failed(click: Click) -> str | None:
    """Failed: ask what went wrong."""
    return _ask_reason(click, "fail", "failed")


def skip(click: Click) -> str | None:
    """Skip (lead): ask why."""
    return _ask_reason(click, "skip", "skip")


def failed_submitted(sub: Submission) -> str | None:
    """The reason for a failed step arrived."""
    reason = modal_value(sub.view, "reason", "text")
    _act(sub.services, "fail", sub.user_id, sub.metadata(), reason)
    return None


def skip_submitted(sub: Submission) -> str | None:
    """The reason for skipping a step arrived."""
    reason = modal_value(sub.view, "reason", "text")
    _act(sub.services, "skip", sub.user_id, sub.metadata(), reason)
    return None


COMMAND = Command(
    name="/checklist",
    summary="the release-day checklist, one step after another.",
    subs={
        "start": Sub(start, "/checklist start [TEMPLATE]"),
        "templates": Sub(templates, "/checklist templates"),
        "status": Sub(show, "/checklist status"),
        "cancel": Sub(cancel, "/checklist cancel"),
    },
    notes=[
        f"Without a TEMPLATE, `start` uses {DEFAULT_TEMPLATE}. Each step opens when the one "
        "before it is done or skipped; its owners (or a lead) mark it Done or Failed, "
        "and only a lead can skip.",
    ],
)


def _status_section(session: Session, release: Release, now: datetime) -> Section | None:
    assert release.id is not None
    checklist = checklists.latest(session, release.id)
    if checklist is None or checklist.id is None:
        return None
    return render.status_section(checklists.board(session, checklist.id))


def register(app: App, services: Services) -> None:
    """Attach /checklist, its buttons, modals, timers and status section to the app."""
    register_command(app, COMMAND, services)
    on_click(app, "checklist:done", services, done)
    on_click(app, "checklist:failed", services, failed)
    on_click(app, "checklist:skip", services, skip)
    on_click(app, "checklist:retry", services, retry)
    on_submit(app, "checklist:failed", services, failed_submitted)
    on_submit(app, "checklist:skip", services, skip_submitted)
    services.scheduler.add_planner("checklist", planner_for(services))
    services.add_section("checklist", 40, _status_section)

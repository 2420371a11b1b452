"""/checklist and the checklist's buttons and reason modals: Slack listeners only.

Each listener reads what Slack sent, makes one call into `bot.checklist` (the rules and
what follows them live there) and answers.
"""

from __future__ import annotations

from slack_bolt import App

from bot.checklist import flows, ids, render
from bot.checklist import service as checklists
from bot.checklist.templates import DEFAULT_TEMPLATE, catalog, named
from bot.core.blocks import modal_value
from bot.core.services import Services
from bot.core.text.commandline import CommandLine
from bot.core.text.timeparse import ParseError
from handlers.interactions import Click, Submission, on_click, on_submit, unopened
from handlers.router import Command, Ctx, Reply, Sub, register_command


def start(ctx: Ctx, line: CommandLine) -> Reply:
    """`/checklist start [TEMPLATE]`."""
    if len(line.args) > 1:
        raise ParseError("`start` takes at most one template name.")
    services = ctx.services
    name = line.args[0].lower() if line.args else DEFAULT_TEMPLATE
    template = named(services.settings.templates_dir, name)
    flows.start(services, ctx.channel_id, ctx.actor, template)
    return Reply(text=render.started(template))


def templates(ctx: Ctx, line: CommandLine) -> Reply:
    """`/checklist templates`."""
    return Reply(text=render.templates_text(catalog(ctx.services.settings.templates_dir)))


def show(ctx: Ctx, line: CommandLine) -> Reply:
    """`/checklist status`: the checklist as it stands, for the caller only."""
    with ctx.services.db.read() as s:
        board = checklists.channel_board(s, ctx.channel_id)
    text, blocks = render.board_message(board, interactive=False)
    return Reply(text=text, blocks=blocks)


def rehearse(ctx: Ctx, line: CommandLine) -> Reply:
    """`/checklist rehearse [TEMPLATE]` or `/checklist rehearse stop [NUMBER]`."""
    args = [a.lower() for a in line.args]
    if args[:1] == ["stop"]:
        if len(args) > 2 or (len(args) == 2 and not args[1].isdigit()):
            raise ParseError("`rehearse stop` takes at most the rehearsal's number.")
        number = int(args[1]) if len(args) == 2 else None
        stopped = flows.stop_rehearsal(ctx.services, ctx.channel_id, ctx.actor, number)
        return Reply(text=render.rehearsal_stopped(stopped))
    if len(args) > 1:
        raise ParseError("`rehearse` takes at most one template name.")
    template = named(ctx.services.settings.templates_dir, args[0] if args else DEFAULT_TEMPLATE)
    checklist = flows.rehearse(ctx.services, ctx.channel_id, ctx.actor, template)
    return Reply(text=render.rehearsal_started(template, checklist))


def cancel(ctx: Ctx, line: CommandLine) -> Reply:
    """`/checklist cancel`: stop the running checklist (lead)."""
    flows.cancel(ctx.services, ctx.channel_id, ctx.actor)
    return Reply(text="The checklist is cancelled.")


# --- buttons and modals ----------------------------------------------------------------------


def done(click: Click) -> str | None:
    """Done on the current step; whatever holds it back gets its owners asked."""
    flows.act(click.services, "done", click.actor, ids.decode_step(click.value))
    return None


def run(click: Click) -> str | None:
    """Run the step's job (a rehearsal simulates it); gates that hold it back get asked."""
    ref = ids.decode_step(click.value)
    failing = "failure" if click.action_id == ids.RUN_FAIL_ACTION else None
    flows.run(click.services, click.actor, ref, failing)
    return None


def simulate(click: Click) -> str | None:
    """Simulate GO on a rehearsal's step that needs a go/no-go."""
    flows.simulate(click.services, click.actor, ids.decode_step(click.value))
    return None


def retry(click: Click) -> str | None:
    """Retry a failed step."""
    flows.act(click.services, "retry", click.actor, ids.decode_step(click.value))
    return None


def _ask_reason(click: Click, action: str) -> str | None:
    """Check the click now (so a refusal comes at once), then open the reason modal."""
    ref = ids.decode_step(click.value)
    step = flows.ask(click.services, action, click.actor, ref)
    view = render.reason_view(action, step, ref.state)
    click.open_modal(view, unopened("the form asking why", "The step is unchanged."))
    return None


def failed(click: Click) -> str | None:
    """Failed: ask what went wrong."""
    return _ask_reason(click, "fail")


def skip(click: Click) -> str | None:
    """Skip (lead): ask why."""
    return _ask_reason(click, "skip")


def _reason_given(sub: Submission, action: str) -> str | None:
    """A reason modal was submitted: carry out the step change it was opened for."""
    reason = modal_value(sub.view, "reason", "text")
    ref = ids.decode_step(sub.private_metadata, form=True)
    flows.act(sub.services, action, sub.actor, ref, reason)
    return None


def failed_submitted(sub: Submission) -> str | None:
    """The reason for a failed step arrived."""
    return _reason_given(sub, "fail")


def skip_submitted(sub: Submission) -> str | None:
    """The reason for skipping a step arrived."""
    return _reason_given(sub, "skip")


COMMAND = Command(
    name="/checklist",
    summary="the release-day checklist, one step after another.",
    subs={
        "start": Sub(start, "/checklist start [TEMPLATE]"),
        "templates": Sub(templates, "/checklist templates"),
        "status": Sub(show, "/checklist status"),
        "cancel": Sub(cancel, "/checklist cancel"),
        "rehearse": Sub(rehearse, "/checklist rehearse [TEMPLATE] | rehearse stop [NUMBER]"),
    },
    notes=[
        f"Without a TEMPLATE, `start` uses {DEFAULT_TEMPLATE}. Each step opens when the one "
        "before it is done or skipped; its owners (or a lead) mark it Done or Failed, "
        "and only a lead can skip.",
        "A rehearsal walks a template in any channel with the same buttons and rules, marked "
        "REHEARSAL: nobody is pinged, times and gates are shown but not waited for, a go/no-go "
        "is simulated with a button, the channel's release is left as it is, and a summary of "
        "each step's time closes it. Several may run; you lead the ones you start.",
    ],
)


def register(app: App, services: Services) -> None:
    """Attach /checklist, its buttons and its reason modals to the app."""
    register_command(app, COMMAND, services)
    on_click(app, ids.DONE_ACTION, services, done)
    on_click(app, ids.FAILED_ACTION, services, failed)
    on_click(app, ids.SKIP_ACTION, services, skip)
    on_click(app, ids.RETRY_ACTION, services, retry)
    on_click(app, ids.SIMULATE_ACTION, services, simulate)
    on_click(app, ids.RUN_ACTION, services, run)
    on_click(app, ids.RUN_FAIL_ACTION, services, run)
    on_submit(app, ids.FAILED_FORM, services, failed_submitted)
    on_submit(app, ids.SKIP_FORM, services, skip_submitted)

"""Members of a lead group are leads in every command that asks for a lead: one case per
command, each tried through the HTTP endpoint by a member of the group (allowed) and by
someone outside it (refused, with the leads named)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from sqlmodel import select

from bot.checklist import ids as checklist_ids
from bot.checklist.models import Checklist, ChecklistStep
from bot.gates import ids as gate_ids
from bot.gates.models import Gate
from bot.gonogo.models import Poll
from tests.conftest import RunningBot
from tests.support.release import CHANNEL, LEAD, answer, group_mention, new_release

LEADS = "S_LEADS"
MEMBER = "U_MEMBER"
OUTSIDER = "U_OUTSIDER"
OWNER = "U_GATE_OWNER"


def say(bot: RunningBot, cmd: str, text: str, user: str = LEAD) -> str:
    return answer(bot.slack.command(cmd, text, user_id=user, channel_id=CHANNEL))


def told(bot: RunningBot, user: str) -> list[str]:
    bot.services.sender.flush()  # refusals are owed through the outbox
    return [str(c.args.get("text", "")) for c in bot.fake.ephemerals(user)]


# --- clicks a lead may make -------------------------------------------------------------------


def _manual_gate(bot: RunningBot) -> tuple[int, str]:
    say(bot, "/gate", f"manual docs-ready owner <@{OWNER}>")

    def card() -> tuple[int, str] | None:
        with bot.services.db.read() as s:
            gate = s.exec(select(Gate)).first()
        return (gate.id or 0, gate.message_ts) if gate and gate.message_ts else None

    return bot.fake.wait_for(card)


def set_gate(bot: RunningBot, user: str) -> str:
    """Mark the manual gate (owned by someone else) passing; what the clicker is told."""
    gid, ts = _manual_gate(bot) if user == OUTSIDER else _gate_again(bot)
    value = gate_ids.encode_set(gid, 0, True)
    bot.slack.click(
        user_id=user, channel_id=CHANNEL, action_id=gate_ids.SET_PASS, value=value, message_ts=ts
    )
    if user == OUTSIDER:
        return bot.fake.wait_for(lambda: told(bot, user))[-1]
    bot.fake.wait_for(lambda: _gate_again(bot) and _gate_state(bot) == "passing")
    return "passing"


def _gate_state(bot: RunningBot) -> str:
    with bot.services.db.read() as s:
        return s.exec(select(Gate)).one().state


def _gate_again(bot: RunningBot) -> tuple[int, str]:
    with bot.services.db.read() as s:
        gate = s.exec(select(Gate)).one()
    return gate.id or 0, gate.message_ts or ""


def skip_step(bot: RunningBot, user: str) -> str:
    """Click Skip on the active step (skipping is for leads only); the refusal, or the modal."""
    with bot.services.db.read() as s:
        step = s.exec(select(ChecklistStep).where(ChecklistStep.state == "active")).first()
    assert step is not None
    before = len(bot.fake.calls_of("views.open"))
    bot.slack.click(
        user_id=user,
        channel_id=CHANNEL,
        action_id=checklist_ids.SKIP_ACTION,
        value=checklist_ids.encode_step(step.id, step.state, step.activations),
        message_ts=_checklist_ts(bot),
    )
    if user == OUTSIDER:
        return bot.fake.wait_for(lambda: told(bot, user))[-1]
    modal = bot.fake.wait_for(lambda: bot.fake.calls_of("views.open")[before:])[0]
    return f"modal {modal.args['view']['callback_id']}"


def _checklist_ts(bot: RunningBot) -> str:
    def ts() -> str | None:
        with bot.services.db.read() as s:
            row = s.exec(select(Checklist)).first()
        return row.message_ts if row else None

    return bot.fake.wait_for(ts)


def later(bot: RunningBot, user: str, what: str) -> str:
    """A schedule command that answers later, by an ephemeral message: that answer."""
    before = len(told(bot, user))
    assert "…" in say(bot, "/release", f"schedule {what}", user)
    return bot.fake.wait_for(lambda: told(bot, user)[before:])[-1]


# --- the cases --------------------------------------------------------------------------------


@dataclass
class Case:
    """A lead action: what sets it up (as the named lead), and how a person tries it."""

    cmd: str
    text: str
    allowed: str  # a phrase the member sees when it worked
    setup: list[tuple[str, str]] = field(default_factory=list)
    act: Callable[[RunningBot, str], str] | None = None
    check: Callable[[RunningBot], Any] | None = None
    names_group: bool = True  # the refusal mentions the lead group (a rehearsal names it)


def _poll_closed(bot: RunningBot) -> bool:
    with bot.services.db.read() as s:
        poll = s.exec(select(Poll)).one()
    return poll.state == "closed"


MILESTONE = ("/release", "milestone add Freeze 2027-03-01")
CASES: dict[str, Case] = {
    "release role": Case("/release", "role docs <@U_DOCS>", "*docs*: <@U_DOCS>"),
    "release escalation": Case("/release", "escalation 10m,20m", "10"),
    "release postpone": Case("/release", "postpone 2027-03-22 10:00 UTC -- late", "2027"),
    "release close": Case("/release", "close", "released"),
    "release calendar reset": Case("/release", "calendar reset", "http"),
    "release schedule apply": Case("/release", "schedule apply kubernetes", "Laid out"),
    "release schedule notify": Case("/release", "schedule notify 1w,1d", "1w"),
    "release milestone add": Case("/release", "milestone add Freeze 2027-03-01", "Freeze"),
    "release milestone move": Case(
        "/release", "milestone move Freeze 2027-03-02", "Freeze", setup=[MILESTONE]
    ),
    "release milestone remove": Case(
        "/release", "milestone remove Freeze", "Freeze", setup=[MILESTONE]
    ),
    "gate manual": Case("/gate", "manual docs-ready", "added"),
    "gate add": Case("/gate", "add ci http://127.0.0.1:9/health", "added"),
    "gate github": Case("/gate", "github blockers repo:o/r is:open", "added"),
    "gate testgrid": Case("/gate", "testgrid signal sig-release-master-blocking", "added"),
    "gate push": Case("/gate", "push deploy", "added"),
    "release token add": Case("/release", "token add ci write", "ci"),
    "release token revoke": Case(
        "/release", "token revoke ci", "ci", setup=[("/release", "token add ci write")]
    ),
    "release schedule import": Case(
        "/release", "schedule import http://127.0.0.1:9/schedule.yaml", ""
    ),
    "release schedule sync": Case("", "", "", act=lambda bot, user: later(bot, user, "sync")),
    "release webhook add": Case("/release", "webhook add http://127.0.0.1:9/hook", ""),
    "release webhook remove": Case(
        "/release", "webhook remove 1", "", setup=[("/release", "webhook add http://127.0.0.1:9/h")]
    ),
    "release webhook resume": Case(
        "/release", "webhook resume 1", "", setup=[("/release", "webhook add http://127.0.0.1:9/h")]
    ),
    "gate remove": Case(
        "/gate", "remove docs-ready", "removed", setup=[("/gate", "manual docs-ready")]
    ),
    "gate set (click)": Case("", "", "passing", act=set_gate),
    "checklist start": Case("/checklist", "start kubernetes-patch", "Started"),
    "checklist cancel": Case(
        "/checklist", "cancel", "ancel", setup=[("/checklist", "start kubernetes-patch")]
    ),
    "checklist skip (click)": Case(
        "", "", "modal", setup=[("/checklist", "start kubernetes-patch")], act=skip_step
    ),
    "checklist rehearse stop": Case(
        "/checklist",
        "rehearse stop",
        "",
        setup=[("/checklist", "rehearse kubernetes-patch")],
        names_group=False,
    ),
    "gonogo start": Case("/gonogo", "Ship it?", "Poll started"),
    "gonogo close": Case(
        "/gonogo", "close", "", setup=[("/gonogo", "Ship it?")], check=_poll_closed
    ),
    "burndown schedule": Case("/burndown", "schedule mon 10:00 UTC", "10:00"),
    "burndown skip": Case(
        "/burndown", "skip 2027-03-08", "", setup=[("/burndown", "schedule mon 10:00 UTC")]
    ),
    "burndown cancel": Case(
        "/burndown", "cancel 1", "ancel", setup=[("/burndown", "schedule mon 10:00 UTC")]
    ),
    "burndown cadence": Case("/burndown", "cadence kubernetes", ""),
}


@pytest.fixture
def lbot(make_bot: Callable[..., RunningBot]) -> RunningBot:
    """A bot with a release led by LEAD and by the lead group, whose one member is MEMBER."""
    running = make_bot(
        gate_allow=("127.0.0.1",),
        github_api="http://127.0.0.1:9",
        testgrid_url="http://127.0.0.1:9",
    )
    running.fake.usergroups[LEADS] = [MEMBER]
    answer(new_release(running))
    reply = say(running, "/release", f"role lead {group_mention(LEADS, 'leads')} <@{LEAD}>")
    assert f"<!subteam^{LEADS}>" in reply
    return running


@pytest.mark.parametrize("name", list(CASES))
def test_a_lead_group_member_may_and_anyone_else_may_not(lbot: RunningBot, name: str) -> None:
    case = CASES[name]
    for cmd, text in case.setup:
        assert "Only a lead" not in say(lbot, cmd, text)

    refused = case.act(lbot, OUTSIDER) if case.act else say(lbot, case.cmd, case.text, OUTSIDER)
    assert "Only" in refused and "lead" in refused, refused
    assert f"<!subteam^{LEADS}>" in refused or not case.names_group, refused

    done = case.act(lbot, MEMBER) if case.act else say(lbot, case.cmd, case.text, MEMBER)
    assert "Only a lead" not in done and case.allowed in done, done
    if case.check is not None:
        assert lbot.fake.wait_for(lambda: case.check(lbot))  # type: ignore[misc]

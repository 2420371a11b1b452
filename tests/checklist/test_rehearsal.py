"""Rehearsals: `/checklist rehearse` walks a template with the same buttons and rules, marked
REHEARSAL, mentioning nobody, and leaves the channel's real release exactly as it was."""

from __future__ import annotations

import json
from typing import Any

from sqlmodel import col, select

from bot.checklist import ids
from bot.checklist.models import Checklist, ChecklistStep
from bot.checklist.timers import active_steps_for
from bot.core.models import AuditEvent
from bot.gonogo.models import Poll
from bot.release.models import Release, RoleAssignment
from tests.conftest import RunningBot
from tests.support.checklist import BM, CHANNEL, LEAD, answer, value_of
from tests.support.release import group_mention

DOCS_GROUP = "S_DOCS"


def rehearse(bot: RunningBot, text: str = "", user: str = LEAD, channel: str = CHANNEL) -> str:
    cmd = f"rehearse {text}".strip()
    return answer(bot.slack.command("/checklist", cmd, user_id=user, channel_id=channel))


def rehearsal_steps(bot: RunningBot, number: int) -> list[ChecklistStep]:
    with bot.services.db.read() as s:
        query = select(ChecklistStep).where(ChecklistStep.checklist_id == number)
        return list(s.exec(query.order_by(col(ChecklistStep.position))))


def rehearsal(bot: RunningBot, number: int) -> Checklist:
    with bot.services.db.read() as s:
        found = s.get(Checklist, number)
    assert found is not None
    return found


def press(bot: RunningBot, user: str, action: str, step: ChecklistStep, channel: str) -> None:
    resp = bot.slack.click(
        user_id=user, channel_id=channel, action_id=action, value=value_of(step), message_ts="1.0"
    )
    assert resp.status_code == 200


def number_in(reply: str) -> int:
    assert reply.startswith("Rehearsal #"), reply
    return int(reply.split("#")[1].split(" ")[0])


def poll_posted(bot: RunningBot) -> bool:
    """True once the channel's real poll message is posted (its ts recorded)."""
    with bot.services.db.read() as s:
        return all(p.message_ts for p in s.exec(select(Poll)))


def real_state(bot: RunningBot) -> dict[str, Any]:
    """Everything of the channel's real release that a rehearsal must leave as it is."""
    with bot.services.db.read() as s:
        release = s.exec(
            select(Release).where(Release.channel_id == CHANNEL, Release.state == "active")
        ).one()
        rid = release.id
        return {
            "release": release.model_dump(),
            "roles": [
                r.model_dump(exclude={"id"})
                for r in s.exec(select(RoleAssignment).where(RoleAssignment.release_id == rid))
            ],
            "trail": [
                e.model_dump()
                for e in s.exec(select(AuditEvent).where(AuditEvent.release_id == rid))
            ],
            "checklists": [
                c.model_dump() for c in s.exec(select(Checklist).where(Checklist.release_id == rid))
            ],
            "polls": [p.model_dump() for p in s.exec(select(Poll).where(Poll.release_id == rid))],
        }


def sent_since(bot: RunningBot, start: int, channel: str) -> list[Any]:
    """Every message call to the channel (posts, updates, ephemerals) after call `start`."""
    methods = ("chat.postMessage", "chat.update", "chat.postEphemeral")
    return [
        c
        for c in bot.fake.calls[start:]
        if c.method in methods and c.args.get("channel") == channel
    ]


def test_a_rehearsal_of_kubernetes_minor_completes_mentioning_nobody_and_changing_nothing(
    bot: RunningBot,
) -> None:
    bot.fake.users[BM] = {"name": "sam", "display_name": "Sam <the builder>"}
    bot.fake.usergroups[DOCS_GROUP] = ["U_D1"]
    bot.fake.usergroup_handles[DOCS_GROUP] = "docs-team"
    lead = "/release"
    answer(bot.slack.command(lead, "new v1.33 on 2027-03-15", user_id=LEAD, channel_id=CHANNEL))
    for role, who in (("branch-manager", f"<@{BM}>"), ("docs", group_mention(DOCS_GROUP))):
        answer(bot.slack.command(lead, f"role {role} {who}", user_id=LEAD, channel_id=CHANNEL))
    answer(bot.slack.command("/gonogo", "Ship it?", user_id=LEAD, channel_id=CHANNEL))
    # the release's own messages, and the real poll's (its ts is part of the real state)
    bot.fake.wait_for(lambda: len(bot.fake.posts(CHANNEL)) >= 4, timeout=20)
    bot.fake.wait_for(lambda: poll_posted(bot), timeout=20)
    before = real_state(bot)
    start = len(bot.fake.calls)

    number = number_in(rehearse(bot, "kubernetes-minor"))
    bot.fake.wait_for(lambda: rehearsal(bot, number).message_ts, timeout=20)
    steps = rehearsal_steps(bot, number)
    assert len(steps) == 12 and steps[0].requires == "gonogo"

    # a go/no-go step needs its simulated GO; the real poll is never asked
    press(bot, LEAD, ids.DONE_ACTION, steps[0], CHANNEL)
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(LEAD), timeout=20)[-1]
    assert "press *Simulate GO*" in str(refusal.args.get("text"))
    press(bot, LEAD, ids.SIMULATE_ACTION, steps[0], CHANNEL)
    assert rehearsal_steps(bot, number)[0].simulated == "GO"
    with bot.services.db.read() as s:
        assert active_steps_for(s, LEAD) == []  # nothing of it reaches App Home
    for position in range(12):
        step = rehearsal_steps(bot, number)[position]
        assert step.state == "active", (position, step.state)  # not_before is not waited for
        press(bot, LEAD, ids.DONE_ACTION, step, CHANNEL)
    assert [s.state for s in rehearsal_steps(bot, number)] == ["done"] * 12

    def summary() -> list[Any]:
        return [c for c in bot.fake.posts(CHANNEL) if "Rehearsal complete" in bot.fake.texts_of(c)]

    text = bot.fake.texts_of(bot.fake.wait_for(summary, timeout=20)[0])
    assert "Total time" in text and "Waited on longest" in text and "GO simulated" in text
    assert "waited on branch-manager: Sam &lt;the builder&gt;" in text
    assert "on the day not before <!date^" in text and text.count(":white_check_mark:") == 12
    bot.fake.wait_for(
        lambda: (
            "Complete"
            in bot.fake.texts_of(
                bot.fake.message(CHANNEL, rehearsal(bot, number).message_ts or "") or {}
            )
        ),
        timeout=20,
    )

    sent = sent_since(bot, start, CHANNEL)
    assert len(sent) > 12
    for call in sent:
        shown = json.dumps(call.args)
        assert "<@" not in shown and "<!subteam" not in shown, shown[:300]
        if call.method == "chat.postMessage":
            assert "REHEARSAL" in shown or "Rehearsal" in shown, shown[:300]
    board = bot.fake.texts_of(
        bot.fake.message(CHANNEL, rehearsal(bot, number).message_ts or "") or {}
    )
    assert "@docs-team" in board and "Sam &lt;the builder&gt;" in board
    assert real_state(bot) == before
    with bot.services.db.read() as s:
        stand_in = s.get(Release, rehearsal(bot, number).release_id)
        assert stand_in is not None and stand_in.state == "rehearsal"
        assert s.exec(select(AuditEvent).where(AuditEvent.release_id == stand_in.id)).all() == []
    status = bot.slack.command("/release", "status", user_id=LEAD, channel_id=CHANNEL).json()
    assert "Checklist" not in json.dumps(status)


def test_several_rehearsals_run_and_stop_ends_the_one_named(bot: RunningBot) -> None:
    channel = "C_SPARE"  # no release here at all
    first = number_in(rehearse(bot, "kubernetes-patch", channel=channel))
    second = number_in(rehearse(bot, "kubernetes-patch", user="U_OTHER", channel=channel))
    assert first != second
    bot.fake.wait_for(lambda: rehearsal(bot, second).message_ts, timeout=20)
    # only a lead of that rehearsal (its starter) may stop it
    refused = rehearse(bot, f"stop {second}", channel=channel)
    assert f"Only a lead of rehearsal #{second} can stop it: u_other." in refused
    assert rehearse(bot, "stop", user="U_OTHER", channel=channel).startswith(
        f"Rehearsal #{second} is stopped"
    )
    stopped = bot.fake.wait_for(
        lambda: [c for c in bot.fake.posts(channel) if "Rehearsal stopped" in bot.fake.texts_of(c)],
        timeout=20,
    )
    assert "not reached" in bot.fake.texts_of(stopped[0])
    assert rehearsal(bot, first).state == "running" and rehearsal(bot, second).state == "cancelled"
    with bot.services.db.read() as s:
        assert s.exec(select(Release).where(Release.state == "active")).all() == []
    assert "No rehearsal #99" in rehearse(bot, "stop 99", channel=channel)

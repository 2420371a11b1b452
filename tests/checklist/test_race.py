"""Racing clicks: twenty people press Done on the same step at once, twenty times over."""

from __future__ import annotations

import threading
from pathlib import Path

from bot.checklist import ids
from bot.core.budget import DEFAULT_TIERS, Tier
from tests.kit.slack_requests import SlackClient
from tests.support.checklist import (
    CHANNEL,
    MakeBot,
    audit_actions,
    bot_with,
    new_release,
    start,
    steps_of,
    told,
    value_of,
)

STEPS = 20
CLICKERS = [f"U_OPS{i:02d}" for i in range(20)]
# 380 refusals in a few seconds are past Slack's 100 ephemerals a minute; this workspace is
# given room for them, since the point here is one transition and one answer each (the pace
# under the published budget is tests/core/test_budget.py's).
ROOMY = {**DEFAULT_TIERS, "chat.postEphemeral": Tier(per_minute=2000, burst=50)}


def press_together(clients: list[SlackClient], value: str, ts: str) -> list[int]:
    """Every clicker presses Done with `value` at the same moment; their HTTP statuses."""
    gate = threading.Barrier(len(clients))
    statuses: list[int] = []

    def press(client: SlackClient, user: str) -> None:
        gate.wait()
        resp = client.click(
            user_id=user, channel_id=CHANNEL, action_id=ids.DONE_ACTION, value=value, message_ts=ts
        )
        statuses.append(resp.status_code)

    threads = [
        threading.Thread(target=press, args=(client, user))
        for client, user in zip(clients, CLICKERS, strict=True)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return statuses


def test_twenty_simultaneous_done_clicks_make_exactly_one_transition_each(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    steps = [{"title": f"Step {n}", "owner": "ops"} for n in range(STEPS)]
    bot = bot_with(make_bot, tmp_path, steps, slack_budgets=ROOMY)
    new_release(bot, {"ops": CLICKERS})
    ts = start(bot)
    clients = [SlackClient(bot.url, bot.slack.signing_secret) for _ in CLICKERS]
    try:
        for round_no in range(STEPS):
            step = steps_of(bot)[round_no]
            assert step.state == "active" and step.activations == 1, (round_no, step.state)
            statuses = press_together(clients, value_of(step), ts)
            assert statuses == [200] * len(CLICKERS)
            now = steps_of(bot)
            assert now[round_no].state == "done"
            assert [s.state for s in now[round_no + 1 :]][:1] in ([], ["active"])
            assert audit_actions(bot, "step.done") == ["step.done"] * (round_no + 1)
    finally:
        for client in clients:
            client.close()

    final = steps_of(bot)
    assert all(s.state == "done" and s.activations == 1 for s in final)
    assert audit_actions(bot, "step.activated") == ["step.activated"] * STEPS
    assert audit_actions(bot, "checklist.completed") == ["checklist.completed"]
    # every loser is told who won, by name
    winners = {s.acted_by for s in final}
    refusals = bot.fake.wait_for(
        lambda: (
            sum(len(told(bot, u)) for u in CLICKERS) == STEPS * (len(CLICKERS) - 1)
            and [t for u in CLICKERS for t in told(bot, u)]
        ),
        timeout=20,
    )
    odd = [t for t in refusals if "already marked done by <@U_OPS" not in t]
    assert odd == []
    assert winners <= set(CLICKERS)

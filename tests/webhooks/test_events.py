"""Every feature's changes reach the release's webhooks, as Slack users make them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlmodel import select

from bot.core.events import EVENTS, envelope
from bot.gates.models import Gate
from tests.conftest import RunningBot
from tests.kit.webhook_receiver import Receiver
from tests.support import checklist as cl
from tests.support.release import CHANNEL, LEAD, answer
from tests.webhooks.conftest import NUMBER_SHOWN, SECRET_SHOWN, add_webhook, postpone


def say(bot: RunningBot, command: str, text: str, channel: str = CHANNEL) -> str:
    return answer(bot.slack.command(command, text, user_id=LEAD, channel_id=channel))


def bodies(receiver: Receiver, count: int, secret: str) -> list[dict[str, Any]]:
    """The first `count` deliveries, verified and valid as documented, in arrival order."""
    found = [r.verified(secret) for r in receiver.wait_for(count)]
    for body in found:
        envelope(str(body["type"])).model_validate(body)  # the documented model, field for field
    return found


def test_checklist_steps_arrive_in_order(make_bot: Any, tmp_path: Path, receiver: Receiver) -> None:
    steps = [{"title": "Cut the branch", "owner": "ops"}, {"title": "Tag it", "owner": "ops"}]
    directory = tmp_path / "templates"
    directory.mkdir()
    cl.write_template(directory, "t", steps)
    bot = make_bot(templates_dir=directory, gate_allow=("127.0.0.1",))
    cl.new_release(bot, {"ops": [cl.LEAD]})
    _, secret = add_webhook_in(bot, receiver.url(), cl.CHANNEL)
    ts = cl.start(bot)
    first = cl.steps_of(bot)[0]
    cl.click(bot, cl.LEAD, "done", cl.value_of(first), ts)
    got = bodies(receiver, 3, secret)
    assert [(b["type"], b["data"]["position"]) for b in got] == [
        ("step.active", 1),
        ("step.done", 1),
        ("step.active", 2),
    ]
    done = got[1]["data"]
    assert done["title"] == "Cut the branch" and done["before"] == "active"
    assert done["actor"] == cl.LEAD and done["checklist"] == "t"


def add_webhook_in(bot: RunningBot, url: str, channel: str, events: str = "") -> tuple[int, str]:
    reply = say(bot, "/release", f"webhook add {url} {events}".strip(), channel=channel)
    secret, number = SECRET_SHOWN.search(reply), NUMBER_SHOWN.search(reply)
    assert secret and number, reply
    return int(number.group(1)), secret.group(1)


def test_a_manual_gate_turning_green_then_red(hooked: RunningBot, receiver: Receiver) -> None:
    _, secret = add_webhook(hooked, receiver.url(), "gate.*")
    assert "docs-ready" in say(hooked, "/gate", f"manual docs-ready owner <@{LEAD}>")

    def gate() -> Gate:
        with hooked.services.db.read() as s:
            return s.exec(select(Gate)).one()

    ts = hooked.fake.wait_for(lambda: gate().message_ts)
    for version, to in ((0, "pass"), (1, "fail")):
        value = {"g": gate().id, "v": version, "to": to}
        hooked.slack.click(
            user_id=LEAD,
            channel_id=CHANNEL,
            action_id=f"gate:set:{to}",
            value=json.dumps(value),
            message_ts=ts,
        )
        hooked.fake.wait_for(lambda v=version: gate().version > v)  # type: ignore[misc]
    got = bodies(receiver, 2, secret)
    assert [b["type"] for b in got] == ["gate.green", "gate.red"]
    assert got[0]["data"]["before"] == "unknown" and got[1]["data"]["before"] == "green"
    assert got[0]["data"]["gate"] == "docs-ready" and got[0]["data"]["kind"] == "manual"
    assert len(receiver.received) == 2  # the filter kept everything else away


def test_a_poll_opening_and_closing(hooked: RunningBot, receiver: Receiver) -> None:
    _, secret = add_webhook(hooked, receiver.url(), "poll.*")
    say(hooked, "/release", "role docs <@U_D1>")
    say(hooked, "/gonogo", "Ship it?")
    hooked.fake.wait_for(lambda: receiver.delivered())
    say(hooked, "/gonogo", "close")
    got = bodies(receiver, 2, secret)
    assert [b["type"] for b in got] == ["poll.opened", "poll.closed"]
    assert got[0]["data"]["question"] == "Ship it?" and got[0]["data"]["state"] == "open"
    assert got[1]["data"]["state"] == "no decision" and got[1]["data"]["actor"] == LEAD


def test_milestones_added_moved_removed(hooked: RunningBot, receiver: Receiver) -> None:
    _, secret = add_webhook(hooked, receiver.url(), "milestone.*,release.postponed")
    say(hooked, "/release", "milestone add Code freeze 2027-03-01 10:00 UTC")
    say(hooked, "/release", "milestone move Code freeze 2027-03-03 10:00 UTC -- a late fix")
    say(hooked, "/release", "milestone remove Code freeze")
    postpone(hooked, "2027-03-20")
    got = bodies(receiver, 4, secret)
    assert [b["type"] for b in got] == [
        "milestone.added",
        "milestone.moved",
        "milestone.removed",
        "release.postponed",
    ]
    moved = got[1]["data"]
    assert moved["milestone"] == "Code freeze" and moved["reason"] == "a late fix"
    assert moved["at"].startswith("2027-03-03") and moved["before"].startswith("2027-03-01")
    assert got[2]["data"]["at"] is None


def test_closing_the_release_is_its_last_event(hooked: RunningBot, receiver: Receiver) -> None:
    _, secret = add_webhook(hooked, receiver.url())
    say(hooked, "/release", "close")
    (got,) = bodies(receiver, 1, secret)
    assert got["type"] == "release.closed" and got["data"]["release"]["state"] == "released"


def test_every_event_type_has_a_documented_model() -> None:
    for name, model in EVENTS.items():
        assert model.__doc__ and name in model.__doc__, name
        assert model.model_json_schema()["properties"]["release"]


def test_a_milestone_following_release_day_moves_with_it(
    hooked: RunningBot, receiver: Receiver
) -> None:
    say(hooked, "/release", "milestone add Branch cut R-7d 10:00 UTC")
    _, secret = add_webhook(hooked, receiver.url(), "milestone.moved,release.postponed")
    postpone(hooked, "2027-03-22")
    got = bodies(receiver, 2, secret)
    assert [b["type"] for b in got] == ["milestone.moved", "release.postponed"]
    moved = got[0]["data"]
    assert moved["milestone"] == "Branch cut" and moved["reason"] == "release day moved"
    assert moved["before"].startswith("2027-03-08") and moved["at"].startswith("2027-03-15")

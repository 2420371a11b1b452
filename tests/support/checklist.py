"""Shared test builders: checklist."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import yaml
from sqlmodel import col, select

from bot.checklist import ids
from bot.checklist.models import Checklist, ChecklistStep
from bot.core.models import AuditEvent
from tests.conftest import RunningBot

CHANNEL = "C_CL"
LEAD = "U_LEAD"
BM = "U_BM"
DOCS = "U_DOCS"
MakeBot = Callable[..., RunningBot]
ACTION_IDS = {
    "done": ids.DONE_ACTION,
    "failed": ids.FAILED_ACTION,
    "skip": ids.SKIP_ACTION,
    "retry": ids.RETRY_ACTION,
}


def answer(resp: Any) -> str:
    """The ephemeral text the caller sees."""
    assert resp.status_code == 200, resp.text
    return str((resp.json() if resp.text else {}).get("text", ""))


def write_template(directory: Path, name: str, steps: list[dict[str, Any]]) -> None:
    """A custom template file in `directory`."""
    body = {"name": name, "description": f"{name} for tests", "steps": steps}
    (directory / f"{name}.yaml").write_text(yaml.safe_dump(body, sort_keys=False))


def bot_with(
    make_bot: MakeBot, tmp_path: Path, steps: list[dict[str, Any]], **settings: Any
) -> RunningBot:
    """A bot whose custom templates directory holds template `t` with `steps`."""
    directory = tmp_path / "templates"
    directory.mkdir(exist_ok=True)
    write_template(directory, "t", steps)
    return make_bot(templates_dir=directory, **settings)


def new_release(bot: RunningBot, roles: dict[str, list[str]], day: str = "2027-03-15 10:00 UTC"):  # type: ignore[no-untyped-def]
    """The channel's release with its lead and role holders."""
    answer(bot.slack.command("/release", f"new v1 on {day}", user_id=LEAD, channel_id=CHANNEL))
    for role, users in roles.items():
        people = " ".join(f"<@{u}>" for u in users)
        answer(
            bot.slack.command("/release", f"role {role} {people}", user_id=LEAD, channel_id=CHANNEL)
        )


def start(bot: RunningBot, template: str = "t") -> str:
    """Start the checklist; the ts of its channel message once it is posted and stored."""
    reply = answer(
        bot.slack.command("/checklist", f"start {template}", user_id=LEAD, channel_id=CHANNEL)
    )
    assert "Started" in reply, reply

    def stored() -> str | None:
        with bot.services.db.read() as s:
            checklist = s.exec(select(Checklist)).first()
        return checklist.message_ts if checklist else None

    return bot.fake.wait_for(stored)


def steps_of(bot: RunningBot) -> list[ChecklistStep]:
    """The steps of the (one) checklist, in order."""
    with bot.services.db.read() as s:
        return list(s.exec(select(ChecklistStep).order_by(col(ChecklistStep.position))))


def value_of(step: ChecklistStep) -> str:
    """The value a button of `step` carries as it stands now."""
    return ids.encode_step(step.id, step.state, step.activations)


def click(bot: RunningBot, user: str, action: str, value: str, ts: str) -> Any:
    """Click a checklist button."""
    return bot.slack.click(
        user_id=user,
        channel_id=CHANNEL,
        action_id=ACTION_IDS[action],
        value=value,
        message_ts=ts,
    )


def buttons(bot: RunningBot, ts: str) -> dict[str, str]:
    """action_id -> value of the buttons on the checklist message as Slack shows it now."""
    message = bot.fake.message(CHANNEL, ts) or {}
    found: dict[str, str] = {}
    for block in message.get("blocks") or []:
        for element in block.get("elements", []) if block.get("type") == "actions" else []:
            found[element["action_id"]] = element["value"]
    return found


def thread(bot: RunningBot, ts: str) -> list[str]:
    """Texts of the replies under the checklist message."""
    return [str(m.get("text", "")) for m in bot.fake.replies(CHANNEL, ts)]


def told(bot: RunningBot, user: str) -> list[str]:
    """Ephemeral texts shown to `user` (refusals are owed through the outbox)."""
    bot.services.sender.flush()
    return [str(c.args.get("text", "")) for c in bot.fake.ephemerals(user)]


def audit_actions(bot: RunningBot, prefix: str = "") -> list[str]:
    """Audit actions in order, optionally only those starting with `prefix`."""
    with bot.services.db.read() as s:
        events = s.exec(select(AuditEvent).order_by(col(AuditEvent.id))).all()
    return [e.action for e in events if e.action.startswith(prefix)]


def you_are_up(bot: RunningBot, ts: str, user: str) -> int:
    """How many "you're up" pings for `user` are in the checklist message's thread."""
    return sum(1 for t in thread(bot, ts) if f"<@{user}>: you're up" in t)


def boards_posted(bot: RunningBot) -> list[Any]:
    """The checklist messages posted in the channel (one per started checklist)."""
    return [p for p in bot.fake.posts(CHANNEL) if "Release-day checklist ·" in bot.fake.texts_of(p)]


def updates_of(bot: RunningBot, ts: str) -> list[Any]:
    """The chat.update calls Slack accepted for the message `ts`."""
    return [c for c in bot.fake.calls_of("chat.update") if c.args.get("ts") == ts]


def long_title(n: int, length: int = 300) -> str:
    """A step title of exactly `length` characters, full of what Slack would parse."""
    return (f"Step {n} R&D <beta> <!channel> " + "x" * length)[:length]


def many_steps(count: int, owner: str = "ops", length: int = 300) -> list[dict[str, Any]]:
    """`count` template steps owned by `owner`, with titles of `length` characters."""
    return [{"title": long_title(n, length), "owner": owner} for n in range(1, count + 1)]


def zone_at_hour(hour: int) -> str:
    """A fixed-offset zone (Etc/GMT±N) where it is now `hour` o'clock (the minutes as in UTC)."""
    offset = (hour - datetime.now(UTC).hour + 12) % 24 - 12  # in -12..11, as Etc/GMT allows
    if offset == 0:
        return "Etc/GMT"
    return f"Etc/GMT{'+' if offset < 0 else '-'}{abs(offset)}"  # Etc/GMT signs are inverted


def awake(bot: RunningBot, *users: str) -> None:
    """These people's Slack profiles say it is midday for them."""
    for user in users:
        bot.fake.users[user] = {"tz": zone_at_hour(12)}


def asleep(bot: RunningBot, *users: str) -> None:
    """These people's Slack profiles say it is three in the morning for them."""
    for user in users:
        bot.fake.users[user] = {"tz": zone_at_hour(3)}

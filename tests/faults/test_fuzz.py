"""Random and hostile text for every command: never a 500, a trace, or a ping echoed."""

from __future__ import annotations

import logging
import random

import pytest

from tests.conftest import RunningBot

COMMANDS = ["/release", "/burndown", "/gonogo", "/checklist", "/gate"]
PINGS = ("<!channel>", "<!here>", "<!everyone>", "<!subteam^S1>")
HOSTILE = [
    "<!channel>",
    "new <!here> on tomorrow",
    "role <!everyone> <@U_X>",
    "'; DROP TABLE release; --",
    'add x "unclosed',
    'payload={"type":"block_actions"}',
    "\x00\x01\x02 \u202e evil",
    "schedule daily 25:61 Mars/Phobos",
    "add gate <http://169.254.169.254/latest|meta> expect json.a.b.c == <!channel>",
    "voters <!channel> by 99:99",
    "start ../../etc/passwd",
    "skip 2026-02-30",
    "postpone yesterday -- <!channel>",
    "manual " + "x" * 300,
    "%s%s%n %x",
    "close --cancelled --force",
    "cancel -1",
    "cancel 99999999999999999999999",
    "suggest 0m",
    "cadence kubernetes 4:30pm IST",
    "🙂" * 50,
    "\u00e9\u0301" * 20,
    "\\" * 30,
    "`" * 10 + "<@U_LEAD|x>",
    "status extra words <#C123|general>",
]
WORDS = [
    "new",
    "status",
    "role",
    "roles",
    "postpone",
    "timeline",
    "close",
    "schedule",
    "list",
    "next",
    "skip",
    "cancel",
    "suggest",
    "cadence",
    "kubernetes",
    "start",
    "templates",
    "add",
    "manual",
    "check",
    "remove",
    "voters",
    "by",
    "on",
    "from",
    "until",
    "remind",
    "every",
    "expect",
    "header",
    "owner",
    "daily",
    "weekdays",
    "mon,wed,fri",
    "10am",
    "27:99",
    "2026-13-45",
    "tomorrow",
    "PT",
    "IST",
    "UTC",
    "--",
    "<@U_LEAD>",
    "<@U_X|x>",
    "<!channel>",
    "<http://127.0.0.1:1/x|x>",
    '"quoted words"',
    "json.a==1",
    "60m,10m",
]


def random_text(rng: random.Random) -> str:
    if rng.random() < 0.3:
        return "".join(chr(rng.randint(1, 0x2FFF)) for _ in range(rng.randint(1, 80)))
    return " ".join(rng.choice(WORDS) for _ in range(rng.randint(1, 9)))


def assert_safe(text: str) -> None:
    assert "Traceback" not in text
    for ping in PINGS:
        assert ping not in text, f"{ping} echoed back: {text[:200]}"


@pytest.mark.parametrize("command", COMMANDS)
def test_fuzz_every_command(
    bot: RunningBot, command: str, caplog: pytest.LogCaptureFixture
) -> None:
    rng = random.Random(f"fuzz-{command}")
    bot.slack.command(
        "/release", "new fuzz on 2027-03-15 10:00 PT", user_id="U_LEAD", channel_id="C1"
    )
    texts = HOSTILE + [random_text(rng) for _ in range(25)]
    with caplog.at_level(logging.ERROR, logger="releasebot.errors"):
        for i, text in enumerate(texts):
            user = "U_LEAD" if i % 2 == 0 else "U_RANDOM"
            resp = bot.slack.command(command, text, user_id=user, channel_id="C1")
            assert resp.status_code == 200, (text, resp.status_code)
            body = resp.json()
            assert body.get("text"), text
            assert_safe(str(body))
    bot.services.sender.flush()
    bot.services.notifier.later(lambda: None).result(timeout=10)
    for call in bot.fake.calls:
        if call.method.startswith("chat."):
            assert_safe(str(call.args.get("text", "")) + str(call.args.get("blocks", "")))
    unexpected = [r for r in caplog.records if r.name == "releasebot.errors"]
    assert not unexpected, f"unexpected errors: {[r.getMessage() for r in unexpected]}"

"""Two replicas behind one database give a person the same Home: who looked is remembered in
the database, and a change on either replica owes the refresh inside its own transaction."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from bot.home import flows
from tests.conftest import PG_URL, RunningBot
from tests.home.test_home import open_home
from tests.kit.bot_process import free_port
from tests.support.release import CHANNEL, LEAD, answer

pytestmark = pytest.mark.skipif(
    not PG_URL,
    reason="several replicas need PostgreSQL (SQLite is one process): set TEST_DATABASE_URL",
)
PERSON = "U_PERSON"


def say(bot: RunningBot, cmd: str, text: str) -> str:
    return answer(bot.slack.command(cmd, text, user_id=LEAD, channel_id=CHANNEL))


def waiting_part(view: dict[str, Any], bot: RunningBot) -> str:
    """The Home's text without its "Updated" time (which differs by the second)."""
    return bot.fake.texts_of(view).split("Updated")[0]


def test_a_change_on_one_replica_refreshes_a_home_opened_on_the_other(
    make_bot: Callable[..., RunningBot],
) -> None:
    first, second = make_bot(), make_bot(port=free_port())
    assert "lead" in say(first, "/release", "new v1 on 2027-03-15 10:00 UTC")
    say(first, "/release", f"role docs <@{PERSON}>")
    assert open_home(first, PERSON, "EvR1").status_code == 200
    first.fake.wait_for(
        lambda: "Nothing waits on you" in first.fake.texts_of(first.fake.home(PERSON) or {})
    )

    assert "Poll started" in say(second, "/gonogo", f"Ship it? voters <@{PERSON}>")

    def refreshed() -> dict[str, Any] | None:
        view = first.fake.home(PERSON) or {}
        return view if "Your vote is missing" in first.fake.texts_of(view) else None

    view = first.fake.wait_for(refreshed, timeout=15)
    for bot in (first, second):  # either replica draws the same Home from the database
        with bot.services.db.read() as s:
            drawn = flows.home_of(bot.services, s, PERSON)
        assert waiting_part(drawn, bot) == waiting_part(view, bot)

"""`/burndown suggest` shows, for each proposed day, the members who have a public holiday."""

from __future__ import annotations

from datetime import UTC, datetime

from tests.conftest import RunningBot
from tests.support.burndown import CHANNEL, burndown, start_release
from tests.support.release import mrkdwn_of

MONDAY = datetime(2030, 9, 30, 5, 0, tzinfo=UTC)  # the week of 2 Oct (India) and 3 Oct (Germany)


def test_each_proposed_day_names_whose_public_holiday_it_is(bot: RunningBot) -> None:
    bot.freeze(MONDAY)
    start_release(bot)
    bot.fake.users.update(
        {
            "U_BER": {"tz": "Europe/Berlin"},
            "U_BLR": {"tz": "Asia/Kolkata"},
            "U_LA": {"tz": "America/Los_Angeles"},
        }
    )
    bot.fake.channel_members[CHANNEL] = ["U_BER", "U_BLR", "U_LA", "UBOT"]
    burndown(bot, "suggest 30m", user="U_BER")
    found = bot.fake.wait_for(lambda: bot.fake.ephemerals("U_BER"), timeout=10)
    text = mrkdwn_of(found[-1])
    assert "public holiday on Thu 3 Oct for <@U_BER> (German Unity Day, Germany)" in text
    assert "public holiday on Wed 2 Oct for <@U_BLR> (Mahatma Gandhi's Birthday, India)" in text
    assert "<@U_LA> (" not in text  # no public holiday in the United States that week
    assert "public holiday on Mon" not in text and "public holiday on Fri" not in text

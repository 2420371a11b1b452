"""App Home shows whatever part a feature provides, in the parts' order, through one Ask."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from bot.core.asks.home import HOME_PART, HomePart, Viewer, Waiting
from bot.core.blocks import Blocks, mrkdwn
from bot.home import flows
from tests.conftest import RunningBot
from tests.support.release import CHANNEL, LEAD, answer

PERSON = "U_PERSON"


def first_thing(session: Session, viewer: Viewer, now: datetime) -> list[Waiting]:
    return [Waiting([mrkdwn(f"First thing for <@{viewer.user_id}>")], "thing", CHANNEL)]


def a_talk(session: Session, viewer: Viewer, now: datetime) -> Blocks:
    return [mrkdwn("A talk comes up")]


def rehearsing(session: Session, release_id: int, now: datetime) -> str | None:
    return "rehearsing"


def test_a_provided_part_shows_first_when_its_order_is_lowest(bot: RunningBot) -> None:
    for command, text in (
        ("/release", "new v1 on 2027-03-15 10:00 UTC"),
        ("/gonogo", f"Ship it? voters <@{PERSON}>"),
    ):
        answer(bot.slack.command(command, text, user_id=LEAD, channel_id=CHANNEL))
    part = HomePart(order=0, waiting=first_thing, coming_up=a_talk, phase=rehearsing)
    bot.services.provide(HOME_PART, part)
    with bot.services.db.read() as s:
        text = bot.fake.texts_of(flows.home_of(bot.services, s, LEAD))
        voter = bot.fake.texts_of(flows.home_of(bot.services, s, PERSON))
    assert text.index(f"First thing for <@{LEAD}>") < text.index("A talk comes up")
    assert "*Phase:* rehearsing" in text
    assert voter.index("First thing") < voter.index("Your vote is missing")


def test_the_viewer_is_owed_a_thing_through_a_group_only_when_not_in_person() -> None:
    viewer = Viewer("U_ME", frozenset({"S_TEAM", "S_OPS"}))
    assert viewer.through(["U_ME", "S_TEAM"]) is None
    assert viewer.through(["U_OTHER", "S_OPS", "S_TEAM"]) == "S_OPS"
    assert viewer.through(["U_OTHER"]) is None

"""A click a step guard holds back: refused with the hold's reason, in one transaction.

The gates answer the checklist's question with a Hold (why, and whom to ask); the checklist
refuses the click with its own error and owes the thread reply asking the gate's owners in
the click's own transaction: no second session to tell the refusal, none to ask.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, col, select

from bot.checklist import flows, ids
from bot.checklist.steps import Held
from bot.core.outbox import OutboxRow
from tests.conftest import RunningBot
from tests.support.checklist import CHANNEL, LEAD, answer, bot_with, new_release, start, steps_of

OWNER = "U_SIGN"


def _count_sessions(monkeypatch: pytest.MonkeyPatch, bot: RunningBot, opened: list[str]) -> None:
    """Note every transaction and read this thread opens on the bot's database from now on
    (the bot's own threads, the sender and the timers, read it meanwhile too)."""
    db = bot.services.db
    me = threading.get_ident()
    for name in ("session", "read"):
        made: Callable[[], AbstractContextManager[Session]] = getattr(db, name)

        def counted(*args: Any, _made: Any = made, _name: str = name) -> Any:
            if threading.get_ident() == me:
                opened.append(_name)
            return _made(*args)

        monkeypatch.setattr(db, name, counted)


def test_a_held_done_is_refused_and_asks_the_owners_in_one_transaction(
    make_bot: Callable[..., RunningBot], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    steps = [{"title": "Sign off", "owner": "lead", "gates": ["sign-off"]}]
    bot = bot_with(make_bot, tmp_path, steps)
    new_release(bot, {})
    line = f"manual sign-off owner <@{OWNER}>"
    answer(bot.slack.command("/gate", line, user_id=LEAD, channel_id=CHANNEL))
    start(bot)
    step = steps_of(bot)[0]
    assert step.id is not None
    ref = ids.StepRef(step.id, step.state, step.activations)
    opened: list[str] = []
    _count_sessions(monkeypatch, bot, opened)

    with pytest.raises(Held, match=r"\*sign-off\* is not passing") as refused:
        flows.act(bot.services, "done", bot.services.actor(LEAD), ref)

    assert opened == ["session"]
    assert refused.value.hold.ask == [("sign-off", [OWNER])]
    with bot.services.db.read() as s:
        asked = s.exec(select(OutboxRow).where(col(OutboxRow.key).contains(":blocked:"))).all()
    assert len(asked) == 1 and f"<@{OWNER}>" in asked[0].text
    assert steps_of(bot)[0].state == "active"

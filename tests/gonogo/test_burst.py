"""Many clicks at once: every vote stored, few chat.updates, the message converges; forgeries."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from itertools import pairwise

from sqlmodel import func, select

from bot.gonogo.models import PollVote
from tests.conftest import SECRET, RunningBot
from tests.kit.slack_requests import SlackClient
from tests.support.gonogo import (
    CHANNEL,
    click,
    gonogo,
    poll_post,
    poll_row,
    poll_value,
    release_with_docs,
    ts_of,
)

VOTERS = [f"U{i:04d}" for i in range(50)]


def test_fifty_concurrent_clicks_store_every_vote_with_few_updates(bot: RunningBot) -> None:
    release_with_docs(bot)
    gonogo(bot, "Burst? voters " + " ".join(f"<@{u}>" for u in VOTERS))
    post = poll_post(bot)
    value, ts = poll_value(post), ts_of(bot, post)

    def vote(user: str) -> tuple[int, float]:
        with SlackClient(bot.url, SECRET) as slack:
            start = time.monotonic()
            resp = slack.click(
                user_id=user, channel_id=CHANNEL, action_id="gonogo:go", value=value, message_ts=ts
            )
            return resp.status_code, time.monotonic() - start

    started = time.time()
    with ThreadPoolExecutor(max_workers=50) as pool:
        results = list(pool.map(vote, VOTERS))
    assert [code for code, _ in results] == [200] * 50
    assert max(took for _, took in results) < 3.0, sorted(took for _, took in results)[-5:]
    with bot.services.db.read() as s:
        stored = s.exec(select(func.count()).select_from(PollVote)).one()
    assert stored == 50
    bot.fake.wait_for(
        lambda: (
            "50 Go · 0 No-Go · 0 missing" in bot.fake.texts_of(bot.fake.message(CHANNEL, ts))
            and "Result" in bot.fake.texts_of(bot.fake.message(CHANNEL, ts))
        ),
        timeout=8,
    )
    updates = sorted(
        c.at for c in bot.fake.calls_of("chat.update") if c.args.get("ts") == ts and c.at >= started
    )
    elapsed = time.time() - started
    assert 1 <= len(updates) <= elapsed + 1, (len(updates), elapsed)
    gaps = [later - earlier for earlier, later in pairwise(updates)]
    assert min(gaps, default=1.0) > 0.9, gaps
    assert poll_row(bot).outcome == "GO"  # type: ignore[union-attr]


def test_forged_or_stale_buttons_change_nothing_and_say_why(bot: RunningBot) -> None:
    release_with_docs(bot)
    gonogo(bot, "voters <@U_A>")
    post = poll_post(bot)
    value, ts = poll_value(post), ts_of(bot, post)
    for forged in ("not json", json.dumps({"p": 9999}), json.dumps({"p": "1"}), "[1]"):
        click(bot, "U_A", "go", forged, ts)
    click(bot, "U_A", "go", value, ts, channel="C_OTHER")
    texts = bot.fake.wait_for(lambda: len(bot.fake.ephemerals()) >= 5 and bot.fake.ephemerals())
    said = "\n".join(str(c.args["text"]) for c in texts)
    assert said.count("not one of mine") == 3
    assert "no longer exists" in said and "another channel" in said
    with bot.services.db.read() as s:
        assert s.exec(select(func.count()).select_from(PollVote)).one() == 0
    assert poll_row(bot).state == "open"  # type: ignore[union-attr]

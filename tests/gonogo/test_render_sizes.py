"""Poll renderers at the sizes real releases reach: within Slack's limits, nothing cut mid-token."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.gonogo import render
from bot.gonogo.models import Poll, PollVote
from bot.gonogo.service import Tally
from tests.kit.block_rules import check_message, check_view
from tests.kit.fake_slack import collect_texts

NOW = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)
ZONE = ZoneInfo("Europe/Berlin")
REASON = "CI <!channel> is red & flaky > twice " * 40  # over 1,000 as typed: cut to the limit
TOKEN_OPEN = re.compile(r"<(?![^<>]*>)")


def poll(state: str = "open", outcome: str | None = None) -> Poll:
    return Poll(
        id=7,
        release_id=1,
        channel_id="C1",
        question="Ship R&D <beta> & more? " * 12,
        state=state,
        outcome=outcome,
        deadline=NOW + timedelta(hours=2),
        created_by="U_LEAD",
        created_at=NOW,
        closed_at=NOW if state == "closed" else None,
        closed_by="releasebot" if state == "closed" else None,
    )


def big_tally(state: str = "open", outcome: str | None = None) -> Tally:
    """500 required (200 Go, 150 No-Go with long reasons, 150 missing), 300 advisory."""
    required = [f"UREQUIRED{n:05d}" for n in range(500)]
    votes: dict[str, PollVote] = {}
    for n, user in enumerate(required[:350]):
        choice = "go" if n < 200 else "nogo"
        votes[user] = PollVote(
            id=n, poll_id=7, user_id=user, choice=choice, reason=REASON[:1000], voted_at=NOW
        )
    for n in range(300):
        user = f"UADVISORY{n:05d}"
        choice = "go" if n % 2 else "nogo"
        votes[user] = PollVote(
            id=1000 + n, poll_id=7, user_id=user, choice=choice, reason=REASON[:1000], voted_at=NOW
        )
    return Tally(poll(state, outcome), required, votes)


def texts(item: Any) -> list[str]:
    return collect_texts(item)


def assert_whole_tokens(item: Any) -> None:
    for text in texts(item):
        assert not TOKEN_OPEN.search(text), text[-200:]
        assert "<!channel>" not in text


def test_the_poll_message_of_a_huge_poll_fits_and_counts_what_it_leaves_out() -> None:
    for tally in (big_tally(), big_tally("closed", "NO-GO")):
        text, blocks = render.poll_message(tally, ZONE)
        assert check_message({"text": text, "blocks": blocks}) == []
        assert_whole_tokens(blocks)
        shown = "\n".join(texts(blocks))
        assert "200 Go · 150 No-Go · 150 missing (of 500 required)" in shown
        assert "and 160 more (all under *All votes*)" in shown  # of the 200 Go
        assert "more (all under *All votes*)" in shown.split("*No-Go:*")[1]
        assert any(
            b.get("accessory", {}).get("text", {}).get("text") == "All votes" for b in blocks
        )
    open_text = "\n".join(texts(render.poll_message(big_tally(), ZONE)[1]))
    assert "and 110 more (all under *All votes*)" in open_text  # of the 150 missing


def test_the_result_and_the_status_of_a_huge_poll_fit() -> None:
    for outcome in ("NO-GO", "NO DECISION"):
        text, blocks = render.announcement(big_tally("closed", outcome), ZONE)
        assert check_message({"text": text, "blocks": blocks}) == []
        assert_whole_tokens(blocks)
        assert "more (all under *All votes*)" in "\n".join(texts(blocks))
    section = render.status_section(big_tally(), ZONE)
    assert "and 130 more (the poll's *All votes* button lists them all)" in "\n".join(section.lines)


def test_the_reminder_parts_mention_everyone_within_limits() -> None:
    tally = big_tally()
    groups = render.ping_groups(tally.missing)
    assert [u for group in groups for u in group] == tally.missing
    for part, users in enumerate(groups, start=1):
        text, blocks = render.reminder(tally, ZONE, users, part, len(groups))
        assert check_message({"text": text, "blocks": blocks}) == []
        assert re.findall(r"<@(U\w+)>", "\n".join(texts(blocks))) == users
    long_ids = [f"W{'X' * 30}{n:02d}" for n in range(150)]  # the longest ids we store
    for users in render.ping_groups(long_ids):
        assert check_message({"blocks": render.reminder(tally, ZONE, users, 1, 2)[1]}) == []


def test_all_votes_fits_a_modal_and_counts_what_it_cannot_show() -> None:
    view = render.votes_modal(big_tally())
    assert check_view(view) == []
    assert_whole_tokens(view)
    shown = "\n".join(texts(view))
    assert all(f"<@UREQUIRED{n:05d}>" in shown for n in range(350, 500))  # every missing voter
    assert all(f"<@UREQUIRED{n:05d}>" in shown for n in range(200))  # every Go
    assert re.search(r"\d+ more did not fit here; `/release timeline` has every vote", shown)


def test_the_no_go_modal_states_the_limit() -> None:
    view = render.nogo_modal(poll())
    assert check_view(view) == []
    assert "at most 1,000 characters" in view["blocks"][0]["label"]["text"]
    assert view["blocks"][0]["element"]["max_length"] == 1000

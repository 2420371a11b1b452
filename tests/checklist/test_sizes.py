"""Checklists at the sizes real releases reach: 49 steps, 300-character titles, long reasons.

The renderers are checked against Slack's limits with the rules the test Slack applies,
and a 49-step checklist is walked to the end over the real HTTP endpoint.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.checklist import notes, render
from bot.checklist.board import (
    ACTIVE,
    COMPLETE,
    DONE,
    PENDING,
    RUNNING,
    SKIPPED,
    Board,
    Outcome,
    Owners,
)
from bot.checklist.models import Checklist, ChecklistStep
from bot.core.blocks import Blocks
from bot.core.text.escape import escape
from bot.release.models import Release
from tests.kit.block_rules import check_message
from tests.kit.fake_slack import collect_texts
from tests.support.checklist import (
    CHANNEL,
    LEAD,
    MakeBot,
    answer,
    boards_posted,
    bot_with,
    buttons,
    click,
    long_title,
    many_steps,
    new_release,
    start,
    steps_of,
    thread,
    value_of,
    write_template,
)

T0 = datetime(2027, 3, 15, 15, 0, tzinfo=UTC)
OPS = [f"U_OPS{i:02d}" for i in range(20)]
REASON = ("<!channel> & <@U_X> broke " * 40)[:1000]  # the longest reason, all Slack markup


def board_of(count: int, current: int | None, state: str = RUNNING) -> Board:
    """A `count`-step board with 300-character titles, every third step skipped with a long
    reason, step `current` (0-based; None: all finished) active on its second attempt."""
    release = Release(id=1, channel_id=CHANNEL, name="<!here> & R&D", zone="UTC", created_by=LEAD)
    checklist = Checklist(
        id=1,
        release_id=1,
        channel_id=CHANNEL,
        template="scale-49",
        state=state,
        started_by=LEAD,
        started_at=T0,
        finished_at=T0 + timedelta(hours=9) if state != RUNNING else None,
        message_ts="1.000",
    )
    steps: list[ChecklistStep] = []
    at = count if current is None else current
    for index in range(count):
        began = T0 + timedelta(minutes=10 * index)
        step = ChecklistStep(
            id=index + 1,
            checklist_id=1,
            position=index + 1,
            title=long_title(index + 1),
            owner="ops",
            expected_seconds=600,
            gates="ci-blocking,e2e",
            state=PENDING,
        )
        if index < at:
            skipped = index % 3 == 2
            step.state = SKIPPED if skipped else DONE
            step.reason = REASON if skipped else None
            step.acted_by, step.started_at = OPS[index % 20], began
            step.finished_at = began + timedelta(minutes=9)
            step.activations = 1
        elif index == at:
            step.state, step.activations, step.reason = ACTIVE, 2, REASON
            step.started_at = step.activated_at = began
        steps.append(step)
    owners = {s.id: Owners("ops", OPS, fallback=False) for s in steps if s.id is not None}
    return Board(release, checklist, steps, owners, [LEAD])


def texts(blocks: Blocks) -> list[str]:
    return collect_texts(blocks)


def mrkdwn_texts(node: Any) -> list[str]:
    """Every mrkdwn text in blocks (plain_text shows what was typed, unescaped)."""
    if isinstance(node, list):
        return [t for item in node for t in mrkdwn_texts(item)]
    if not isinstance(node, dict):
        return []
    own = [str(node["text"])] if node.get("type") == "mrkdwn" else []
    return own + [t for value in node.values() for t in mrkdwn_texts(value)]


def assert_within_slack(text: str, blocks: Blocks) -> None:
    """What the test Slack checks, and no Slack token or entity cut in two."""
    assert check_message({"text": text, "blocks": blocks}) == []
    assert len(blocks) <= 50 and all(len(shown) <= 3000 for shown in texts(blocks))
    for shown in [text, *mrkdwn_texts(blocks)]:
        bare = re.sub(r"<[^<>\n]*>", "", shown)
        assert "<" not in bare and ">" not in bare, shown[-80:]
        assert not re.search(r"&(?!amp;|lt;|gt;)", shown), shown[-80:]


@pytest.mark.parametrize("current", [0, 1, 2, 3, 24, 47, 48, None])
def test_a_long_checklist_shows_its_current_step_with_neighbours_and_sums_up_the_rest(
    current: int | None,
) -> None:
    board = board_of(49, current)
    text, blocks = render.board_message(board)
    assert_within_slack(text, blocks)
    shown = "\n".join(texts(blocks))
    at = 49 if current is None else current
    window = range(max(at - 2, 0) if current is not None else 46, min(at + 4, 49))
    for index in window:  # the neighbours are shown in full, titles escaped
        assert f"*{index + 1}. Step {index + 1} R&amp;D &lt;beta&gt; &lt;!channel&gt;" in shown
    assert "<!channel>" not in "\n".join(mrkdwn_texts(blocks)) and "<!here>" not in text
    assert blocks[0]["text"]["text"] == "Release-day checklist · <!here> & R&D"  # plain_text
    if window.start:
        done = sum(1 for s in board.steps[: window.start] if s.state == DONE)
        assert f"Steps 1–{window.start}: {done} done" in shown or window.start == 1
    if window.stop < 49:
        assert f"{49 - window.stop} more step" in shown and "`/checklist status`" in shown
    action_blocks = [b for b in blocks if b["type"] == "actions"]
    assert len(action_blocks) == (1 if current is not None else 0)
    assert "and 10 more" in shown  # 20 owners: ten named, the rest counted


def test_status_lists_every_step_of_a_long_checklist_within_the_limits() -> None:
    board = board_of(49, 24)
    text, blocks = render.board_message(board, interactive=False)
    assert_within_slack(text, blocks)
    shown = "\n".join(texts(blocks))
    for position in range(1, 50):
        assert f"*{position}. Step {position} R&amp;D" in shown
    assert not [b for b in blocks if b["type"] == "actions"]


def test_the_longest_checklist_a_template_allows_still_fits() -> None:
    for current in (0, 50, None):
        text, blocks = render.board_message(board_of(100, current))
        assert_within_slack(text, blocks)
        text, blocks = render.board_message(board_of(100, current), interactive=False)
        assert_within_slack(text, blocks)
        shown = "\n".join(texts(blocks))
        assert all(f"*{n}. Step {n} R&amp;D" in shown for n in range(1, 101))


def test_lines_that_do_not_fit_the_sections_are_counted_not_dropped() -> None:
    lines = [f"<@U{n:04d}> " + "y" * 1500 for n in range(200)]
    parts = render.packed(lines, 5, "steps")
    assert len(parts) == 5 and all(len(p) <= 2900 for p in parts)
    shown = sum(p.count("<@U") for p in parts)
    left = re.search(r"…and (\d+) more steps", parts[-1])
    assert left is not None and shown + int(left[1]) == 200


def test_the_summary_of_a_long_checklist_names_every_step() -> None:
    board = board_of(49, None, state=COMPLETE)
    text, blocks = notes.summary(board)
    assert_within_slack(text, blocks)
    shown = "\n".join(texts(blocks))
    for position in range(1, 50):
        assert f"*{position}. Step {position} R&amp;D" in shown


def test_a_ping_for_many_red_gates_counts_those_it_cannot_name() -> None:
    step = board_of(3, 0).steps[0]
    blocked = [(f"gate-{n:02d}", [f"U_G{n:02d}{k}" for k in range(3)]) for n in range(60)]
    ping = notes.gate_ping(step, LEAD, blocked)
    assert len(ping) <= 2900 and "`gate-00`: <@U_G000>, <@U_G001>, <@U_G002>" in ping
    named = ping.count("• `gate-")
    assert f"…and {60 - named} more gates: `/gate list`" in ping


def test_a_failure_reply_quotes_the_whole_reason_escaped() -> None:
    board = board_of(3, 0)
    step = board.steps[0]
    step.state, step.reason = "failed", REASON
    reply = notes.transition_reply(Outcome(board.release, board.checklist, step, ACTIVE, LEAD))
    assert f"“{escape(REASON)}”" in reply and "<!channel>" not in reply


# --- over HTTP -------------------------------------------------------------------------------


def test_a_49_step_checklist_with_300_character_titles_is_walked_to_the_end(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, many_steps(49))
    new_release(bot, {"ops": OPS})
    ts = start(bot)
    steps = steps_of(bot)
    assert len(steps) == 49 and all(len(s.title) == 300 for s in steps)
    for index in range(49):
        step = steps_of(bot)[index]
        if index in (0, 25, 48):  # the message shows the step that is up, with its button
            bot.fake.wait_for(lambda s=step: buttons(bot, ts).get("checklist:done") == value_of(s))
            shown = bot.fake.texts_of(bot.fake.message(CHANNEL, ts) or {})
            assert f"*{index + 1}. Step {index + 1} R&amp;D &lt;beta&gt;" in shown
        assert answer(click(bot, OPS[index % 20], "done", value_of(step), ts)) == ""
    assert [s.state for s in steps_of(bot)] == ["done"] * 49

    summary = bot.fake.wait_for(
        lambda: [
            p for p in bot.fake.posts(CHANNEL) if "Checklist complete" in bot.fake.texts_of(p)
        ],
        timeout=20,
    )
    assert len(summary) == 1 and len(boards_posted(bot)) == 1
    bot.fake.wait_for(lambda: "Complete" in bot.fake.texts_of(bot.fake.message(CHANNEL, ts) or {}))
    assert bot.services.sender.flush(timeout=20)
    replies = thread(bot, ts)
    for position in range(1, 50):
        done = [
            t for t in replies if f"*{position}. Step {position} R&amp;D" in t and "done by" in t
        ]
        assert len(done) == 1, position


# --- templates the loader refuses --------------------------------------------------------------


def test_start_names_the_file_line_and_reason_of_a_refused_template(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    directory = tmp_path / "templates"
    directory.mkdir()
    write_template(directory, "scale-101", many_steps(101, owner="lead", length=20))
    long_one: list[dict[str, Any]] = [{"title": "x" * 301, "owner": "lead"}]
    write_template(directory, "long-title", [{"title": "Fine", "owner": "lead"}, *long_one])
    bot = make_bot(templates_dir=directory)
    new_release(bot, {})

    def start_answer(name: str) -> str:
        return answer(
            bot.slack.command("/checklist", f"start {name}", user_id=LEAD, channel_id=CHANNEL)
        )

    refused = start_answer("scale-101")
    assert "There is no checklist template" not in refused
    assert "`scale-101.yaml:4`: " in refused  # where the steps begin
    assert "at most 100 steps; this one has 101" in refused
    refused = start_answer("long-title")
    assert "`long-title.yaml:6`: title is longer than 300 characters" in refused
    assert "There is no checklist template `nope`" in start_answer("nope")
    assert boards_posted(bot) == []

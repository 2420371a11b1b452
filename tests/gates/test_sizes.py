"""Gates at full size: `/gate list` and the status section fit Slack, whole, the rest counted."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.gates import flows, render
from bot.gates.models import Gate
from bot.release.models import Release
from tests.conftest import RunningBot
from tests.gates.builders import LEAD, crowded_release, owners
from tests.kit.block_rules import check_message
from tests.kit.fake_slack import collect_texts

CHANNEL = "C_BIG"
ZONE = ZoneInfo("America/Los_Angeles")
MORE = re.compile(r"…and (\d+) more gates")


def answer(bot: RunningBot, command: str, line: str) -> dict[str, Any]:
    resp = bot.slack.command(command, line, user_id=LEAD, channel_id=CHANNEL)
    assert resp.status_code == 200, resp.text
    return dict(resp.json())


def tokens_whole(text: str) -> bool:
    """Every `<` opens a token that closes before the next one opens or the text ends."""
    return re.fullmatch(r"[^<>]*(<[^<>]*>[^<>]*)*", text) is not None


def test_gate_list_of_50_gates_with_20_owners_each_fits_and_shows_every_gate(
    bot: RunningBot,
) -> None:
    crowded_release(bot.services.db, CHANNEL, gates=50, owners_each=20)
    with bot.services.db.read() as s:
        names = [g.name for g in s.exec(select(Gate))]
    got = answer(bot, "/gate", "list")
    assert check_message(got) == [], check_message(got)
    texts = collect_texts(got.get("blocks") or [])
    shown = "\n".join(texts)
    assert len(got["text"]) < 3_000 and "50 gates, 17 failing" in got["text"]
    assert all(f"`{name}`" in shown for name in names)  # every gate, whole
    assert len(re.findall(r"<@U\d{10}>", shown)) == 50 * 20  # every owner of every gate
    assert all(tokens_whole(text) and len(text) <= 3_000 for text in texts)
    assert "&amp; more" in shown and "<@U0DOCS0002>" not in shown  # the detail escaped once

    one = answer(bot, "/gate", f"list {names[7]}")
    assert check_message(one) == [] and names[7] in one["text"] + str(one["blocks"])


def test_listing_renders_within_limits_by_construction(bot: RunningBot) -> None:
    crowded_release(bot.services.db, CHANNEL, gates=50, owners_each=33)  # owners column full
    with bot.services.db.read() as s:
        gates = list(s.exec(select(Gate)))
    text, blocks = render.listing(gates, ZONE)
    assert blocks is not None and len(blocks) <= 50
    assert check_message({"text": text, "blocks": blocks}) == []
    assert sum(t.count("owners") for t in collect_texts(blocks)) == 50


def test_status_with_30_red_gates_of_three_owners_shows_whole_lines_and_counts_the_rest(
    bot: RunningBot,
) -> None:
    crowded_release(bot.services.db, CHANNEL, gates=30, owners_each=3, states=("failing",))
    got = answer(bot, "/release", "status")
    assert check_message(got) == []
    section = next(t for t in collect_texts(got["blocks"]) if t.startswith("*Gates"))
    assert section.startswith("*Gates (30 failing)*") and tokens_whole(section)
    lines = section.split("\n")[1:]
    shown = [line for line in lines if line.startswith(":red_circle:")]
    more = MORE.search(lines[-1])
    assert more is not None, lines[-1]
    assert len(shown) + int(more.group(1)) == 30 and "30 of them failing" not in lines[-1]
    assert f"{more.group(1)} of them failing" in lines[-1] and "`/gate list`" in lines[-1]
    assert all(line.count("<@U") == 3 for line in shown)  # each shown line whole


def test_status_section_counts_failing_ones_left_out_and_keeps_red_first(
    bot: RunningBot,
) -> None:
    crowded_release(bot.services.db, CHANNEL, gates=50, owners_each=3)
    with bot.services.db.read() as s:
        release = s.exec(select(Release)).one()
        section = flows.status_section(s, release, bot.services.now())
    assert section is not None and section.title == "Gates (17 failing)"
    body = "\n".join(section.lines)
    assert len(body) <= render.STATUS_ROOM and tokens_whole(body)
    assert section.lines[0].startswith(":red_circle:")
    assert MORE.search(section.lines[-1])


def test_check_results_of_every_gate_fit_one_message() -> None:
    rows = [(f"gate-{n:02d}", n % 2 == 0, "d" * 2_000) for n in range(50)]
    text = render.results(rows)  # type: ignore[arg-type]
    assert len(text) <= 40_000 and text.count("`gate-") == 50


def loud_findings(kind: str) -> str:
    """Findings at the sizes the gate keeps: ten long items (or forty jobs), more counted."""
    if kind == "github":
        item = {
            "number": 123456,
            "title": "<!channel> " + "t" * 290,
            "url": "https://github.com/kubernetes/kubernetes/issues/123456",
            "labels": ["l" * 50] * 10,
            "assignees": ["a" * 40] * 10,
            "opened": "2026-11-01T00:00:00+00:00",
            "pr": True,
            "draft": True,
        }
        return json.dumps({"kind": "github", "total": 999, "items": [item] * 10})
    job = {
        "dashboard": "d" * 100,
        "name": "j" * 200,
        "status": "failing",
        "blocking": False,
        "line": "s" * 200,
        "link": "https://testgrid.k8s.io/" + "d" * 100 + "#" + "j" * 200,
        "last_run": "2026-11-29T00:00:00+00:00",
        "failing_tests": 40,
    }
    return json.dumps({"kind": "testgrid", "jobs": [job] * 40, "more": 60})


@pytest.mark.parametrize("kind", ["github", "testgrid"])
def test_native_alerts_and_lists_fit_with_every_item_counted(bot: RunningBot, kind: str) -> None:
    crowded_release(bot.services.db, CHANNEL, gates=50, owners_each=20, states=("failing",))
    with bot.services.db.session() as s:
        for gate in s.exec(select(Gate)):
            gate.kind, gate.findings = kind, loud_findings(kind)
            s.add(gate)
    with bot.services.db.read() as s:
        found = list(s.exec(select(Gate)))
    now = datetime(2026, 11, 30, tzinfo=UTC)
    text, blocks = render.alert(found[0], ZONE, owners(20), now=now)
    assert check_message({"text": text, "blocks": blocks}) == []
    shown = "\n".join(collect_texts(blocks))
    assert "<!channel>" not in shown
    assert kind != "github" or "&lt;!channel&gt;" in shown
    more = re.search(r"…and (\d+) more (items|jobs)", shown)
    assert more is not None
    listed = shown.count("• ")
    assert listed + int(more.group(1)) == (999 if kind == "github" else 100)
    got = answer(bot, "/gate", "list")
    assert check_message(got) == [], check_message(got)
    assert all(tokens_whole(t) for t in collect_texts(got["blocks"]))


def test_the_signal_line_for_a_poll_names_what_is_not_green_worst_first(bot: RunningBot) -> None:
    crowded_release(bot.services.db, CHANNEL, gates=6, owners_each=1)
    with bot.services.db.session() as s:
        found = list(s.exec(select(Gate).order_by(Gate.name)))  # type: ignore[arg-type]
        found[4].state = "yellow"
        s.add(found[4])
    with bot.services.db.read() as s:
        found = list(s.exec(select(Gate).order_by(Gate.name)))  # type: ignore[arg-type]
    line = render.signal_line(found) or ""
    assert line.startswith("*Gates* (6 gates, 2 failing, 1 yellow, 1 not decided yet; 2 passing)")
    assert line.index(":red_circle:") < line.index(":large_yellow_circle:") < line.index(":white_")
    assert render.signal_line([]) is None
    for gate in found:
        gate.state = "passing"
    assert render.signal_line(found) == ":large_green_circle: Gates: all 6 passing."

"""/checklist driven as Slack drives it: the walk, refusals, failure, retry and skip."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import col, select

from bot.checklist import ids
from bot.checklist.board import MAX_REASON
from bot.checklist.models import Checklist
from bot.core.models import AuditEvent
from tests.conftest import RunningBot
from tests.support.checklist import (
    BM,
    CHANNEL,
    DOCS,
    LEAD,
    MakeBot,
    answer,
    audit_actions,
    bot_with,
    buttons,
    click,
    new_release,
    start,
    steps_of,
    thread,
    told,
    value_of,
    write_template,
)

THREE = [
    {"title": "Cut the branch", "owner": "lead"},
    {"title": "Mock build", "owner": "branch-manager", "expected": "45m"},
    {"title": "Publish docs", "owner": "docs"},
]


def test_the_walk_in_order_from_start_to_summary(make_bot: MakeBot, tmp_path: Path) -> None:
    bot = bot_with(make_bot, tmp_path, THREE)
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot)
    message = bot.fake.texts_of(bot.fake.message(CHANNEL, ts) or {})
    assert "Cut the branch" in message and "Mock build" in message
    assert f"docs (nobody assigned, falls to <@{LEAD}>)" in message
    assert set(buttons(bot, ts)) == {"checklist:done", "checklist:failed", "checklist:skip"}
    bot.fake.wait_for(lambda: any(f"<@{LEAD}>: you're up" in t for t in thread(bot, ts)))

    answer(click(bot, LEAD, "done", buttons(bot, ts)["checklist:done"], ts))
    bot.fake.wait_for(lambda: any(f"<@{BM}>: you're up" in t for t in thread(bot, ts)))
    assert any("*1. Cut the branch* done by" in t for t in thread(bot, ts))
    # the message converges to the new active step, whose button now carries its id
    second = steps_of(bot)[1]
    bot.fake.wait_for(lambda: buttons(bot, ts).get("checklist:done") == value_of(second))

    answer(click(bot, BM, "done", value_of(second), ts))
    bot.fake.wait_for(lambda: any("falls to the lead" in t for t in thread(bot, ts)))
    answer(click(bot, LEAD, "done", value_of(steps_of(bot)[2]), ts))

    summary = bot.fake.wait_for(
        lambda: [p for p in bot.fake.posts(CHANNEL) if "Checklist complete" in bot.fake.texts_of(p)]
    )
    text = bot.fake.texts_of(summary[0])
    for title in ("Cut the branch", "Mock build", "Publish docs"):
        assert title in text
    assert "Total time" in text and text.count(":white_check_mark:") == 3
    assert [s.state for s in steps_of(bot)] == ["done", "done", "done"]
    assert audit_actions(bot, "checklist.") == ["checklist.started", "checklist.completed"]
    assert audit_actions(bot, "step.") == ["step.activated", "step.done"] * 3
    bot.fake.wait_for(lambda: "Complete" in bot.fake.texts_of(bot.fake.message(CHANNEL, ts) or {}))
    assert buttons(bot, ts) == {}
    status = bot.slack.command("/release", "status", user_id=DOCS, channel_id=CHANNEL).json()
    assert "3/3 done" in json.dumps(status)


def test_a_bystander_and_a_later_owner_are_refused_and_nothing_moves(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, THREE[1:])
    new_release(bot, {"branch-manager": [BM], "docs": [DOCS]})
    ts = start(bot)
    build, docs = steps_of(bot)
    before = audit_actions(bot)

    answer(click(bot, "U_BYSTANDER", "done", value_of(build), ts))
    answer(click(bot, DOCS, "done", value_of(build), ts))
    forged = ids.encode_step(docs.id, "active", 1)  # the later step, as if open
    answer(click(bot, DOCS, "done", forged, ts))
    answer(click(bot, "U_BYSTANDER", "failed", value_of(build), ts))
    answer(click(bot, BM, "skip", value_of(build), ts))  # skipping is for a lead

    refusal = bot.fake.wait_for(lambda: told(bot, "U_BYSTANDER"))[0]
    assert f"*branch-manager* (<@{BM}>)" in refusal and f"<@{LEAD}>" in refusal
    docs_told = bot.fake.wait_for(lambda: len(told(bot, DOCS)) >= 2 and told(bot, DOCS))
    assert any("Only *branch-manager*" in t for t in docs_told)
    assert any("not open yet" in t and "*Mock build*" in t for t in docs_told)
    assert any("Only a lead" in t for t in bot.fake.wait_for(lambda: told(bot, BM)))
    assert bot.fake.calls_of("views.open") == []
    assert [s.state for s in steps_of(bot)] == ["active", "pending"]
    assert audit_actions(bot) == before

    answer(click(bot, BM, "done", value_of(build), ts))
    answer(click(bot, BM, "done", value_of(build), ts))  # the same, now stale, button again
    assert any("already marked done by" in t for t in bot.fake.wait_for(lambda: told(bot, BM)[1:]))
    assert [s.state for s in steps_of(bot)] == ["done", "active"]
    assert audit_actions(bot, "step.done") == ["step.done"]


def test_failure_with_a_reason_then_retry_then_a_lead_skips(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, THREE[1:])
    new_release(bot, {"branch-manager": [BM], "docs": [DOCS]})
    ts = start(bot)
    build = steps_of(bot)[0]
    bot.fake.wait_for(lambda: any(f"<@{BM}>: you're up" in t for t in thread(bot, ts)))

    answer(click(bot, BM, "failed", value_of(build), ts))
    modal = bot.fake.wait_for(lambda: bot.fake.calls_of("views.open"))[0].args["view"]
    assert modal["callback_id"] == "checklist:failed" and "Mock build" in json.dumps(modal)
    blank = submit(bot, BM, "checklist:failed", modal["private_metadata"], "   ")
    assert blank.json()["response_action"] == "errors"
    assert steps_of(bot)[0].state == "active"
    reason = "arm64 image push timed out <!channel>"
    assert submit(bot, BM, "checklist:failed", modal["private_metadata"], reason).text == ""
    failed = steps_of(bot)[0]
    assert failed.state == "failed" and failed.reason == reason
    note = bot.fake.wait_for(lambda: [t for t in thread(bot, ts) if "failed, reported by" in t])[0]
    assert "arm64 image push timed out &lt;!channel&gt;" in note and "<!channel>" not in note
    bot.fake.wait_for(lambda: set(buttons(bot, ts)) == {"checklist:retry", "checklist:skip"})
    answer(click(bot, BM, "done", value_of(build), ts))  # Done from before the failure
    assert any("marked failed by" in t for t in bot.fake.wait_for(lambda: told(bot, BM)))

    answer(click(bot, BM, "retry", value_of(failed), ts))
    retried = steps_of(bot)[0]
    assert retried.state == "active" and retried.activations == 2
    bot.fake.wait_for(lambda: [t for t in thread(bot, ts) if "attempt 2" in t])
    bot.fake.wait_for(lambda: len([t for t in thread(bot, ts) if f"<@{BM}>: you're up" in t]) == 2)

    answer(click(bot, LEAD, "skip", value_of(retried), ts))
    skip_modal = bot.fake.wait_for(lambda: bot.fake.calls_of("views.open")[1:])[0].args["view"]
    assert skip_modal["callback_id"] == "checklist:skip"
    submit(bot, LEAD, "checklist:skip", skip_modal["private_metadata"], "built by hand instead")
    assert [s.state for s in steps_of(bot)] == ["skipped", "active"]
    assert steps_of(bot)[0].reason == "built by hand instead"
    bot.fake.wait_for(lambda: [t for t in thread(bot, ts) if "skipped *1. Mock build*" in t])
    bot.fake.wait_for(lambda: [t for t in thread(bot, ts) if f"<@{DOCS}>: you're up" in t])
    with bot.services.db.read() as s:
        trail = s.exec(select(AuditEvent).where(col(AuditEvent.action).startswith("step."))).all()
    changes = [(e.action, e.before, e.after, e.detail) for e in trail if e.subject == "Mock build"]
    assert changes == [
        ("step.activated", "pending", "active", None),
        ("step.failed", "active", "failed", reason),
        ("step.retried", "failed", "active", None),
        ("step.skipped", "active", "skipped", "built by hand instead"),
    ]


def fail(bot: RunningBot, user: str, ts: str, reason: str) -> str:
    """`user` marks the current step failed with `reason`; the thread reply it owes."""
    before = len(bot.fake.calls_of("views.open"))
    step = next(s for s in steps_of(bot) if s.state == "active")
    answer(click(bot, user, "failed", value_of(step), ts))
    modal = bot.fake.wait_for(lambda: bot.fake.calls_of("views.open")[before:])[0].args["view"]
    assert submit(bot, user, "checklist:failed", modal["private_metadata"], reason).text == ""
    return bot.fake.wait_for(
        lambda: [t for t in thread(bot, ts) if f"failed, reported by <@{user}>" in t]
    )[-1]


def test_a_step_failed_by_its_owner_pulls_in_the_lead_and_the_other_owners(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, THREE[1:])
    new_release(bot, {"branch-manager": [BM, "U_BM2"]})
    ts = start(bot)
    note = fail(bot, BM, ts, "the <b>arm64</b> push timed out")
    head, pulled = note.split("\n")
    assert head == (
        f":x: *1. Mock build* failed, reported by <@{BM}>: "
        "“the &lt;b&gt;arm64&lt;/b&gt; push timed out”"
    )
    assert pulled == f":rotating_light: <@{LEAD}>: the lead is needed; owners: <@U_BM2>."
    assert note.count(f"<@{BM}>") == 1
    answer(click(bot, LEAD, "retry", value_of(steps_of(bot)[0]), ts))
    by_lead = fail(bot, LEAD, ts, "still red")
    assert by_lead.endswith(f"The lead reported it; owners: <@{BM}>, <@U_BM2>.")
    assert by_lead.count(f"<@{LEAD}>") == 1


def submit(bot: RunningBot, user: str, callback: str, metadata: str, reason: str) -> Any:
    """Submit a reason modal."""
    values = {"reason": {"text": {"type": "plain_text_input", "value": reason}}}
    return bot.slack.submit(
        user_id=user, callback_id=callback, private_metadata=metadata, values=values
    )


def test_start_needs_a_lead_a_release_and_a_known_template(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    bot = bot_with(make_bot, tmp_path, THREE)
    reply = answer(bot.slack.command("/checklist", "start", user_id=LEAD, channel_id=CHANNEL))
    assert "no active release" in reply
    new_release(bot, {"docs": [DOCS]})
    reply = answer(bot.slack.command("/checklist", "start t", user_id=DOCS, channel_id=CHANNEL))
    assert "Only a lead" in reply
    reply = answer(bot.slack.command("/checklist", "start nope", user_id=LEAD, channel_id=CHANNEL))
    assert "`nope`" in reply and "`kubernetes-minor`" in reply and "`t`" in reply
    start(bot)
    reply = answer(bot.slack.command("/checklist", "start t", user_id=LEAD, channel_id=CHANNEL))
    assert "already running" in reply
    with bot.services.db.read() as s:
        assert len(s.exec(select(Checklist)).all()) == 1


def test_default_template_waits_for_a_go_and_status_is_private(bot: RunningBot) -> None:
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot, "")
    steps = steps_of(bot)
    assert len(steps) == 12 and steps[0].requires == "gonogo"
    assert sum(1 for s in steps if s.not_before is not None) == 2
    answer(click(bot, LEAD, "done", value_of(steps[0]), ts))
    refusal = bot.fake.wait_for(lambda: told(bot, LEAD))[0]
    assert "GO" in refusal and "/gonogo" in refusal
    assert steps_of(bot)[0].state == "active"
    resp = bot.slack.command("/checklist", "status", user_id=BM, channel_id=CHANNEL)
    shown = json.dumps(resp.json())
    assert "0/12 done" in shown and "Go / No-Go" in shown and "checklist:done" not in shown

    # the lead alone votes Go: the poll closes with GO, and now the step can be done
    answer(bot.slack.command("/gonogo", f"voters <@{LEAD}>", user_id=LEAD, channel_id=CHANNEL))
    go = bot.fake.wait_for(lambda: [v for p in bot.fake.posts(CHANNEL) for v in go_buttons(p)])
    resp = bot.slack.click(
        user_id=LEAD, channel_id=CHANNEL, action_id="gonogo:go", value=go[0], message_ts="1"
    )
    assert resp.status_code == 200
    bot.fake.wait_for(lambda: audit_actions(bot, "poll.closed"))
    answer(click(bot, LEAD, "done", value_of(steps[0]), ts))
    assert [s.state for s in steps_of(bot)[:2]] == ["done", "active"]


def go_buttons(post: Any) -> list[str]:
    """Values of the Go buttons in a posted message."""
    return [
        str(element["value"])
        for block in post.args.get("blocks") or []
        for element in block.get("elements", [])
        if isinstance(element, dict) and element.get("action_id") == "gonogo:go"
    ]


def test_templates_lists_builtins_and_names_a_broken_file(
    make_bot: MakeBot, tmp_path: Path
) -> None:
    directory = tmp_path / "templates"
    directory.mkdir()
    write_template(directory, "ours", THREE)
    (directory / "broken.yaml").write_text(
        "steps:\n  - title: A\n    owner: lead\n    expected: 5\n"
    )
    bot = make_bot(templates_dir=directory)
    reply = answer(bot.slack.command("/checklist", "templates", user_id=DOCS, channel_id=CHANNEL))
    for name in ("kubernetes-minor", "kubernetes-patch", "kubeflow", "ours"):
        assert f"`{name}`" in reply
    assert "broken.yaml:4: expected needs a unit" in reply


@pytest.mark.parametrize("text", ["start a b", "frobnicate"])
def test_bad_subcommands_get_the_usage(bot: RunningBot, text: str) -> None:
    reply = answer(bot.slack.command("/checklist", text, user_id=LEAD, channel_id=CHANNEL))
    assert "/checklist start" in reply


def test_a_lead_can_cancel_a_running_checklist(make_bot: MakeBot, tmp_path: Path) -> None:
    bot = bot_with(make_bot, tmp_path, THREE)
    new_release(bot, {})
    ts = start(bot)
    assert "Only a lead" in answer(
        bot.slack.command("/checklist", "cancel", user_id=DOCS, channel_id=CHANNEL)
    )
    assert "cancelled" in answer(
        bot.slack.command("/checklist", "cancel", user_id=LEAD, channel_id=CHANNEL)
    )
    answer(click(bot, LEAD, "done", value_of(steps_of(bot)[0]), ts))
    assert any("cancelled" in t for t in bot.fake.wait_for(lambda: told(bot, LEAD)))
    assert steps_of(bot)[0].state == "active"
    bot.fake.wait_for(lambda: buttons(bot, ts) == {})


@pytest.mark.parametrize(
    ("button", "callback", "user"), [("failed", "failed", BM), ("skip", "skip", LEAD)]
)
def test_a_reason_longer_than_the_limit_is_refused_in_the_modal_saying_the_limit(
    make_bot: MakeBot, tmp_path: Path, button: str, callback: str, user: str
) -> None:
    bot = bot_with(make_bot, tmp_path, THREE[1:])
    new_release(bot, {"branch-manager": [BM]})
    ts = start(bot)
    answer(click(bot, user, button, value_of(steps_of(bot)[0]), ts))
    modal = bot.fake.wait_for(lambda: bot.fake.calls_of("views.open"))[0].args["view"]
    field = modal["blocks"][0]
    assert field["element"]["max_length"] == MAX_REASON == 1000
    assert "at most 1,000 characters" in field["label"]["text"]

    refused = submit(bot, user, f"checklist:{callback}", modal["private_metadata"], "é" * 1001)
    assert refused.json()["response_action"] == "errors"
    assert "1,001 characters" in refused.json()["errors"]["reason"]
    assert "at most 1,000" in refused.json()["errors"]["reason"]
    assert steps_of(bot)[0].state == "active"

    typed = "R&D <beta> " * 90 + "x" * 10  # exactly 1,000 as typed
    assert len(typed) == 1000
    assert submit(bot, user, f"checklist:{callback}", modal["private_metadata"], typed).text == ""
    assert steps_of(bot)[0].reason == typed

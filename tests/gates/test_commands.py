"""/gate end to end: a local service that flips between passing and failing drives the alerts."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

import pytest
from sqlalchemy import text
from sqlmodel import SQLModel, select

from bot.core.fetch import guard
from bot.core.models import AuditEvent
from bot.gates.models import Gate
from tests.conftest import RunningBot
from tests.gates.builders import BROKEN, CHANNEL, LEAD, OK, OTHER, OWNER, gate_named, say
from tests.kit.gate_server import Answer, GateServer
from tests.support.checklist import awake


@pytest.fixture
def gbot(make_bot: Callable[..., RunningBot]) -> RunningBot:
    """A bot that may reach 127.0.0.1 and checks as often as every half second."""
    running = make_bot(gate_allow=("127.0.0.1",), gate_min_interval=0.5, gate_timeout=1.0)
    start(running)
    return running


def start(bot: RunningBot) -> None:
    reply = say(bot, "/release", "new v1.31 on 2027-03-15 10:00 PT")
    assert "lead" in reply


def posts_with(bot: RunningBot, needle: str) -> list[dict]:  # type: ignore[type-arg]
    return [c.args for c in bot.fake.posts(CHANNEL) if needle in bot.fake.texts_of(c)]


def test_flipping_service_alerts_once_repings_escalates_and_recovers(
    gbot: RunningBot, server: GateServer
) -> None:
    awake(gbot, OWNER, LEAD)
    server.set(200, OK)
    reply = say(
        gbot,
        "/gate",
        f'add ci <{server.url("/health")}> expect json.state == "ok" '
        f"owner <@{OWNER}> every 1s after 2 repeat 1s",
    )
    assert "Gate `ci` added" in reply and f"<@{OWNER}>" in reply
    gbot.fake.wait_for(lambda: (g := gate_named(gbot, "ci")) and g.state == "passing")

    server.set(200, BROKEN)
    gbot.fake.wait_for(lambda: (g := gate_named(gbot, "ci")) and g.fail_streak == 1)
    assert posts_with(gbot, "is failing") == []  # one failure is damped
    alert = gbot.fake.wait_for(lambda: posts_with(gbot, "is failing"))[0]
    alert_text = gbot.fake.texts_of(alert)
    assert f"<@{OWNER}>" in alert_text and '"broken"' in alert_text

    # Without waits set, the lead is asked after 3 re-pings' time (4 x 1 s) of no answer.
    escalation = gbot.fake.wait_for(lambda: posts_with(gbot, "pulling you in"), timeout=10)
    asked = gbot.fake.texts_of(escalation[0])
    assert f"No answer from <@{OWNER}> in 4s, so I am asking the lead (<@{LEAD}>)" in asked
    assert escalation[0].get("reply_broadcast") is True  # the lead's ask shows in the channel
    alert_ts = (gate_named(gbot, "ci") or Gate()).alert_ts  # type: ignore[call-arg]
    assert alert_ts and escalation[0].get("thread_ts") == alert_ts
    repings = [p for p in gbot.fake.replies(CHANNEL, alert_ts) if "still failing" in str(p)]
    assert len(repings) >= 3 and all(f"<@{OWNER}>" in gbot.fake.texts_of(p) for p in repings)
    assert all(f"<@{LEAD}>" not in gbot.fake.texts_of(p) for p in repings)

    server.set(200, OK)
    recovery = gbot.fake.wait_for(lambda: posts_with(gbot, "passing again"))
    assert "red" in gbot.fake.texts_of(recovery[0])
    assert len(posts_with(gbot, "is failing*")) == 1  # still one alert for one transition
    with gbot.services.db.read() as s:
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
    assert actions[-4:] == ["gate.passing", "gate.failing", "gate.escalated", "gate.passing"]
    status = say(gbot, "/release", "status", user=OTHER)
    body = gbot.slack.command("/release", "status", user_id=OTHER, channel_id=CHANNEL).json()
    assert "`ci` passing since <!date^" in status + json.dumps(body)


@pytest.mark.parametrize(
    ("host", "address", "kind"),
    [
        ("ten.gates.test", "10.0.0.1", "private"),
        ("metadata.gates.test", "169.254.169.254", "link-local"),
        ("six.gates.test", "::1", "loopback"),
        ("127.0.0.1", "127.0.0.1", "loopback"),
    ],
)
def test_private_and_metadata_addresses_are_refused_at_add(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch, host: str, address: str, kind: str
) -> None:
    monkeypatch.setattr(guard, "resolve", lambda h, p: [address] if h == host else [])
    start(bot)
    reply = say(bot, "/gate", f"add ci <http://{host}/latest/meta-data|{host}>")
    assert "will not check" in reply and address in reply and kind in reply
    assert gate_named(bot, "ci") is None


def test_a_redirect_to_a_private_address_fails_the_check(
    gbot: RunningBot, server: GateServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    real = guard.resolve
    monkeypatch.setattr(
        guard, "resolve", lambda h, p: ["10.9.8.7"] if h == "internal.test" else real(h, p)
    )
    server.answers["/hop"] = Answer(302, "", headers={"Location": "http://internal.test/admin"})
    say(gbot, "/gate", f"add hop {server.url('/hop')} every 1h")
    say(gbot, "/gate", "check hop", user=OTHER)
    result = gbot.fake.wait_for(lambda: gbot.fake.ephemerals(OTHER))[-1]
    shown = gbot.fake.texts_of(result)
    assert "`hop`" in shown and "refused" in shown and "10.9.8.7" in shown
    stored = gbot.fake.wait_for(lambda: (gate_named(gbot, "hop") or Gate()).last_detail)  # type: ignore[call-arg]
    assert "refused" in stored and "private" in stored


def test_header_secret_is_used_and_never_stored(
    make_bot: Callable[..., RunningBot], server: GateServer
) -> None:
    secret = "tok-e2e-5ecret-value"
    gbot = make_bot(
        gate_allow=("127.0.0.1",),
        gate_min_interval=0.5,
        gate_timeout=1.0,
        gate_grants={"GATE_E2E_TOKEN": ("127.0.0.1",), "GATE_E2E_NOPE": ("127.0.0.1",)},
        gate_secret_values={"GATE_E2E_TOKEN": secret},
    )
    start(gbot)
    line = f'add api {server.url()} header "Authorization: Bearer ${{GATE_E2E_TOKEN}}" every 1h'
    assert "added" in say(gbot, "/gate", line)
    gbot.fake.wait_for(lambda: (g := gate_named(gbot, "api")) and g.state == "passing")
    assert server.requests[-1][1]["Authorization"] == f"Bearer {secret}"
    query = server.url("/q?token=${GATE_E2E_TOKEN}")
    assert "added" in say(gbot, "/gate", f"add query {query} expect status == 201 every 1h")
    gbot.fake.wait_for(lambda: (g := gate_named(gbot, "query")) and g.last_result == "fail")
    assert server.requests[-1][0] == f"/q?token={secret}"
    assert "not its host" in say(gbot, "/gate", "add host http://${GATE_E2E_TOKEN}/")
    assert "is not set" in say(
        gbot, "/gate", f'add gone {server.url()} header "X-Key: ${{GATE_E2E_NOPE}}"'
    )
    gbot.fake.wait_for(lambda: (g := gate_named(gbot, "gone")) and g.last_result == "fail")
    assert "GATE_E2E_NOPE is not set" in (gate_named(gbot, "gone") or Gate()).last_detail  # type: ignore[call-arg, operator]
    with gbot.services.db.read() as s:
        for table in SQLModel.metadata.sorted_tables:
            rows = s.execute(text(f'SELECT * FROM "{table.name}"')).all()
            assert secret not in repr(rows), table.name


def test_timeouts_and_refused_connections_fail_with_the_error_shown(
    gbot: RunningBot, server: GateServer
) -> None:
    server.answers["/slow"] = Answer(200, OK, delay=3)
    say(gbot, "/gate", f"add slow {server.url('/slow')} every 1h")
    say(gbot, "/gate", "add closed http://127.0.0.1:9/ every 1h")
    gbot.fake.wait_for(
        lambda: all((g := gate_named(gbot, n)) and g.last_result for n in ("slow", "closed"))
    )
    listing = say(gbot, "/gate", "list", user=OTHER)
    assert "timed out" in listing and "could not connect" in listing
    say(gbot, "/gate", "check", user=OTHER)
    result = gbot.fake.wait_for(lambda: gbot.fake.ephemerals(OTHER), timeout=8)[-1]
    assert "timed out" in gbot.fake.texts_of(result) and ":x: `closed`" in gbot.fake.texts_of(
        result
    )


def click(bot: RunningBot, user: str, value: dict, ts: str):  # type: ignore[no-untyped-def, type-arg]
    return bot.slack.click(
        user_id=user,
        channel_id=CHANNEL,
        action_id=f"gate:set:{value['to']}",
        value=json.dumps(value),
        message_ts=ts,
    )


def test_manual_gate_set_by_its_owner_with_buttons(bot: RunningBot) -> None:
    start(bot)
    reply = say(bot, "/gate", f"manual docs-ready owner <@{OWNER}>")
    assert "docs-ready" in reply
    card = bot.fake.wait_for(lambda: posts_with(bot, "docs-ready"))[0]
    ts = bot.fake.wait_for(lambda: (gate_named(bot, "docs-ready") or Gate()).message_ts)  # type: ignore[call-arg]
    buttons = [e for b in card["blocks"] if b["type"] == "actions" for e in b["elements"]]
    values = {e["action_id"] + e["value"] for e in buttons}
    gid = (gate_named(bot, "docs-ready") or Gate()).id  # type: ignore[call-arg]
    assert f'gate:set:pass{{"g":{gid},"v":0,"to":"pass"}}' in values

    click(bot, OTHER, {"g": gid, "v": 0, "to": "pass"}, ts)
    refusal = bot.fake.wait_for(lambda: bot.fake.ephemerals(OTHER))[-1]
    assert f"<@{OWNER}>" in bot.fake.texts_of(refusal)
    assert (gate_named(bot, "docs-ready") or Gate()).state == "unknown"  # type: ignore[call-arg]

    assert click(bot, OWNER, {"g": gid, "v": 0, "to": "pass"}, ts).status_code == 200
    assert (gate_named(bot, "docs-ready") or Gate()).state == "passing"  # type: ignore[call-arg]
    updated = bot.fake.wait_for(
        lambda: (
            (m := bot.fake.message(CHANNEL, ts)) and "passing since" in bot.fake.texts_of(m) and m
        )
    )
    assert f"by <@{OWNER}>" in bot.fake.texts_of(updated)
    assert "Mark failing" in bot.fake.texts_of(updated) and "Mark passing" not in bot.fake.texts_of(
        updated
    )

    click(bot, OWNER, {"g": gid, "v": 0, "to": "fail"}, ts)  # drawn before the change
    stale = bot.fake.wait_for(lambda: bot.fake.ephemerals(OWNER))[-1]
    assert "changed since" in bot.fake.texts_of(stale)
    assert (gate_named(bot, "docs-ready") or Gate()).state == "passing"  # type: ignore[call-arg]

    click(bot, LEAD, {"g": gid, "v": 1, "to": "fail"}, ts)
    alert = bot.fake.wait_for(lambda: posts_with(bot, "is failing"))
    assert f"<@{OWNER}>" in bot.fake.texts_of(alert[0])


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        ("add ci https://ci.example.com/x expect json.state = ok", "comparison"),
        ("add ci https://ci.example.com/x expect size > 3", "cannot check `size`"),
        ("add ci https://ci.example.com/x expect json.n <= many", "compares numbers"),
        ("add ci https://ci.example.com/x every 1s", "at least"),
        ("add ci https://ci.example.com/x every soon", "not a duration"),
        ('add ci https://ci.example.com/x header "Authorization: Bearer abc"', "environment"),
        ("add ci https://ci.example.com/x owner dana!", "not a person or a role"),
        ("add ci https://ci.example.com/x frobnicate", "did not understand"),
        ("add -ci https://ci.example.com/x", "gate name"),
        ("add ci ftp://ci.example.com/x", "http"),
        ("add ci", "/gate add NAME URL"),
        ("remove", "/gate remove NAME"),
        ("remove nothing-here", "no gate `nothing-here`"),
        ("check nothing-here", "no gate"),
    ],
)
def test_bad_gate_commands_say_what_is_wrong_and_store_nothing(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch, line: str, expected: str
) -> None:
    monkeypatch.setattr(guard, "resolve", lambda h, p: ["93.184.216.34"])
    start(bot)
    reply = say(bot, "/gate", line)
    assert expected in reply, reply
    with bot.services.db.read() as s:
        assert s.exec(select(Gate)).all() == []


def test_only_a_lead_adds_or_removes_gates_and_names_are_unique(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "resolve", lambda h, p: ["93.184.216.34"])
    assert "no active release" in say(bot, "/gate", "manual x")
    start(bot)
    assert "Only a lead" in say(bot, "/gate", "manual x", user=OTHER)
    assert "added" in say(bot, "/gate", "manual x")
    assert "already has a gate" in say(bot, "/gate", "manual X")
    assert "Only a lead" in say(bot, "/gate", "remove x", user=OTHER)
    assert "removed" in say(bot, "/gate", "remove x", user="U_ADMIN")
    assert gate_named(bot, "x") is None
    help_text = say(bot, "/gate", "help", user=OTHER)
    assert "/gate add NAME URL" in help_text and "body contains" in help_text


def test_slack_escaped_url_and_operators_are_read_as_typed(
    gbot: RunningBot, server: GateServer
) -> None:
    server.set(200, json.dumps({"failed": 2, "name": "a&b"}))
    url = server.url("/q?branch=main&amp;limit=2")
    line = f'add esc <{url}|link> expect json.failed &lt;= 3 and json.name == "a&amp;b" every 1h'
    assert "added" in say(gbot, "/gate", line)
    gbot.fake.wait_for(lambda: (g := gate_named(gbot, "esc")) and g.state == "passing")
    assert server.requests[-1][0] == "/q?branch=main&limit=2"
    stored = gate_named(gbot, "esc")
    assert stored is not None and stored.expect == 'json.failed <= 3 and json.name == "a&b"'


def test_names_as_slack_sends_them_are_decoded_once_and_echoed_escaped_once(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(guard, "resolve", lambda h, p: ["93.184.216.34"])
    start(bot)
    typed_amp = say(bot, "/gate", "add a&amp;b https://ci.example.com/")  # typed: a&b
    assert "`a&amp;b` is not a gate name" in typed_amp
    typed_entity = say(bot, "/gate", "add a&amp;amp;b https://ci.example.com/")  # a&amp;b
    assert "`a&amp;amp;b` is not a gate name" in typed_entity
    angle = say(bot, "/gate", "manual x&lt;!channel&gt;")  # typed: x<!channel>
    assert "`x&lt;!channel&gt;` is not a gate name" in angle and "<!channel>" not in angle
    missing = say(bot, "/gate", "check r&amp;d")
    assert "no gate `r&amp;d`" in missing and "&amp;amp;" not in missing
    with bot.services.db.read() as s:
        assert s.exec(select(Gate)).all() == []


def test_removing_a_gate_retires_its_card_and_its_checks(
    gbot: RunningBot, server: GateServer
) -> None:
    say(gbot, "/gate", f"add ci {server.url()} every 1s")
    ts = gbot.fake.wait_for(lambda: (gate_named(gbot, "ci") or Gate()).message_ts)  # type: ignore[call-arg]
    assert "removed" in say(gbot, "/gate", "remove ci")
    gbot.fake.wait_for(
        lambda: (m := gbot.fake.message(CHANNEL, ts)) and "was removed" in gbot.fake.texts_of(m)
    )
    hits = server.hits()
    time.sleep(1.5)
    assert server.hits() <= hits + 1  # at most a check already in flight


@pytest.mark.parametrize(
    "line",
    [
        "check <!channel>",
        "remove <!here>",
        "add ci https://ci.example.com/ owner <!channel>",
        "add ci https://ci.example.com/ <!everyone>",
        'add ci https://ci.example.com/ expect json.x == "<!channel>\\q"',
        "add ci https://ci.example.com/ every <!here>",
        'add ci https://ci.example.com/ header "<!channel>: x"',
    ],
)
def test_hostile_words_are_never_echoed_as_pings(
    bot: RunningBot, monkeypatch: pytest.MonkeyPatch, line: str
) -> None:
    monkeypatch.setattr(guard, "resolve", lambda h, p: ["93.184.216.34"])
    start(bot)
    reply = say(bot, "/gate", line)
    assert reply.startswith(":warning:"), reply
    assert "<!" not in reply

"""Gate secrets over the real HTTP endpoint: the bot's own credentials never leave it.

A gate server on loopback records every path and header it receives; each test ends by
proving that no credential of the bot reached it, and a granted secret only its bound host.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator

import pytest
from sqlmodel import select

from bot.gates.models import Gate
from bot.gates.probe import check
from bot.release.models import Release
from tests.conftest import SECRET, TOKEN, RunningBot
from tests.kit.gate_server import Answer, GateServer

CHANNEL = "C_SECRETS"
LEAD = "U_LEAD"
APP_TOKEN = "xapp-1-A0-app-level-s3cret"
DB_PASSWORD = "pg-pa55word-s3cret"
DB_URL = f"postgresql://releasebot:{DB_PASSWORD}@db.internal:5432/releasebot"
CI_TOKEN = "ci-t0ken-value-granted"
OWN = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN", "DATABASE_URL")


@pytest.fixture
def server() -> Iterator[GateServer]:
    with GateServer() as srv:
        yield srv


@pytest.fixture
def sbot(make_bot: Callable[..., RunningBot], monkeypatch: pytest.MonkeyPatch) -> RunningBot:
    """A bot whose own credentials are in its environment, with CI_TOKEN granted for 127.0.0.1."""
    for name, value in zip(OWN, (TOKEN, SECRET, APP_TOKEN, DB_URL), strict=True):
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("CI_TOKEN", CI_TOKEN)
    running = make_bot(
        gate_allow=("127.0.0.1", "localhost"),
        gate_min_interval=0.5,
        gate_timeout=2.0,
        gate_grants={"CI_TOKEN": ("127.0.0.1",)},
        gate_secret_values={"CI_TOKEN": CI_TOKEN},
    )
    assert "lead" in say(running, "/release", "new v2.0 on 2027-03-15 10:00 PT")
    return running


def say(bot: RunningBot, cmd: str, line: str, user: str = LEAD) -> str:
    resp = bot.slack.command(cmd, line, user_id=user, channel_id=CHANNEL)
    assert resp.status_code == 200, resp.text
    return str(resp.json().get("text", "")) if resp.text else ""


def gate(bot: RunningBot, name: str) -> Gate | None:
    with bot.services.db.read() as s:
        return s.exec(select(Gate).where(Gate.name == name)).first()


def assert_no_credential_reached(server: GateServer, bot: RunningBot) -> None:
    """Nothing the gate server saw, nor anything sent to Slack, holds a bot credential."""
    seen = json.dumps(server.requests)
    for value in (TOKEN, SECRET, APP_TOKEN, DB_PASSWORD):
        assert value not in seen
        for call in bot.fake.calls:
            assert value not in json.dumps(call.args)


@pytest.mark.parametrize("name", OWN)
def test_the_bots_own_credentials_are_refused_in_headers_and_urls(
    sbot: RunningBot, server: GateServer, name: str
) -> None:
    header = f'add h {server.url()} header "X-T: ${{{name}}}" every 1h'
    answer = say(sbot, "/gate", header)
    assert "will not add" in answer and f"`${{{name}}}` is not granted" in answer
    assert "RELEASEBOT_GATE_SECRETS" in answer
    answer = say(sbot, "/gate", f"add u {server.url('/x?t=${' + name + '}')} every 1h")
    assert f"`${{{name}}}` is not granted" in answer
    assert gate(sbot, "h") is None and gate(sbot, "u") is None
    assert server.requests == []
    assert_no_credential_reached(server, sbot)


def test_a_stored_gate_naming_a_credential_fails_without_sending_anything(
    sbot: RunningBot, server: GateServer
) -> None:
    """A gate stored before grants existed fails with the reason; nothing goes out."""
    with sbot.services.db.session() as s:
        release = s.exec(select(Release).where(Release.channel_id == CHANNEL)).one()
        headers = check.dump_headers([("X-T", "${SLACK_BOT_TOKEN}")])
        url = server.url("/q?db=${DATABASE_URL}")
        s.add(
            Gate(
                release_id=release.id, name="old", kind="http", url=url, headers=headers,
                owners="[]", created_by=LEAD, created_at=release.created_at,
                state_since=release.created_at, next_check_at=release.created_at,
            )
        )  # fmt: skip
    sbot.services.scheduler.poke()
    detail = sbot.fake.wait_for(lambda: (gate(sbot, "old") or Gate()).last_detail, timeout=10)  # type: ignore[call-arg]
    assert "nothing sent" in detail and "not granted" in detail
    assert server.requests == []
    assert_no_credential_reached(server, sbot)


def test_a_granted_secret_reaches_its_host_only(sbot: RunningBot, server: GateServer) -> None:
    added = say(sbot, "/gate", f'add ci {server.url()} header "X-CI: ${{CI_TOKEN}}" every 1h')
    assert "added" in added
    sbot.fake.wait_for(lambda: (g := gate(sbot, "ci")) and g.state == "passing")
    assert server.requests[-1][1]["X-CI"] == CI_TOKEN
    other = f"http://localhost:{server.port}/"
    refused = say(sbot, "/gate", f'add other {other} header "X-CI: ${{CI_TOKEN}}" every 1h')
    assert "`${CI_TOKEN}` may only be sent to `127.0.0.1`, not to `localhost`" in refused
    refused = say(sbot, "/gate", f"add q {other}?t=${{CI_TOKEN}} every 1h")
    assert "may only be sent to `127.0.0.1`" in refused
    assert gate(sbot, "other") is None and gate(sbot, "q") is None
    assert all(req[1].get("Host", "").startswith("127.0.0.1") for req in server.requests)
    assert_no_credential_reached(server, sbot)


def test_a_redirect_to_another_host_does_not_carry_the_secret(
    sbot: RunningBot, server: GateServer
) -> None:
    server.answers["/hop"] = Answer(
        302, "", headers={"Location": f"http://localhost:{server.port}/land"}
    )
    line = f'add hop {server.url("/hop")} header "X-CI: ${{CI_TOKEN}}" every 1h'
    assert "added" in say(sbot, "/gate", line)
    sbot.fake.wait_for(lambda: server.hits("/land"))
    first, landed = server.requests[0], server.requests[-1]
    assert first[0] == "/hop" and first[1]["X-CI"] == CI_TOKEN
    assert landed[0] == "/land" and landed[1]["Host"].startswith("localhost")
    assert "X-CI" not in landed[1] and CI_TOKEN not in json.dumps(landed)
    assert_no_credential_reached(server, sbot)


def test_only_named_creators_start_releases_and_add_gates(
    make_bot: Callable[..., RunningBot], server: GateServer
) -> None:
    bot = make_bot(release_creators=frozenset({"U_BOSS", "S_LEADS"}), gate_allow=("127.0.0.1",))
    bot.fake.usergroups = {"S_LEADS": ["U_MEMBER"]}
    refused = say(bot, "/release", "new v3.0", user="U_NOBODY")
    assert "only <@U_BOSS>, <!subteam^S_LEADS> can start a release" in refused
    assert "lead" in say(bot, "/release", "new v3.0", user="U_MEMBER")
    role = say(bot, "/release", "role lead <@U_MEMBER> <@U_NOBODY>", user="U_MEMBER")
    assert "<@U_NOBODY>" in role
    refused = say(bot, "/gate", f"add ci {server.url()}", user="U_NOBODY")
    assert "can add gates" in refused and gate(bot, "ci") is None
    assert "added" in say(bot, "/gate", f"add ci {server.url()}", user="U_MEMBER")


def test_a_workspace_without_user_groups_gets_a_clear_answer(
    make_bot: Callable[..., RunningBot],
) -> None:
    bot = make_bot(release_creators=frozenset({"S_LEADS"}))
    bot.fake.usergroups = None
    answer = say(bot, "/release", "new v3.0", user="U_SOMEONE")
    assert "no user groups" in answer and "Traceback" not in answer

"""GitHub and TestGrid gates end to end: local services drive alerts, history and the chart."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest
from sqlmodel import select

from bot.gates import history
from bot.gates import service as gates
from bot.gates.models import Gate, GateCheck
from tests.conftest import RunningBot
from tests.gates.builders import CHANNEL, OTHER, OWNER, gate_named, say
from tests.kit.fake_slack import Call
from tests.kit.github_server import GitHubServer, issue
from tests.kit.testgrid_server import TestGridServer

QUERY = "repo:kubernetes/kubernetes is:open milestone:v1.33 label:release-blocker"
BLOCKING, INFORMING = "sig-release-master-blocking", "sig-release-master-informing"
PNG = b"\x89PNG\r\n\x1a\n"


@pytest.fixture
def nbot(make_bot: Callable[..., RunningBot], gh: GitHubServer, tg: TestGridServer) -> RunningBot:
    """A bot asking the local GitHub and TestGrid, checking as often as every half second."""
    running = make_bot(
        github_api=gh.api,
        testgrid_url=tg.base,
        gate_allow=("127.0.0.1",),
        gate_min_interval=0.5,
        gate_timeout=2.0,
    )
    assert "lead" in say(running, "/release", "new v1.33 on 2027-03-15 10:00 PT")
    return running


def posts_with(bot: RunningBot, needle: str) -> list[Call]:
    return [c for c in bot.fake.posts(CHANNEL) if needle in bot.fake.texts_of(c)]


def state_of(bot: RunningBot, name: str) -> str | None:
    found = gate_named(bot, name)
    return found.state if found else None


def values_of(bot: RunningBot, name: str) -> list[float | None]:
    found = gate_named(bot, name)
    assert found is not None and found.id is not None
    with bot.services.db.read() as s:
        return [row.value for row in history.history(s, found.id)]


def test_github_gate_alerts_its_owner_once_with_the_items_turns_green_and_keeps_3_to_0(
    nbot: RunningBot, gh: GitHubServer
) -> None:
    gh.items = [
        issue(101, "kubelet panics on start", assignees=("alice",)),
        issue(
            102, "etcd upgrade <!channel> breaks & rollback", labels=("release-blocker", "sig/api")
        ),
        issue(103, "Revert the scheduler change", pr=True),
    ]
    reply = say(nbot, "/gate", f"github blockers {QUERY} owner <@{OWNER}> every 1s after 1")
    assert "Gate `blockers` added (GitHub search" in reply and f"<@{OWNER}>" in reply
    assert "without a token" in reply  # nothing granted: it asks anonymously
    nbot.fake.wait_for(lambda: state_of(nbot, "blockers") == "failing")
    alert = nbot.fake.wait_for(lambda: posts_with(nbot, "is failing"))[0]
    shown = nbot.fake.texts_of(alert)
    assert f"<@{OWNER}>" in shown
    for path in ("issues/101|#101>", "issues/102|#102>", "pull/103|#103>"):
        assert f"<https://github.com/kubernetes/kubernetes/{path}" in shown
    assert "@alice" in shown and "&lt;!channel&gt;" in shown and "<!channel>" not in shown
    listing = say(nbot, "/gate", "list blockers", user=OTHER)
    assert "#101" in listing and "kubelet panics on start" in listing and "3 open" in listing
    assert gh.queries()[0]["q"] == [QUERY] and "Authorization" not in gh.requests[0][1]
    nbot.fake.wait_for(lambda: len(values_of(nbot, "blockers")) >= 3)  # more checks, still red

    gh.items = []
    nbot.fake.wait_for(lambda: state_of(nbot, "blockers") == "passing")
    nbot.fake.wait_for(lambda: posts_with(nbot, "passing again"))
    assert len(posts_with(nbot, "is failing*")) == 1  # one alert for the one turn to red
    seen = values_of(nbot, "blockers")
    assert seen[0] == 3 and seen[-1] == 0 and set(seen) == {3.0, 0.0}

    assert "Drawing the burndown of `blockers`" in say(nbot, "/gate", "chart blockers")
    shared = nbot.fake.wait_for(lambda: nbot.fake.files, timeout=15)[0]
    assert shared.content.startswith(PNG) and shared.channel_id == CHANNEL
    assert shared.filename == "gate-blockers-burndown.png" and "blockers" in shared.title


def test_a_rate_limited_search_leaves_the_gate_unknown_and_waits_before_asking_again(
    nbot: RunningBot, gh: GitHubServer
) -> None:
    say(nbot, "/gate", f"github blockers {QUERY} every 1s")
    nbot.fake.wait_for(lambda: state_of(nbot, "blockers") == "passing")
    gh.limited_until = time.time() + 4
    nbot.fake.wait_for(lambda: state_of(nbot, "blockers") == "unknown")
    stored = gate_named(nbot, "blockers")
    assert stored is not None and "rate limit" in (stored.last_detail or "")
    with nbot.services.db.read() as s:
        assert gates.blocking(s, stored.release_id, ["blockers"]) == [
            ("blockers", [stored.created_by])
        ]
    asked = gh.hits()
    say(nbot, "/gate", "check blockers", user=OTHER)
    told = nbot.fake.wait_for(lambda: nbot.fake.ephemerals(OTHER))[-1]
    assert "not asked" in nbot.fake.texts_of(told) and "rate limit" in nbot.fake.texts_of(told)
    time.sleep(1.5)
    assert gh.hits() == asked  # nobody asks GitHub before it said it would answer again
    assert posts_with(nbot, "is failing") == []  # unknown alerts nobody
    nbot.fake.wait_for(lambda: state_of(nbot, "blockers") == "passing", timeout=10)
    with nbot.services.db.read() as s:
        rows = s.exec(select(GateCheck).order_by(GateCheck.id)).all()  # type: ignore[arg-type]
    assert [r.result for r in rows][:1] == ["pass"] and "unknown" in [r.result for r in rows]


def test_testgrid_gate_is_yellow_when_flaky_then_red_with_the_jobs_named(
    nbot: RunningBot, tg: TestGridServer
) -> None:
    tg.dashboards = {
        BLOCKING: {"gce-cos-master-default": "PASSING", "kind-ipv6": "FLAKY"},
        INFORMING: {"e2e-alpha": "STALE"},
    }
    say(nbot, "/release", "role ci-signal <@U_SIG>")
    line = f"testgrid signal {BLOCKING} informing {INFORMING} owner ci-signal every 1s after 1"
    reply = say(nbot, "/gate", line)
    assert "Gate `signal` added (TestGrid" in reply and "<@U_SIG>" in reply and "ci-signal" in reply
    nbot.fake.wait_for(lambda: state_of(nbot, "signal") == "yellow")
    listing = say(nbot, "/gate", "list", user=OTHER)
    assert "`signal` yellow" in listing and "kind-ipv6" in listing and "*stale*" in listing
    with nbot.services.db.read() as s:
        release_id = (gate_named(nbot, "signal") or Gate()).release_id  # type: ignore[call-arg]
        assert gates.blocking(s, release_id, ["signal"]) == [("signal", ["U_SIG"])]
    assert posts_with(nbot, "Gate `signal` is") == []  # yellow does not alert by default

    tg.dashboards[BLOCKING]["gce-ubuntu"] = "FAILING"
    alert = nbot.fake.wait_for(lambda: posts_with(nbot, "Gate `signal` is failing"))[0]
    shown = nbot.fake.texts_of(alert)
    assert "<@U_SIG>" in shown and f"{BLOCKING}#gce-ubuntu|{BLOCKING} / gce-ubuntu>" in shown
    assert "*failing*" in shown and "0 of 9 (0.0%) recent columns passed" in shown
    assert "kind-ipv6" in shown and "*flaky*" in shown
    say(nbot, "/release", "role ci-signal <@U_SIG2>")  # a hand-over: the next ping finds them
    with nbot.services.db.read() as s:
        assert gates.owners_of(s, gate_named(nbot, "signal") or Gate()) == ["U_SIG2"]  # type: ignore[call-arg]


def test_a_gate_that_asks_for_it_alerts_on_yellow(nbot: RunningBot, tg: TestGridServer) -> None:
    tg.dashboards = {BLOCKING: {"kind-ipv6": "FLAKY"}}
    line = f"testgrid signal {BLOCKING} owner <@{OWNER}> every 1s after 1 alert-on-yellow"
    assert "yellow alerts too" in say(nbot, "/gate", line)
    alert = nbot.fake.wait_for(lambda: posts_with(nbot, "Gate `signal` is yellow"))[0]
    assert f"<@{OWNER}>" in nbot.fake.texts_of(alert) and "kind-ipv6" in nbot.fake.texts_of(alert)
    tg.dashboards[BLOCKING]["kind-ipv6"] = "PASSING"
    nbot.fake.wait_for(lambda: posts_with(nbot, "passing again"))


@pytest.mark.parametrize(
    ("line", "said"),
    [
        ("github blockers", "Name the gate and the GitHub search"),
        ("github blockers " + "x" * 300, "at most 256"),
        ("testgrid signal", "at least one blocking"),
        ("testgrid signal informing sig-release-master-informing", "at least one blocking"),
        ("testgrid signal <!channel>", "not a TestGrid dashboard"),
        ("chart nothing-here", "no gate"),
        ("github x repo:a/b owner <!here>", "not a person or a role"),
    ],
)
def test_bad_native_gate_commands_say_what_is_wrong(nbot: RunningBot, line: str, said: str) -> None:
    reply = say(nbot, "/gate", line)
    assert said in reply, reply
    assert "<!" not in reply
    with nbot.services.db.read() as s:
        assert s.exec(select(Gate)).all() == []


def test_a_gate_that_counts_nothing_has_no_chart(nbot: RunningBot) -> None:
    say(nbot, "/gate", "manual docs")
    assert "counts nothing to chart" in say(nbot, "/gate", "chart docs")
    assert nbot.fake.files == []


def test_the_github_api_must_be_allowed_by_the_address_guard(
    make_bot: Callable[..., RunningBot], gh: GitHubServer
) -> None:
    bot = make_bot(github_api=gh.api)
    say(bot, "/release", "new v1.33")
    reply = say(bot, "/gate", f"github blockers {QUERY}")
    assert "RELEASEBOT_GITHUB_API" in reply and "loopback" in reply


def test_a_user_group_may_own_a_gate_and_its_members_set_it(nbot: RunningBot) -> None:
    nbot.fake.usergroups = {"S0DOCS": ["U_MEMBER"]}
    reply = say(nbot, "/gate", "manual docs owner <!subteam^S0DOCS|@docs>")
    assert "owned by <!subteam^S0DOCS>" in reply
    stored = nbot.fake.wait_for(lambda: (g := gate_named(nbot, "docs")) and g.message_ts and g)
    value = f'{{"g":{stored.id},"v":{stored.version},"to":"fail"}}'
    nbot.slack.click(
        user_id="U_MEMBER",
        channel_id=CHANNEL,
        action_id="gate:set:fail",
        value=value,
        message_ts=stored.message_ts,
    )
    nbot.fake.wait_for(lambda: state_of(nbot, "docs") == "failing")
    alert = nbot.fake.wait_for(lambda: posts_with(nbot, "Gate `docs` is failing"))[0]
    assert "<!subteam^S0DOCS>" in nbot.fake.texts_of(alert)

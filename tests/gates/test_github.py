"""The GitHub search of a gate against a local GitHub: counts, items, limits, the token's rules."""

from __future__ import annotations

import socket
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core.config import ConfigError, load_settings
from bot.core.fetch.secrets import GateSecrets
from bot.gates.outcome import Outcome
from bot.gates.signal import github
from bot.gates.signal import render as signal
from tests.kit.github_server import GitHubServer, issue

QUERY = "repo:kubernetes/kubernetes is:open milestone:v1.33 label:release-blocker"
NOW = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
TOKEN = "ghp_local0123456789abcdef"


def search(gh: GitHubServer, secrets: GateSecrets | None = None, now: datetime = NOW) -> Outcome:
    return github.check_search(
        QUERY,
        api=gh.api,
        secrets=secrets or GateSecrets(),
        allow=("127.0.0.1",),
        timeout=2.0,
        now=now,
    )


def test_zero_results_pass_and_open_items_fail_with_their_count_and_fields(
    gh: GitHubServer,
) -> None:
    assert search(gh).result == "pass" and search(gh).value == 0
    gh.items = [
        issue(101, "kubelet panics on start", assignees=("alice", "bob")),
        issue(102, "etcd <!channel> upgrade & rollback", labels=("release-blocker", "sig/api")),
        issue(103, "Fix conformance", pr=True, draft=True),
    ]
    found = search(gh)
    assert (found.result, found.value) == ("fail", 3.0)
    assert found.detail.startswith("3 open: #101 kubelet panics on start")
    items = (found.findings or {})["items"]
    assert [i["number"] for i in items] == [101, 102, 103]
    assert items[0]["assignees"] == ["alice", "bob"] and items[0]["opened"]
    assert items[2]["pr"] and items[2]["draft"]
    assert gh.queries()[-1]["q"] == [QUERY]
    lines = signal.lines(found.findings or {}, NOW, ZoneInfo("UTC"))
    assert lines[0].startswith("• <https://github.com/kubernetes/kubernetes/issues/101|#101>")
    assert "@alice, @bob" in lines[0] and "`release-blocker`" in lines[0] and "open 10d" in lines[0]
    assert "&lt;!channel&gt; upgrade &amp; rollback" in lines[1] and "<!channel>" not in lines[1]
    assert "draft PR" in lines[2] and "unassigned" in lines[2]


def test_a_long_search_counts_every_item_shows_ten_and_asks_once(gh: GitHubServer) -> None:
    gh.items = [issue(n) for n in range(1, 14)]
    found = search(gh)
    assert found.value == 13.0 and len((found.findings or {})["items"]) == 10
    assert gh.hits() == 1  # one page: the total comes with it, the `link` to page 2 is not chased
    assert 'rel="next"' in gh.record("/search/issues?q=x&per_page=10", {}).headers["link"]
    lines = signal.lines(found.findings or {}, NOW, ZoneInfo("UTC"))
    assert len(lines) == 11 and lines[-1] == "_…and 3 more items_"


def test_incomplete_results_are_unknown_never_green(gh: GitHubServer) -> None:
    gh.incomplete = True
    found = search(gh)
    assert found.result == "unknown" and found.value is None
    assert "incomplete" in found.detail


def test_a_rate_limit_is_unknown_and_says_until_when(gh: GitHubServer) -> None:
    reset = int(time.time()) + 120
    gh.limited_until = reset
    now = datetime.now(UTC)
    found = search(gh, now=now)
    assert found.result == "unknown" and "rate limit" in found.detail
    assert found.retry_at == datetime.fromtimestamp(reset, UTC)
    gh.limited_until = None
    gh.retry_after = 30
    found = search(gh, now=now)
    assert found.result == "unknown" and found.retry_at == now + timedelta(seconds=30)
    assert search(gh, now=now).result == "pass"  # the secondary limit was one answer


def test_a_server_that_asks_for_days_is_waited_out_for_an_hour_at_most(gh: GitHubServer) -> None:
    gh.limited_until = time.time() + 86_400 * 30
    now = datetime.now(UTC)
    found = search(gh, now=now)
    assert found.retry_at == now + github.MAX_WAIT


def test_errors_and_unreachable_github_are_unknown(gh: GitHubServer) -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    gone = github.check_search(
        QUERY, api=f"http://127.0.0.1:{port}", secrets=GateSecrets(), allow=("127.0.0.1",),
        timeout=1.0, now=NOW,
    )  # fmt: skip
    assert gone.result == "unknown" and "could not connect" in gone.detail
    refused = github.check_search(
        QUERY, api=gh.api, secrets=GateSecrets(), allow=(), timeout=1.0, now=NOW
    )
    assert refused.result == "unknown" and "loopback" in refused.detail
    wrong = github.check_search("", api=gh.api, secrets=GateSecrets(), allow=("127.0.0.1",),
                                timeout=1.0, now=NOW)  # fmt: skip
    assert wrong.result == "unknown" and "422" in wrong.detail


def test_the_token_goes_only_to_the_host_it_is_granted_for(gh: GitHubServer) -> None:
    search(gh)
    assert "Authorization" not in gh.requests[-1][1]  # anonymous: still asked
    search(gh, GateSecrets({"GITHUB_TOKEN": ("api.github.com",)}, {"GITHUB_TOKEN": TOKEN}))
    assert "Authorization" not in gh.requests[-1][1]  # granted for another host
    search(gh, GateSecrets({"GITHUB_TOKEN": ("127.0.0.1",)}, {"GITHUB_TOKEN": TOKEN}))
    sent = gh.requests[-1][1]
    assert sent["Authorization"] == f"Bearer {TOKEN}"
    assert sent["Accept"] == "application/vnd.github+json" and sent["User-Agent"] == "releasebot"


def test_queries_are_checked_before_they_are_stored() -> None:
    assert github.valid_query(["repo:a/b", " is:open "]) == "repo:a/b is:open"
    with pytest.raises(github.QueryError, match="at most 256"):
        github.valid_query(["x" * 300])
    with pytest.raises(github.QueryError, match="Give the search"):
        github.valid_query([])
    assert github.says_state("repo:a/b is:open") and not github.says_state("repo:a/b label:x")


def test_a_last_request_of_the_limit_is_recorded_and_the_next_waits_for_the_reset(
    gh: GitHubServer,
) -> None:
    gh.remaining = 0
    now = datetime.now(UTC)
    found = search(gh, now=now)
    assert found.result == "pass" and found.retry_at is not None
    assert now < found.retry_at <= now + timedelta(seconds=61)


def test_where_native_gates_ask_is_a_setting() -> None:
    assert load_settings({}).github_api == "https://api.github.com"
    assert load_settings({}).testgrid_url == "https://testgrid.k8s.io"
    ghe = load_settings({"RELEASEBOT_GITHUB_API": "https://ghe.example.com/api/v3/"})
    assert ghe.github_api == "https://ghe.example.com/api/v3"
    with pytest.raises(ConfigError, match="RELEASEBOT_TESTGRID_URL"):
        load_settings({"RELEASEBOT_TESTGRID_URL": "testgrid.k8s.io"})

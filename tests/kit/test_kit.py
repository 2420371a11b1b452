"""Tests of the test kit itself: FakeSlack, Slack-signed requests and BotProcess."""

from __future__ import annotations

import json
import textwrap
import threading
import time
from collections.abc import Iterator, Sequence
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
from slack_bolt import Ack, App
from slack_bolt.request import BoltRequest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler
from slack_sdk.signature import SignatureVerifier

from tests.kit import (
    BotProcess,
    FakeSlack,
    SlackClient,
    block_action_body,
    event_body,
    free_port,
    sign,
    slash_body,
    view_submission_body,
)

SECRET = "test-signing-secret"


@pytest.fixture
def fs() -> Iterator[FakeSlack]:
    with FakeSlack() as fake:
        yield fake


@pytest.fixture
def client(fs: FakeSlack) -> WebClient:
    return WebClient(base_url=fs.url, token="xoxb-test", timeout=5)


def section(text: str, block_id: str | None = None) -> dict[str, Any]:
    block: dict[str, Any] = {"type": "section", "text": {"type": "mrkdwn", "text": text}}
    return block | ({"block_id": block_id} if block_id else {})


def button(action_id: str, value: str = "v") -> dict[str, Any]:
    text = {"type": "plain_text", "text": "Go"}
    return {"type": "button", "action_id": action_id, "text": text, "value": value}


# -- FakeSlack answering a real WebClient ------------------------------------------------------


def test_auth_test_on_loopback(fs: FakeSlack, client: WebClient) -> None:
    assert fs.url == f"http://127.0.0.1:{fs.port}/api/"
    answer = client.auth_test()
    assert (answer["user_id"], answer["bot_id"], answer["team_id"]) == ("UBOT", "BBOT", "T1")


def test_post_update_and_read_message(fs: FakeSlack, client: WebClient) -> None:
    first = client.chat_postMessage(channel="C1", text="hi", blocks=[section("*v1.2* planned")])
    second = client.chat_postMessage(channel="C1", text="reply", thread_ts=first["ts"])
    assert first["ts"] == "1700000000.000100" and second["ts"] > first["ts"]
    client.chat_update(channel="C1", ts=first["ts"], text="done", blocks=[section("shipped")])
    message = fs.message("C1", first["ts"])
    assert message is not None and message["text"] == "done"
    assert fs.texts_of(message) == "done\nshipped"
    assert [m["text"] for m in fs.replies("C1", first["ts"])] == ["reply"]
    assert [c.method for c in fs.calls] == ["chat.postMessage"] * 2 + ["chat.update"]
    assert fs.posts("C1")[0].args["blocks"][0]["type"] == "section"
    assert "*v1.2* planned" in fs.texts_of(fs.posts()[0])
    assert fs.errors == []


def test_update_of_unknown_message_fails(client: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.chat_update(channel="C1", ts="1.000000", text="x")
    assert caught.value.response["error"] == "message_not_found"


def test_ephemeral_and_form_encoded_calls(fs: FakeSlack, client: WebClient) -> None:
    client.chat_postEphemeral(channel="C1", user="U1", text="only you")
    blocks = json.dumps([section("form")])
    client.api_call("chat.postMessage", params={"channel": "C1", "blocks": blocks})
    assert fs.texts_of(fs.ephemerals("U1")[0]) == "only you"
    assert fs.ephemerals("U2") == []
    assert fs.texts_of(fs.posts()[0]) == "form"


def test_users_info_uses_directory_and_default_tz(fs: FakeSlack, client: WebClient) -> None:
    fs.users["U1"] = {"tz": "Europe/Berlin", "name": "anna"}
    anna = client.users_info(user="U1")["user"]
    assert (anna["name"], anna["tz"], anna["profile"]["display_name"]) == (
        "anna",
        "Europe/Berlin",
        "anna",
    )
    assert anna["tz_offset"] in (3600, 7200)
    assert client.users_info(user="U9")["user"]["tz"] == "America/Los_Angeles"


def test_conversations_members_paginates(fs: FakeSlack, client: WebClient) -> None:
    fs.channel_members["C1"] = ["U1", "U2", "U3"]
    page = client.conversations_members(channel="C1", limit=2)
    cursor = page["response_metadata"]["next_cursor"]
    rest = client.conversations_members(channel="C1", limit=2, cursor=cursor)
    assert page["members"] + rest["members"] == ["U1", "U2", "U3"]
    assert rest["response_metadata"]["next_cursor"] == ""


def test_conversations_open_info_and_permalink(client: WebClient) -> None:
    assert client.conversations_open(users=["U1"])["channel"]["id"] == "DU1"
    assert client.conversations_info(channel="C1")["channel"]["id"] == "C1"
    link = client.chat_getPermalink(channel="C1", message_ts="1700000000.000100")
    assert link["permalink"].endswith("/archives/C1/p1700000000000100")


def test_views_publish_keeps_latest_home(fs: FakeSlack, client: WebClient) -> None:
    client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("old")]})
    answer = client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("new")]})
    home = fs.home("U1")
    assert home is not None and answer["view"]["id"].startswith("V")
    assert fs.texts_of(home) == "new"
    assert fs.home("U2") is None


def test_files_upload_v2_stores_content(fs: FakeSlack, client: WebClient) -> None:
    answer = client.files_upload_v2(content="hello", filename="t.md", channel="C1")
    assert answer["file"]["id"].startswith("F")
    (upload,) = fs.files
    assert (upload.filename, upload.channel_id, upload.content) == ("t.md", "C1", b"hello")
    assert [c.method for c in fs.calls] == [
        "files.getUploadURLExternal",
        "files.completeUploadExternal",
    ]


def test_unknown_method_and_missing_token(fs: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.api_call("releases.ship")
    assert caught.value.response["error"] == "unknown_method"
    with pytest.raises(SlackApiError) as caught:
        WebClient(base_url=fs.url).auth_test()
    assert caught.value.response["error"] == "not_authed"
    assert [c.method for c in fs.calls] == ["releases.ship", "auth.test"]


# -- Block Kit validation ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "blocks",
    [
        [section("x" * 3001)],
        [section("x")] * 51,
        [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
        [{"type": "actions", "elements": [button("a"), button("a")]}],
        [{"type": "actions", "elements": [button("a", value="v" * 2001)]}],
        [section("a", "same"), section("b", "same")],
        [{"type": "no_such_block"}],
    ],
    ids=["long-section", "51-blocks", "long-header", "dup-action", "long-value", "dup-id", "type"],
)
def test_invalid_message_blocks_are_refused(
    fs: FakeSlack, client: WebClient, blocks: list[dict[str, Any]]
) -> None:
    with pytest.raises(SlackApiError) as caught:
        client.chat_postMessage(channel="C1", text="t", blocks=blocks)
    assert caught.value.response["error"] == "invalid_blocks"
    assert fs.errors and fs.errors[0].startswith("chat.postMessage: ")
    assert fs.message("C1", "1700000000.000100") is None


def test_long_text_is_refused(fs: FakeSlack, client: WebClient) -> None:
    with pytest.raises(SlackApiError):
        client.chat_postMessage(channel="C1", text="x" * 40_001)
    assert len(fs.errors) == 1


@pytest.mark.parametrize(
    "extra",
    [
        {"title": {"type": "plain_text", "text": "t" * 25}},
        {"callback_id": "c" * 256},
        {"private_metadata": "p" * 3001},
        {"blocks": [section("x")] * 101},
    ],
    ids=["title", "callback_id", "private_metadata", "101-blocks"],
)
def test_invalid_views_are_refused(fs: FakeSlack, client: WebClient, extra: dict[str, Any]) -> None:
    view = {"type": "modal", "title": {"type": "plain_text", "text": "Ship"}, "blocks": []}
    with pytest.raises(SlackApiError) as caught:
        client.views_open(trigger_id="t", view=view | extra)
    assert caught.value.response["error"] == "invalid_blocks"
    assert fs.errors


def test_valid_modal_is_accepted(fs: FakeSlack, client: WebClient) -> None:
    view = {
        "type": "modal",
        "callback_id": "ship",
        "title": {"type": "plain_text", "text": "Ship a release"},
        "submit": {"type": "plain_text", "text": "Ship"},
        "blocks": [section("ok"), {"type": "actions", "elements": [button("a"), button("b")]}],
    }
    assert client.views_open(trigger_id="t", view=view)["view"]["callback_id"] == "ship"
    assert fs.errors == []


# -- fault injection and helpers ---------------------------------------------------------------


def test_rate_limit_is_retried_by_sdk_handler(fs: FakeSlack) -> None:
    handler = RateLimitErrorRetryHandler(max_retry_count=2)
    client = WebClient(base_url=fs.url, token="xoxb-test", retry_handlers=[handler])
    fs.fail("chat.postMessage", status=429, retry_after=0, times=2)
    assert client.chat_postMessage(channel="C1", text="hi")["ok"]
    assert [c.method for c in fs.failed_calls] == ["chat.postMessage"] * 2
    assert len(fs.posts()) == 1


def test_server_error_then_recovery(fs: FakeSlack, client: WebClient) -> None:
    fs.fail("auth.test", status=500, times=1)
    with pytest.raises(SlackApiError) as caught:
        client.auth_test()
    assert caught.value.response.status_code == 500
    assert client.auth_test()["ok"] and len(fs.failed_calls) == 1


def test_wait_for_returns_value_or_explains(fs: FakeSlack, client: WebClient) -> None:
    threading.Timer(0.1, lambda: client.chat_postMessage(channel="C1", text="late")).start()
    assert fs.wait_for(lambda: fs.posts("C1"))[0].args["text"] == "late"
    with pytest.raises(AssertionError, match=r"chat\.postMessage"):
        fs.wait_for(lambda: fs.posts("C2"), timeout=0.1)


def test_latency_and_reset(fs: FakeSlack, client: WebClient) -> None:
    fs.latency = 0.2
    started = time.monotonic()
    client.auth_test()
    assert time.monotonic() - started >= 0.2
    fs.reset()
    assert fs.calls == [] and fs.failed_calls == [] and fs.errors == []


# -- Slack-signed requests ---------------------------------------------------------------------


def test_signature_round_trips_through_verifier() -> None:
    body = slash_body("/release", "plan v1.2")
    headers = sign(body, SECRET)
    verifier = SignatureVerifier(SECRET)
    assert verifier.is_valid_request(body, headers)
    assert not verifier.is_valid_request(body + "x", headers)
    assert not SignatureVerifier("other").is_valid_request(body, headers)
    stale = sign(body, SECRET, timestamp=int(time.time()) - 600)
    assert not verifier.is_valid_request(body, stale)
    assert sign("{}", SECRET, json=True)["Content-Type"] == "application/json"


def test_slash_body_fields() -> None:
    fields = {k: v[0] for k, v in parse_qs(slash_body("/release", "plan v1 & more")).items()}
    assert fields["command"] == "/release" and fields["text"] == "plan v1 & more"
    assert (fields["user_id"], fields["channel_id"], fields["team_id"]) == ("U_LEAD", "C_REL", "T1")
    assert fields["response_url"].startswith("http://127.0.0.1:1/")
    assert fields["trigger_id"]


def test_interaction_payloads_have_slack_shape() -> None:
    body = block_action_body(user_id="U1", channel_id="C1", action_id="approve", value="42")
    payload = json.loads(parse_qs(body)["payload"][0])
    assert payload["type"] == "block_actions" and payload["actions"][0]["value"] == "42"
    assert payload["container"] == {
        "type": "message",
        "message_ts": "1700000000.000100",
        "channel_id": "C1",
        "is_ephemeral": False,
    }
    values = {"b": {"a": {"type": "plain_text_input", "value": "x"}}}
    body = view_submission_body(user_id="U1", callback_id="cb", private_metadata="m", values=values)
    view = json.loads(parse_qs(body)["payload"][0])["view"]
    assert (view["callback_id"], view["state"]["values"]) == ("cb", values)
    event = json.loads(event_body({"type": "app_home_opened", "user": "U1"}, event_id="Ev1"))
    assert (event["type"], event["event_id"], event["team_id"]) == ("event_callback", "Ev1", "T1")


def bolt_request(body: str, *, json: bool = False) -> BoltRequest:
    """A BoltRequest carrying `body` with the headers Slack would sign it with."""
    headers: dict[str, str | Sequence[str]] = {**sign(body, SECRET, json=json)}
    return BoltRequest(body=body, headers=headers)


def test_bolt_accepts_and_routes_kit_requests(fs: FakeSlack) -> None:
    client = WebClient(base_url=fs.url, token="xoxb-test")
    app = App(signing_secret=SECRET, client=client, process_before_response=True)
    seen: list[dict[str, Any]] = []

    def record(ack: Ack, body: dict[str, Any]) -> None:
        ack()
        seen.append(body)

    app.command("/release")(record)
    app.action("approve")(record)
    app.view("cb")(record)
    app.event("app_home_opened")(record)
    bodies = [
        slash_body("/release", "plan"),
        block_action_body(user_id="U1", channel_id="C1", action_id="approve", value="42"),
        view_submission_body(user_id="U1", callback_id="cb", private_metadata="m", values={}),
    ]
    for body in bodies:
        assert app.dispatch(bolt_request(body)).status == 200
    event = event_body({"type": "app_home_opened", "user": "U1"}, event_id="Ev1")
    assert app.dispatch(bolt_request(event, json=True)).status == 200
    assert [body.get("command") or body["type"] for body in seen] == [
        "/release",
        "block_actions",
        "view_submission",
        "event_callback",
    ]
    assert seen[1]["actions"][0]["value"] == "42" and seen[3]["event"]["user"] == "U1"
    assert [c.method for c in fs.calls] == ["auth.test"]


class _Recorder(BaseHTTPRequestHandler):
    seen: list[tuple[str, dict[str, str], str]] = []

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers["Content-Length"])).decode()
        self.seen.append((self.path, dict(self.headers), body))
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


def test_slack_client_sends_signed_requests() -> None:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        with SlackClient(f"http://127.0.0.1:{server.server_address[1]}", SECRET) as slack:
            assert slack.command("/release", "plan").status_code == 200
            slack.click(user_id="U1", channel_id="C1", action_id="a", value="v")
            slack.event({"type": "app_mention"}, "Ev1", retry_num=1)
    finally:
        server.shutdown()
        server.server_close()
    verifier = SignatureVerifier(SECRET)
    assert [path for path, _, _ in _Recorder.seen] == ["/slack/events"] * 3
    assert all(verifier.is_valid_request(body, headers) for _, headers, body in _Recorder.seen)
    retry_headers = {k.lower(): v for k, v in _Recorder.seen[2][1].items()}
    assert retry_headers["x-slack-retry-num"] == "1"
    with pytest.raises(ValueError):
        SlackClient("http://example.com", SECRET)


# -- BotProcess --------------------------------------------------------------------------------

FAKE_BOT = textwrap.dedent(
    """
    import os, signal, sys
    from http.server import BaseHTTPRequestHandler, HTTPServer

    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            self.send_response(200 if self.path == "/healthz" else 404)
            self.end_headers()

    signal.signal(signal.SIGTERM, lambda *a: sys.exit(0))
    print("fake bot up", flush=True)
    HTTPServer(("127.0.0.1", int(os.environ["PORT"])), H).serve_forever()
    """
)


def write_fake_bot(root: Path, main: str) -> None:
    """A `bot` package in `root` whose `python -m bot run` executes `main`."""
    (root / "bot").mkdir()
    (root / "bot" / "__init__.py").write_text("")
    (root / "bot" / "__main__.py").write_text(main)


def test_bot_process_lifecycle(tmp_path: Path) -> None:
    write_fake_bot(tmp_path, FAKE_BOT)
    bot = BotProcess({"PORT": str(free_port())}, cwd=str(tmp_path))
    with bot:
        assert bot.running and bot.url == f"http://127.0.0.1:{bot.port}"
    assert bot.proc is not None and bot.proc.returncode == 0
    assert "fake bot up" in bot.log_text()
    bot.start()
    assert bot.kill() == -9


def test_bot_process_start_failure_shows_log(tmp_path: Path) -> None:
    write_fake_bot(tmp_path, "import sys\nsys.exit('missing DATABASE_URL')\n")
    bot = BotProcess({}, cwd=str(tmp_path))
    with pytest.raises(RuntimeError, match="missing DATABASE_URL"):
        bot.start(timeout=10)
    assert not bot.running

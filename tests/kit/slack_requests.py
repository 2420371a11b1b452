"""Build and sign requests exactly as Slack sends them to an app, and send them to a bot."""

from __future__ import annotations

import hashlib
import hmac
import json as jsonlib
import time
import uuid
from types import TracebackType
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

TEAM_ID = "T1"
TEAM_DOMAIN = "test"
API_APP_ID = "A_RELEASEBOT"
VERIFICATION_TOKEN = "legacy-verification-token"
RESPONSE_URL = "http://127.0.0.1:1/response"  # a dead loopback address: nothing listens there
FORM = "application/x-www-form-urlencoded"


def sign(
    body: str, secret: str, timestamp: int | None = None, *, json: bool = False
) -> dict[str, str]:
    """Headers Slack sends with `body`: timestamp, v0 HMAC-SHA256 signature, content type."""
    ts = int(time.time()) if timestamp is None else timestamp
    base = f"v0:{ts}:{body}".encode()
    digest = hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()
    return {
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": f"v0={digest}",
        "Content-Type": "application/json" if json else FORM,
    }


def new_trigger_id() -> str:
    """A fresh trigger_id in Slack's format."""
    return f"{int(time.time())}.{uuid.uuid4().int % 10**12}.{uuid.uuid4().hex}"


def _user(user_id: str, user_name: str | None, team_id: str) -> dict[str, str]:
    name = user_name or user_id.lower()
    return {"id": user_id, "username": name, "name": name, "team_id": team_id}


def _payload(payload: dict[str, Any]) -> str:
    return urlencode({"payload": jsonlib.dumps(payload)})


def slash_body(
    command: str,
    text: str,
    *,
    user_id: str = "U_LEAD",
    channel_id: str = "C_REL",
    team_id: str = TEAM_ID,
    user_name: str | None = None,
    trigger_id: str | None = None,
) -> str:
    """Form-encoded body of a slash command invocation."""
    fields = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "team_domain": TEAM_DOMAIN,
        "channel_id": channel_id,
        "channel_name": channel_id.lower(),
        "user_id": user_id,
        "user_name": user_name or user_id.lower(),
        "command": command,
        "text": text,
        "api_app_id": API_APP_ID,
        "is_enterprise_install": "false",
        "response_url": RESPONSE_URL,
        "trigger_id": trigger_id or new_trigger_id(),
    }
    return urlencode(fields)


def _container(
    channel_id: str | None, message_ts: str | None, view: dict[str, Any] | None
) -> dict[str, Any]:
    if view is not None:
        return {"type": "view", "view_id": view.get("id", "V1")}
    return {
        "type": "message",
        "message_ts": message_ts,
        "channel_id": channel_id,
        "is_ephemeral": False,
    }


def block_action_body(
    *,
    user_id: str,
    channel_id: str | None,
    action_id: str,
    value: str,
    block_id: str = "b",
    message_ts: str | None = "1700000000.000100",
    container: dict[str, Any] | None = None,
    view: dict[str, Any] | None = None,
    trigger_id: str | None = None,
    message: dict[str, Any] | None = None,
) -> str:
    """`payload=` body of a button click (block_actions) in a message or a view."""
    action = {
        "action_id": action_id,
        "block_id": block_id,
        "value": value,
        "type": "button",
        "text": {"type": "plain_text", "text": action_id},
        "action_ts": f"{time.time():.6f}",
    }
    payload: dict[str, Any] = {
        "type": "block_actions",
        "user": _user(user_id, None, TEAM_ID),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "container": container or _container(channel_id, message_ts, view),
        "trigger_id": trigger_id or new_trigger_id(),
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "enterprise": None,
        "is_enterprise_install": False,
        "response_url": RESPONSE_URL,
        "actions": [action],
    }
    if channel_id is not None:
        payload["channel"] = {"id": channel_id, "name": channel_id.lower()}
    if message_ts is not None and view is None:
        base = {"type": "message", "user": "UBOT", "bot_id": "BBOT", "text": "", "blocks": []}
        payload["message"] = {**base, **(message or {}), "ts": message_ts}
    if view is not None:
        payload["view"] = view
    return _payload(payload)


def view_submission_body(
    *,
    user_id: str,
    callback_id: str,
    private_metadata: str,
    values: dict[str, Any],
    view_id: str = "V1",
    trigger_id: str | None = None,
) -> str:
    """`payload=` body of a modal submission with Slack's state.values shape."""
    view = {
        "id": view_id,
        "team_id": TEAM_ID,
        "type": "modal",
        "blocks": [],
        "private_metadata": private_metadata,
        "callback_id": callback_id,
        "state": {"values": values},
        "hash": f"{int(time.time())}.{view_id}",
        "title": {"type": "plain_text", "text": "Modal"},
        "clear_on_close": False,
        "notify_on_close": False,
        "close": None,
        "submit": {"type": "plain_text", "text": "Submit"},
        "previous_view_id": None,
        "root_view_id": view_id,
        "app_id": API_APP_ID,
        "external_id": "",
        "app_installed_team_id": TEAM_ID,
        "bot_id": "BBOT",
    }
    payload = {
        "type": "view_submission",
        "team": {"id": TEAM_ID, "domain": TEAM_DOMAIN},
        "user": _user(user_id, None, TEAM_ID),
        "api_app_id": API_APP_ID,
        "token": VERIFICATION_TOKEN,
        "trigger_id": trigger_id or new_trigger_id(),
        "view": view,
        "response_urls": [],
        "is_enterprise_install": False,
        "enterprise": None,
    }
    return _payload(payload)


def event_body(event: dict[str, Any], *, event_id: str, team_id: str = TEAM_ID) -> str:
    """JSON body of an Events API `event_callback` delivery."""
    authorization = {
        "enterprise_id": None,
        "team_id": team_id,
        "user_id": "UBOT",
        "is_bot": True,
        "is_enterprise_install": False,
    }
    envelope = {
        "token": VERIFICATION_TOKEN,
        "team_id": team_id,
        "api_app_id": API_APP_ID,
        "event": event,
        "type": "event_callback",
        "event_id": event_id,
        "event_time": int(time.time()),
        "authorizations": [authorization],
        "is_ext_shared_channel": False,
        "event_context": f"4-{uuid.uuid4().hex}",
    }
    return jsonlib.dumps(envelope)


class SlackClient:
    """Sends signed Slack requests to a bot listening on 127.0.0.1."""

    def __init__(self, base_url: str, signing_secret: str, path: str = "/slack/events") -> None:
        if urlsplit(base_url).hostname != "127.0.0.1":
            raise ValueError(f"SlackClient only talks to 127.0.0.1, not {base_url!r}")
        self.signing_secret = signing_secret
        self.path = path
        self._http = httpx.Client(base_url=base_url, timeout=10.0, trust_env=False)

    def command(self, cmd: str, text: str, **kw: Any) -> httpx.Response:
        """Invoke a slash command (keywords as for slash_body)."""
        return self._send(slash_body(cmd, text, **kw))

    def click(self, **kw: Any) -> httpx.Response:
        """Click a button (keywords as for block_action_body)."""
        return self._send(block_action_body(**kw))

    def submit(self, **kw: Any) -> httpx.Response:
        """Submit a modal (keywords as for view_submission_body)."""
        return self._send(view_submission_body(**kw))

    def event(
        self,
        event: dict[str, Any],
        event_id: str,
        retry_num: int | None = None,
        retry_reason: str = "http_timeout",
    ) -> httpx.Response:
        """Deliver an Events API event, optionally marked as Slack's retry number `retry_num`."""
        body = event_body(event, event_id=event_id)
        headers = sign(body, self.signing_secret, json=True)
        if retry_num is not None:
            headers["X-Slack-Retry-Num"] = str(retry_num)
            headers["X-Slack-Retry-Reason"] = retry_reason
        return self.raw(body, headers)

    def raw(self, body: str, headers: dict[str, str]) -> httpx.Response:
        """POST `body` with exactly `headers` (for bad-signature and replay tests)."""
        return self._http.post(self.path, content=body.encode(), headers=headers)

    def close(self) -> None:
        """Close the underlying HTTP connection pool."""
        self._http.close()

    def __enter__(self) -> SlackClient:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _send(self, body: str) -> httpx.Response:
        return self.raw(body, sign(body, self.signing_secret))

"""The manifest and the code agree on the slash commands, and it is a valid Slack manifest."""

from __future__ import annotations

import yaml

from bot.core import manifest
from handlers import COMMANDS


def test_every_manifest_command_has_a_handler_and_vice_versa() -> None:
    assert sorted(manifest.commands()) == sorted(c.name for c in COMMANDS)


def test_manifest_lists_home_event_interactivity_and_http_mode() -> None:
    data = manifest.load()
    assert "app_home_opened" in data["settings"]["event_subscriptions"]["bot_events"]
    assert data["settings"]["interactivity"]["is_enabled"] is True
    assert data["settings"]["socket_mode_enabled"] is False
    assert data["features"]["app_home"]["home_tab_enabled"] is True
    scopes = data["oauth_config"]["scopes"]["bot"]
    for scope in ("commands", "chat:write", "users:read", "files:write", "im:write"):
        assert scope in scopes


def test_manifest_url_points_every_request_at_the_bot() -> None:
    data = yaml.safe_load(manifest.render("https://bot.example.org"))
    want = "https://bot.example.org/slack/events"
    assert data["settings"]["interactivity"]["request_url"] == want
    assert data["settings"]["event_subscriptions"]["request_url"] == want
    assert {c["url"] for c in data["features"]["slash_commands"]} == {want}


def test_every_command_escapes_mentions_so_they_arrive_as_ids() -> None:
    commands = manifest.load()["features"]["slash_commands"]
    assert all(c["should_escape"] is True for c in commands)

"""The Slack app manifest: commands, scopes, events, interactivity."""

from __future__ import annotations

from pathlib import Path

import yaml

MANIFEST_FILE = Path(__file__).resolve().parent / "manifest.yaml"  # package data


def load() -> dict[str, object]:
    """The manifest as a mapping (manifest.yaml ships inside the package)."""
    data = yaml.safe_load(MANIFEST_FILE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def render(url: str | None = None) -> str:
    """The manifest as YAML, with every request URL pointed at `url` when given."""
    data = load()
    if url:
        endpoint = url.rstrip("/")
        if not endpoint.endswith("/slack/events"):
            endpoint += "/slack/events"
        settings = data["settings"]
        features = data["features"]
        assert isinstance(settings, dict) and isinstance(features, dict)
        settings["event_subscriptions"]["request_url"] = endpoint
        settings["interactivity"]["request_url"] = endpoint
        for command in features["slash_commands"]:
            command["url"] = endpoint
    return yaml.safe_dump(data, sort_keys=False, allow_unicode=True)


def commands() -> list[str]:
    """The slash commands the manifest declares."""
    features = load()["features"]
    assert isinstance(features, dict)
    return [c["command"] for c in features["slash_commands"]]


def bot_scopes() -> list[str]:
    """The bot token scopes the manifest asks for."""
    oauth = load()["oauth_config"]
    assert isinstance(oauth, dict)
    return [str(scope) for scope in oauth["scopes"]["bot"]]

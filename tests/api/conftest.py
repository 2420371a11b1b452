"""API tests post checklist messages at 20 a second, as the checklist's own tests do."""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def quick_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the outbox sender post a message every 50 ms per channel."""
    monkeypatch.setattr("bot.core.sender.POST_INTERVAL", 0.05)

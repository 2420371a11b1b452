"""Checklist tests post at 20 messages a second per channel instead of Slack's one.

A checklist walk owes a reply and a ping per step, all in one channel; at Slack's pace a
test would wait on the pace rather than on the checklist. The pace itself is tested with
the sender (tests/core/test_outbox.py).
"""

from __future__ import annotations

import pytest


@pytest.fixture(autouse=True)
def quick_pace(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let the outbox sender post a message every 50 ms per channel."""
    monkeypatch.setattr("bot.core.sender.POST_INTERVAL", 0.05)

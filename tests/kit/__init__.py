"""Test kit: a fake Slack Web API, Slack-signed requests, and the bot as a process."""

from .bot_process import BotProcess, free_port
from .fake_methods import UploadedFile
from .fake_slack import Call, FakeSlack
from .slack_requests import (
    SlackClient,
    block_action_body,
    event_body,
    sign,
    slash_body,
    view_submission_body,
)

__all__ = [
    "BotProcess",
    "Call",
    "FakeSlack",
    "SlackClient",
    "UploadedFile",
    "block_action_body",
    "event_body",
    "free_port",
    "sign",
    "slash_body",
    "view_submission_body",
]

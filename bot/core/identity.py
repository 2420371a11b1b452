"""Who the bot is in the workspace, asked of Slack once, without making Slack a gate.

Bolt's default authorization asks `auth.test` before the first request it serves, and while
Slack's Web API is down it turns every command into "this app is no longer available". Here
the answer is asked for with a short timeout and kept once known; until then requests are
served with the configured bot token alone (the bot's own user id is then unknown, which
nothing needs to answer a command or a click).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from slack_bolt.authorization import AuthorizeResult
from slack_sdk import WebClient

log = logging.getLogger(__name__)


def authorizer(client: WebClient, token: str) -> Callable[..., AuthorizeResult]:
    """A Bolt `authorize` function for this single-workspace app.

    Bolt passes arguments by name after inspecting the function, so it is a plain function
    (not a bound method) whose parameters keep Bolt's names.
    """
    known: list[AuthorizeResult] = []
    lock = threading.Lock()

    def authorize(enterprise_id: str | None, team_id: str | None) -> AuthorizeResult:
        """The bot's identity: from `auth.test` once it answered, else the token alone."""
        with lock:
            if known:
                return known[0]
        try:
            answer = client.auth_test(token=token)
        except Exception as err:  # Slack down or slow: serve the request anyway
            log.warning("auth.test failed (%s); serving with the configured token", err)
            return AuthorizeResult(enterprise_id=enterprise_id, team_id=team_id, bot_token=token)
        result = AuthorizeResult.from_auth_test_response(
            auth_test_response=answer, bot_token=token, user_token=None
        )
        with lock:
            known[:] = [result]
        return result

    return authorize

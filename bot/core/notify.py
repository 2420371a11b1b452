"""The only code that posts to Slack outside a request: channel posts, DMs, updates, files."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry import RetryHandler
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)

from bot.core import metrics, unavailable
from bot.core.config import Settings

log = logging.getLogger(__name__)


def make_client(settings: Settings) -> WebClient:
    """A Web API client for SLACK_API_URL that waits out 429s and retries 5xx answers."""
    retries = [
        ConnectionErrorRetryHandler(max_retry_count=2),
        RateLimitErrorRetryHandler(max_retry_count=5),
        ServerErrorRetryHandler(max_retry_count=3),
    ]
    return _client(settings, 15, retries)


def make_quick_client(settings: Settings) -> WebClient:
    """A client for lookups inside a request: short timeout, no waiting out rate limits."""
    # No retry: a retry's back-off would hold the request past Slack's 3 s while Slack
    # refuses connections; the lookups fall back on what they know.
    return _client(settings, 2)


# A modal must open within Slack's 3 s (the trigger id expires): one try, given up after this.
MODAL_TIMEOUT = 1.5


def make_modal_client(settings: Settings) -> WebClient:
    """A client for opening modals before the ack: one try with a short timeout, no retry."""
    return _client(settings, MODAL_TIMEOUT)


def make_sender_client(settings: Settings) -> WebClient:
    """A client for the outbox sender, which retries, paces and waits out 429s itself.

    Its timeout bounds how long a post may stay in flight (the sender's IN_FLIGHT).
    """
    return _client(settings, 5)


def _client(
    settings: Settings, timeout: float, retries: list[RetryHandler] | None = None
) -> WebClient:
    """A Web API client for SLACK_API_URL with the bot's token, `timeout` seconds, `retries`."""
    return WebClient(
        token=settings.bot_token,
        base_url=settings.api_url,
        logger=unavailable.sdk_logger(),
        timeout=timeout,  # type: ignore[arg-type]  # urllib takes float seconds
        retry_handlers=retries or [],
    )


class Notifier:
    """Posts for the bot; failures are logged, never raised into the caller's flow."""

    def __init__(
        self, client: WebClient, workers: int = 8, modal_client: WebClient | None = None
    ) -> None:
        self.client = client
        self.modal_client = modal_client or client
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="notify")

    def post(
        self,
        channel: str,
        text: str,
        blocks: list[dict[str, Any]] | None = None,
        *,
        thread_ts: str | None = None,
        broadcast: bool = False,
    ) -> str | None:
        """Post a message (a thread reply also shown in the channel if `broadcast`); its ts."""
        args = _message(blocks, channel=channel, text=text, unfurl_links=False)
        if thread_ts:
            args["thread_ts"] = thread_ts
            if broadcast:
                args["reply_broadcast"] = True
        result = self._call("chat_postMessage", **args)
        return str(result["ts"]) if result else None

    def update(
        self, channel: str, ts: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> bool:
        """Replace a message's text and blocks in place."""
        args = _message(blocks, channel=channel, ts=ts, text=text)
        return self._call("chat_update", **args) is not None

    def dm(self, user: str, text: str, blocks: list[dict[str, Any]] | None = None) -> str | None:
        """Send a direct message from the bot to one person."""
        return self.post(user, text, blocks)

    def ephemeral(
        self, channel: str, user: str, text: str, blocks: list[dict[str, Any]] | None = None
    ) -> bool:
        """A message only `user` sees, in `channel`."""
        args = _message(blocks, channel=channel, user=user, text=text)
        return self._call("chat_postEphemeral", **args) is not None

    def upload(self, channel: str, filename: str, content: str, title: str, comment: str) -> bool:
        """Share a text file in a channel."""
        result = self._call(
            "files_upload_v2",
            channel=channel,
            filename=filename,
            content=content,
            title=title,
            initial_comment=comment,
        )
        return result is not None

    def open_view(self, trigger_id: str, view: dict[str, Any]) -> None:
        """Open a modal at once: one try, MODAL_TIMEOUT at most; raises when Slack fails."""
        try:
            self.modal_client.views_open(trigger_id=trigger_id, view=view)
        except Exception as err:
            metrics.count_slack_call("views.open", metrics.slack_outcome(err))
            raise
        metrics.count_slack_call("views.open", "ok")

    def later(self, fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Future[Any]:
        """Run a posting function on the notifier's workers, off the request thread."""
        return self._pool.submit(self._guarded, fn, *args, **kwargs)

    def shutdown(self) -> None:
        """Finish queued posts and stop the workers."""
        self._pool.shutdown(wait=True)

    @staticmethod
    def _guarded(fn: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except Exception as err:
            if unavailable.is_outage(err):
                unavailable.warn(getattr(fn, "__name__", "Web API"), err)
            else:
                log.exception("background post failed")
            return None

    def _call(self, method: str, **args: Any) -> Any:
        try:
            answer = getattr(self.client, method)(**args)
        except SlackApiError as err:
            metrics.count_slack_call(method, metrics.slack_outcome(err))
            if unavailable.is_outage(err):
                unavailable.warn(method, err)
            else:
                log.warning("Slack refused %s: %s", method, err.response.get("error"))
        except Exception as err:  # network trouble after the client's own retries
            metrics.count_slack_call(method, metrics.slack_outcome(err))
            unavailable.warn(method, err)
        else:
            metrics.count_slack_call(method, "ok")
            return answer
        return None


def _message(blocks: list[dict[str, Any]] | None, **args: Any) -> dict[str, Any]:
    """The arguments of a Slack message call, with `blocks` only when there are some."""
    if blocks is not None:
        args["blocks"] = blocks
    return args

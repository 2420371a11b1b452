"""Delivers the outbox: in order per channel, at Slack's pace, through outages, exactly once.

One loop on the leader replica picks, for every channel, its oldest pending message and
hands it to a worker when the channel may be posted to (its pace and any Retry-After have
passed). A row is claimed in the database before it is sent, so two senders (a leader
handing over) never post it twice; Slack's ts is written back in the same transaction that
marks the row sent and tells the live object where its message is.

Failures: connection errors, timeouts and 5xx answers are retried with exponential backoff
and jitter; a 429 waits out its Retry-After for that channel alone; an error retrying cannot
fix (the channel is gone, the bot was removed) fails the row with the reason and tells the
features once. A message whose moment passed (a reminder after its meeting started) is
dropped with the reason instead of being sent.

The crash window: a message Slack accepted just before the process died, before its row
was marked sent. Each post carries the row's key as message metadata, and a row whose
claim ran out without an answer is first looked up in the channel's recent history, so it
is recorded instead of posted again.
"""

from __future__ import annotations

import json
import logging
import random
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from sqlalchemy import delete, func, or_, update
from sqlmodel import Session, col, select

from bot.core import metrics, unavailable
from bot.core.budget import Budgets
from bot.core.db import Database
from bot.core.leader import Leadership, StaleLeader
from bot.core.models import utcnow
from bot.core.outbox import (
    DROPPED,
    FAILED,
    PENDING,
    SENT,
    WAIT,
    LiveRefresh,
    Outbox,
    OutboxRow,
    Update,
    backlog,
)
from bot.core.worker import LeaderLoop

log = logging.getLogger(__name__)

EVENT_TYPE = "releasebot_outbox"
# Errors retrying cannot fix: the row fails with the reason.
PERMANENT = frozenset(
    {
        "channel_not_found", "not_in_channel", "is_archived", "msg_too_long", "no_text",
        "invalid_blocks", "invalid_blocks_format", "too_many_attachments", "user_not_found",
        "cannot_dm_bot", "user_disabled", "account_inactive", "invalid_auth", "not_authed",
        "token_revoked", "missing_scope", "restricted_action", "message_not_found",
        "cant_update_message", "edit_window_closed", "invalid_arguments",
    }
)  # fmt: skip
# Errors that mean the bot can no longer reach the channel (the lead should hear of it).
UNREACHABLE = frozenset({"channel_not_found", "not_in_channel", "is_archived"})
CLAIM = timedelta(seconds=30)
# A post in flight ends within the sender client's timeout (SENDER_TIMEOUT, 5 s): this long
# after its claim, a dead or deposed leader's post has reached Slack or never will.
IN_FLIGHT = timedelta(seconds=6)
POST_INTERVAL = 1.0  # chat.postMessage: about one a second per channel
POST_BURST = 3  # with short bursts allowed
POST = "chat.postMessage"
EPHEMERAL = "chat.postEphemeral"  # under the workspace's budget only: no per-channel pace
REFRESH_INTERVAL = 1.0  # chat.update and views.publish: at most once a second per message
MAX_BACKOFF = 5.0
MAX_ATTEMPTS = 50  # about five minutes of trying for an error Slack does not explain
REPLY_PAGES = 10  # a thread of up to 2,000 replies is searched for a lost reply
# Pokes within this long are one pass: a vote burst commits hundreds of times a second, and
# a pass per commit would take CPU from the clicks being acknowledged.
TICK_GAP = 0.05


@dataclass
class _Pace:
    """A channel's token bucket and its Retry-After."""

    tokens: float = POST_BURST
    at: float = 0.0
    blocked_until: float = 0.0

    def ready(self, now: float, *, paced: bool = True) -> bool:
        """May the lane post now: not held by a Retry-After, and (when paced) a token left."""
        self.tokens = min(POST_BURST, self.tokens + (now - self.at) / POST_INTERVAL)
        self.at = now
        return now >= self.blocked_until and (self.tokens >= 1 or not paced)

    def take(self) -> None:
        self.tokens -= 1


class Sender(LeaderLoop[str]):
    """The loop that empties the outbox and refreshes live messages, on the leader.

    Its jobs are keyed by lane (a post in flight) or by live message (a refresh).
    """

    thread_name = "outbox-sender"
    pool_name = "sender"
    what = "the outbox sender"
    tick_gap = TICK_GAP

    def __init__(
        self,
        db: Database,
        client: WebClient,
        outbox: Outbox,
        leadership: Leadership,
        *,
        clock: Callable[[], datetime] = utcnow,
        workers: int = 16,
        poll_seconds: float = 0.25,
        on_backlog: Callable[[int, float], None] = lambda pending, age: None,
        budgets: Budgets | None = None,
    ) -> None:
        super().__init__(db, leadership, workers=workers, poll_seconds=poll_seconds)
        self.client = client
        self.outbox = outbox
        self.clock = clock
        self.on_backlog = on_backlog
        # The workspace's budget per method, shared by every channel and live message.
        self.budgets = budgets or Budgets()
        self._live_methods: dict[str, str] = {}  # live kind -> the method its refresh calls
        self._paces: dict[str, _Pace] = {}
        self._refreshed: dict[str, float] = {}
        self._dm_channels: dict[str, str] = {}
        self._backlog_at = 0.0
        self._slack_down = False  # set by a failure that looks like an outage
        outbox.poke = self.poke

    def due(self, session: Session) -> bool:
        """True while a row is due to be posted or a live message to be refreshed."""
        now = self.clock()
        posts = select(OutboxRow.id).where(
            OutboxRow.state == PENDING, col(OutboxRow.next_attempt_at) <= now
        )
        refresh = session.exec(select(LiveRefresh.kind)).first()
        return session.exec(posts).first() is not None or refresh is not None

    def took_lead(self) -> None:
        """Claims standing when this replica takes the lead are looked up soon."""
        self._orphaned_claims()

    def standing_by(self) -> None:
        """A standby reports no backlog of its own."""
        self.on_backlog(0, 0.0)

    # --- one pass --------------------------------------------------------------------------

    def tick(self) -> None:
        """Start what can be started now: one post per channel, due refreshes."""
        now = self.clock()
        oldest = (  # only the oldest pending row of each lane may go
            select(func.min(OutboxRow.id))
            .where(OutboxRow.state == PENDING)
            .group_by(col(OutboxRow.channel), col(OutboxRow.ephemeral_to))
        )
        with self.db.read() as session:
            heads = list(session.exec(select(OutboxRow).where(col(OutboxRow.id).in_(oldest))))
            refreshes = list(
                session.exec(
                    select(LiveRefresh)
                    .where(col(LiveRefresh.due_at) <= now)
                    .order_by(col(LiveRefresh.due_at))  # stalest first, when the budget is short
                    .limit(500)
                )
            )
        mono = time.monotonic()
        ready: list[OutboxRow] = []
        for row in sorted(heads, key=lambda r: r.id or 0):
            if row.next_attempt_at > now or (row.claimed_until and row.claimed_until > now):
                continue
            method = EPHEMERAL if row.ephemeral_to else POST
            with self._lock:
                pace = self._paces.setdefault(_lane(row), _Pace(at=mono))
                if _lane(row) in self._busy or not pace.ready(mono, paced=method == POST):
                    continue
                if not self.budgets.take(method):
                    continue
                self._busy.add(_lane(row))
            ready.append(row)
        claimed = self._claim(ready, now)
        for row in ready:
            if row.id not in claimed:
                self.budgets.refund(EPHEMERAL if row.ephemeral_to else POST)
                self._release(_lane(row))
                continue
            with self._lock:
                if not row.ephemeral_to:
                    self._paces[_lane(row)].take()
            uncertain = row.claimed_until is not None  # an earlier claim ran out unanswered
            self._pool.submit(self._deliver, row, uncertain)
        for item in refreshes:
            key = f"{item.kind}:{item.ref}"
            with self._lock:
                if key in self._busy or mono - self._refreshed.get(key, -1e9) < REFRESH_INTERVAL:
                    continue
                method = self._live_methods.get(item.kind, "chat.update")
                if not self.budgets.take(method):
                    continue
                self._busy.add(key)
            self._pool.submit(self._refresh, item, method)
        self._report_backlog(mono)

    def _orphaned_claims(self) -> None:
        """On taking the lead (or starting alone): claims left standing are looked up soon.

        Only the leader sends, so a claim standing when this replica takes the lead is the
        old leader's (or, on SQLite, this process's before a crash); waiting it out would
        hold its channel's later messages back.
        """
        now = self.clock()
        with self.db.session() as session:
            standing = session.exec(
                select(OutboxRow.id, OutboxRow.claimed_until).where(
                    col(OutboxRow.state) == PENDING, col(OutboxRow.claimed_until) > now
                )
            ).all()
            for row_id, until in standing:
                if until is None:
                    continue
                # A post the old leader has in flight may still reach Slack: look it up
                # once that post has ended, not before (the claim stays "uncertain").
                settled = until - CLAIM + IN_FLIGHT
                session.execute(
                    update(OutboxRow)
                    .where(col(OutboxRow.id) == row_id, col(OutboxRow.state) == PENDING)
                    .values(claimed_until=max(now, settled))
                )

    def _report_backlog(self, mono: float) -> None:
        if mono - self._backlog_at < 5.0:
            return
        self._backlog_at = mono
        with self.db.read() as session:
            waiting = backlog(session)
        age = waiting.age(self.clock())
        if waiting.pending and age > 60:
            log.warning("%d messages wait for Slack; the oldest since %.0fs", waiting.pending, age)
        self.on_backlog(waiting.pending, age)

    def _claim(self, rows: list[OutboxRow], now: datetime) -> set[int]:
        """Claim the rows in one statement, with this leader's epoch; the ids this sender won."""
        epoch = self.leadership.epoch
        if not rows or (epoch is None and not self.db.is_sqlite):
            return set()
        with self.db.session() as session:
            won = session.execute(
                update(OutboxRow)
                .where(
                    col(OutboxRow.id).in_([row.id for row in rows]),
                    col(OutboxRow.state) == PENDING,
                    or_(
                        col(OutboxRow.claimed_until).is_(None), col(OutboxRow.claimed_until) <= now
                    ),
                    self.leadership.fence(epoch),
                )
                .values(
                    claimed_until=now + CLAIM, attempts=OutboxRow.attempts + 1, claim_epoch=epoch
                )
                .returning(col(OutboxRow.id))
            )
            claimed = {int(found) for found in won.scalars()}
        for row in rows:
            row.claim_epoch = epoch
        return claimed

    def _fenced(self, row: OutboxRow) -> list[Any]:
        """WHERE conditions that hold only for the leader whose claim the row carries."""
        if self.db.is_sqlite:
            return []
        epoch = row.claim_epoch
        return [col(OutboxRow.claim_epoch) == epoch, self.leadership.fence(epoch)]

    # --- posting ---------------------------------------------------------------------------

    def _deliver(self, row: OutboxRow, uncertain: bool) -> None:
        row.attempts += 1  # as claimed
        try:
            self._attempt(row, uncertain)
        except StaleLeader as stale:
            metrics.count_fenced()
            log.warning("message %s: not recorded, %s (the new leader has it)", row.key, stale)
        except Exception:
            log.exception("delivering message %s failed unexpectedly", row.key)
            self._retry(row, None, "unexpected error", uncertain=True)
        finally:
            self._release(_lane(row))

    def _attempt(self, row: OutboxRow, uncertain: bool) -> None:
        now = self.clock()
        if row.useful_until is not None and now > row.useful_until:
            self._finish(
                row, DROPPED, error="no longer useful: its moment passed before Slack took it"
            )
            return
        content = self._content(row, now)
        if content is None:
            self._finish(row, DROPPED, error="nothing to say any more")
            return
        text, blocks, thread_ts = content
        method = EPHEMERAL if row.ephemeral_to else POST
        try:
            channel = self._channel_of(row.channel)
            if uncertain and not row.ephemeral_to:
                found = self._already_posted(channel, row, thread_ts)
                if found:
                    self._finish(row, SENT, ts=found, now=now)
                    return
                uncertain = False
            if not self._may_post(row):
                return
            answer = self._post(method, channel, row, text, blocks, thread_ts)
        except SlackApiError as err:
            self._failed_call(row, err, method, uncertain)
            return
        except Exception as err:  # connection refused, timeout: Slack may be down
            unavailable.warn(method, err, log)
            # A post that timed out may have reached Slack: look it up before posting again.
            self._retry(
                row,
                None,
                unavailable.plain(err),
                uncertain=uncertain or not unavailable.refused(err),
            )
            return
        self._finish(row, SENT, ts=str(answer.get("ts") or answer.get("message_ts") or ""), now=now)

    def _may_post(self, row: OutboxRow) -> bool:
        """Post only while this replica still leads with the epoch of the row's claim."""
        if self.db.is_sqlite or self.leadership.holds(row.claim_epoch):
            return True
        log.info("not posting %s: this replica no longer leads", row.key)
        return False

    def _post(
        self,
        method: str,
        channel: str,
        row: OutboxRow,
        text: str,
        blocks: list[Any] | None,
        thread_ts: str | None,
    ) -> Any:
        args: dict[str, Any] = {"channel": channel, "text": text}
        if blocks is not None:
            args["blocks"] = blocks
        if row.ephemeral_to:
            args["user"] = row.ephemeral_to
            return self._call(method, self.client.chat_postEphemeral, **args)
        args["unfurl_links"] = False
        args["metadata"] = {"event_type": EVENT_TYPE, "event_payload": {"key": row.key}}
        if thread_ts:
            args["thread_ts"] = thread_ts
            if row.broadcast:
                args["reply_broadcast"] = True
        return self._call(method, self.client.chat_postMessage, **args)

    def _content(
        self, row: OutboxRow, now: datetime
    ) -> tuple[str, list[Any] | None, str | None] | None:
        with self.db.read() as session:
            thread_ts = row.thread_ts
            if row.thread_key and not thread_ts:
                parent = session.exec(
                    select(OutboxRow).where(OutboxRow.key == row.thread_key)
                ).first()
                thread_ts = parent.ts if parent is not None else None
            if row.render:
                renderer = self.outbox.renderers.get(row.render)
                if renderer is None:
                    raise RuntimeError(f"no renderer for {row.render}")
                rendered = renderer(session, json.loads(row.render_args or "{}"), now)
                if rendered is None:
                    return None
                return rendered[0], rendered[1], thread_ts
        blocks = json.loads(row.blocks) if row.blocks else None
        return row.text, blocks, thread_ts

    @staticmethod
    def _call(method: str, call: Callable[..., Any], *args: Any, **kwargs: Any) -> Any:
        """One Web API call, counted by outcome for /metrics."""
        try:
            answer = call(*args, **kwargs)
        except Exception as err:
            metrics.count_slack_call(method, metrics.slack_outcome(err))
            raise
        metrics.count_slack_call(method, "ok")
        return answer

    def _channel_of(self, target: str) -> str:
        """A user id becomes the bot's DM channel with them (opened once, remembered)."""
        if not target.startswith(("U", "W")):
            return target
        if target not in self._dm_channels:
            opened = self._call("conversations.open", self.client.conversations_open, users=target)
            self._dm_channels[target] = str(opened["channel"]["id"])
        return self._dm_channels[target]

    def _already_posted(self, channel: str, row: OutboxRow, thread_ts: str | None) -> str | None:
        """The ts of this row's message if an earlier attempt reached Slack after all.

        A top-level message is among the channel's newest 200 (the lost post went out within
        one claim of now); a thread reply is only in its thread (`conversations.history`
        never returns replies), whose replies come oldest first, so all its pages are read.
        """
        if not thread_ts:
            self.budgets.acquire("conversations.history", CLAIM.total_seconds() / 3)
            found = self._call(
                "conversations.history",
                self.client.conversations_history,
                channel=channel,
                limit=200,
                include_all_metadata=True,
            )
            return _keyed(found.get("messages") or [], row.key)
        cursor = None
        for _ in range(REPLY_PAGES):
            self.budgets.acquire("conversations.replies", CLAIM.total_seconds() / 3)
            page = self._call(
                "conversations.replies",
                self.client.conversations_replies,
                channel=channel,
                ts=thread_ts,
                limit=200,
                include_all_metadata=True,
                **({"cursor": cursor} if cursor else {}),
            )
            ts = _keyed(page.get("messages") or [], row.key)
            cursor = (page.get("response_metadata") or {}).get("next_cursor")
            if ts or not cursor:
                return ts
        return None

    def _failed_call(
        self, row: OutboxRow, err: SlackApiError, method: str, uncertain: bool
    ) -> None:
        status = getattr(err.response, "status_code", 200)
        error = str(err.response.get("error") or f"HTTP {status}")
        if status == 429 or error == "ratelimited":
            wait = _retry_after(err)
            with self._lock:
                self._paces.setdefault(_lane(row), _Pace()).blocked_until = time.monotonic() + wait
            self._retry(row, wait, error, count=False, uncertain=uncertain)
        elif error in PERMANENT:
            self._finish(row, FAILED, error=error)
            if error in UNREACHABLE:
                self._tell_undeliverable(row.channel, error)
        else:
            unavailable.warn(method, err, log)
            self._retry(row, None, error, uncertain=uncertain)

    def _retry(
        self,
        row: OutboxRow,
        wait: float | None,
        error: str,
        count: bool = True,
        uncertain: bool = False,
    ) -> None:
        now = self.clock()
        if count and row.attempts >= MAX_ATTEMPTS:
            self._finish(row, FAILED, error=f"gave up after {row.attempts} attempts: {error}")
            return
        if wait is None:
            self._slack_down = True
            ceiling = min(MAX_BACKOFF, 0.25 * 2 ** max(row.attempts - 1, 0))
            wait = random.uniform(ceiling / 2, ceiling)
        log.info("will retry %s in %.1fs (%s)", row.key, wait, error)
        with self.db.session() as session:
            done = session.execute(
                update(OutboxRow)
                .where(
                    col(OutboxRow.id) == row.id, col(OutboxRow.state) == PENDING, *self._fenced(row)
                )
                .values(
                    # A claim left standing (ran out) marks the row "look it up first".
                    claimed_until=now if uncertain else None,
                    next_attempt_at=now + timedelta(seconds=wait),
                    error=error[:500],
                )
            )
            if not self.db.is_sqlite and not getattr(done, "rowcount", 1):
                raise StaleLeader(row.claim_epoch)

    def _finish(
        self,
        row: OutboxRow,
        state: str,
        *,
        ts: str | None = None,
        error: str | None = None,
        now: datetime | None = None,
    ) -> None:
        if state != SENT:
            log.warning("message %s to %s %s: %s", row.key, row.channel, state, error)
        back = state == SENT and self._slack_down
        with self.db.session() as session:
            done = session.execute(
                update(OutboxRow)
                .where(col(OutboxRow.id) == row.id, *self._fenced(row))
                .values(
                    state=state,
                    ts=ts,
                    error=error,
                    claimed_until=None,
                    sent_at=now if state == SENT else None,
                )
            )
            if not self.db.is_sqlite and not getattr(done, "rowcount", 1):
                raise StaleLeader(row.claim_epoch)  # rolls back: the new leader has the row
            if back:  # Slack answers again: every channel waiting out a backoff may go now
                self._slack_down = False
                session.execute(
                    update(OutboxRow)
                    .where(
                        col(OutboxRow.state) == PENDING,
                        col(OutboxRow.next_attempt_at) > now,
                        col(OutboxRow.error) != "ratelimited",
                    )
                    .values(next_attempt_at=now)
                )
            if state == SENT and ts and row.live_kind and row.live_ref is not None:
                hook = self.outbox.on_sent.get(row.live_kind)
                if hook is not None:
                    hook(session, row.live_ref, ts)

    def _tell_undeliverable(self, channel: str, error: str) -> None:
        now = self.clock()
        for hook in self.outbox.undeliverable:
            try:
                with self.db.session() as session:
                    hook(session, channel, error, now)
            except Exception:
                log.exception("telling about the unreachable channel %s failed", channel)

    # --- refreshing live messages ----------------------------------------------------------

    def _refresh(self, item: LiveRefresh, taken: str) -> None:
        key = f"{item.kind}:{item.ref}"
        try:
            self._refresh_once(item, taken)
        except Exception:
            log.exception("refreshing %s failed", key)
            self._refresh_later(item, 1.0)
        finally:
            with self._lock:
                self._refreshed[key] = time.monotonic()
            self._release(key)

    def _refresh_once(self, item: LiveRefresh, taken: str) -> None:
        """Send the live message's latest version, with the call of `taken` already budgeted."""
        refresher = self.outbox.refreshers.get(item.kind)
        read_at = self.clock()
        with self.db.read() as session:
            found = refresher(session, item.ref) if refresher is not None else None
        method = found.method.replace("_", ".") if isinstance(found, Update) else taken
        if method != taken:  # learnt now: this kind's refreshes call another method
            self._live_methods[item.kind] = method
            self.budgets.refund(taken)
            if not self.budgets.take(method):
                return  # still due, and still the stalest: it goes when the budget allows
        if not isinstance(found, Update):
            self.budgets.refund(method)
        if found is WAIT:
            self._refresh_later(item, 1.0)
            return
        if isinstance(found, Update):
            try:
                self._call(method, self.client.api_call, method, json=found.args)
            except SlackApiError as err:
                status = getattr(err.response, "status_code", 200)
                error = str(err.response.get("error") or "")
                if status == 429 or status >= 500 or error not in PERMANENT:
                    wait = _retry_after(err) if status == 429 else 1.0
                    if status == 429:
                        self.budgets.pause(method, wait)
                    self._refresh_later(item, wait)
                    return
                log.warning("refresh %s:%s refused: %s", item.kind, item.ref, error)
            except Exception as err:
                log.info("refresh %s:%s will be retried: %s", item.kind, item.ref, err)
                self._refresh_later(item, 1.0)
                return
        with self.db.session() as session:  # done, unless it changed again meanwhile
            done = session.execute(
                delete(LiveRefresh).where(
                    col(LiveRefresh.kind) == item.kind,
                    col(LiveRefresh.ref) == item.ref,
                    col(LiveRefresh.version) == item.version,
                )
            )
            if not getattr(done, "rowcount", 1):  # what changed since is as stale as read_at
                session.execute(
                    update(LiveRefresh)
                    .where(col(LiveRefresh.kind) == item.kind, col(LiveRefresh.ref) == item.ref)
                    .values(due_at=read_at)
                )

    def _refresh_later(self, item: LiveRefresh, wait: float) -> None:
        with self.db.session() as session:
            session.execute(
                update(LiveRefresh)
                .where(col(LiveRefresh.kind) == item.kind, col(LiveRefresh.ref) == item.ref)
                .values(due_at=self.clock() + timedelta(seconds=wait))
            )


def _lane(row: OutboxRow) -> str:
    """Rows of one lane go in order, one at a time: a channel, or one person's answers there."""
    return f"{row.channel}/{row.ephemeral_to}" if row.ephemeral_to else row.channel


def _keyed(messages: list[Any], key: str) -> str | None:
    """The ts of the message carrying this outbox key in its metadata, if any."""
    for message in messages:
        payload = (message.get("metadata") or {}).get("event_payload") or {}
        if payload.get("key") == key:
            return str(message.get("ts"))
    return None


def _retry_after(err: SlackApiError) -> float:
    headers = getattr(err.response, "headers", None) or {}
    for name, value in headers.items():
        if name.lower() == "retry-after":
            try:
                return max(0.5, float(value[0] if isinstance(value, list) else value))
            except (TypeError, ValueError):
                break
    return 1.0

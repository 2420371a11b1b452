"""Messages owed to Slack, written in the same transaction as the change that owes them.

Deciding to post and posting are two steps. A feature decides inside its transaction:
`outbox.queue(session, Message(...))` adds a row with a unique key (a message is owed once,
whoever decides it twice), and `outbox.refresh(session, kind, ref)` notes that a live
message (the checklist, a poll, a gate card, someone's App Home) must show newer state.
The sender (bot/core/sender.py) delivers rows in order per channel and refreshes live
messages, through outages and restarts, on the leader replica only.

Features teach the outbox each kind of message they owe, once, with `outbox.teach(kind,
...)`: what a sent message's ts is remembered on (`on_sent`), how a live message is rendered
when it is refreshed (`refresher`), and how a row rendered at send time looks then
(`renderer`, e.g. a reminder that says how late it is); `outbox.teach_undeliverable(hook)`
says who hears that a channel cannot be reached.

Events for other systems go the same way: `outbox.emit(session, Event(...))` owes a signed
webhook to every endpoint of the release that wants it (bot/core/events.py, bot/webhooks).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, Column, Index, Text, func, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.event import listen
from sqlmodel import Field, Session, SQLModel, col, select

from bot.core.events import Event, NoWebhooks, Webhooks
from bot.core.models import UTCDateTime, utcnow

PENDING, SENT, DROPPED, FAILED = "pending", "sent", "dropped", "failed"
_POKE_HOOKED = "releasebot_outbox_poke"


class OutboxRow(SQLModel, table=True):
    """One message owed to Slack, and what became of it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_pending", "state", "next_attempt_at"),)

    id: int | None = Field(default=None, primary_key=True)
    key: str = Field(max_length=200, unique=True)
    channel: str = Field(max_length=32, index=True)
    text: str = Field(default="", sa_column=Column(Text, nullable=False, server_default=""))
    blocks: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    render: str | None = Field(default=None, max_length=64)
    render_args: str | None = Field(default=None, sa_column=Column(Text, nullable=True))
    thread_key: str | None = Field(default=None, max_length=200)
    thread_ts: str | None = Field(default=None, max_length=32)
    broadcast: bool = False
    live_kind: str | None = Field(default=None, max_length=32)
    live_ref: str | None = Field(default=None, max_length=64)
    useful_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    state: str = Field(default=PENDING, max_length=16)
    attempts: int = 0
    next_attempt_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    claimed_until: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # The epoch of the leader whose claim stands: only that leader may finish the row.
    claim_epoch: int | None = Field(default=None, sa_column=Column(BigInteger, nullable=True))
    # A message only this person sees (chat.postEphemeral), e.g. an answer to a click.
    ephemeral_to: str | None = Field(default=None, max_length=32)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    ts: str | None = Field(default=None, max_length=32)
    error: str | None = Field(default=None, sa_column=Column(Text, nullable=True))


class LiveRefresh(SQLModel, table=True):
    """A live message that must be refreshed: one row per message, bumped by each change."""

    __tablename__ = "live_refresh"

    kind: str = Field(primary_key=True, max_length=32)
    ref: str = Field(primary_key=True, max_length=64)
    version: int = 1
    due_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


@dataclass(frozen=True)
class Message:
    """A message the bot owes: where, what, and until when it is worth sending.

    `key` makes it owed once. `thread_key` names the message this one replies to (its ts
    may not be known yet); `live` is the (kind, ref) whose ts the sent message becomes;
    `render` is a (renderer kind, arguments) pair rendered when sent instead of `text`.
    """

    key: str
    channel: str
    text: str = ""
    blocks: list[dict[str, Any]] | None = None
    thread_key: str | None = None
    thread_ts: str | None = None
    broadcast: bool = False
    useful_until: datetime | None = None
    live: tuple[str, str] | None = None
    render: tuple[str, dict[str, Any]] | None = None
    ephemeral_to: str | None = None


def live_message(key: str, channel: str, kind: str, **ref: int) -> Message:
    """A message the `kind` renderer draws when it is sent, from its one row (`gate=12`), and
    redraws in place as that row changes."""
    ((name, row_id),) = ref.items()
    return Message(
        key=key, channel=channel, render=(kind, {name: row_id}), live=(kind, str(row_id))
    )


@dataclass(frozen=True)
class Update:
    """A refresh to perform: a Web API method and its arguments (chat.update, views.publish)."""

    method: str
    args: dict[str, Any]


class Wait:
    """A refresher's answer when the live message cannot be refreshed yet (not posted)."""


WAIT = Wait()

# (session, ref) -> the refresh to perform, WAIT, or None when there is nothing to refresh.
Refresher = Callable[[Session, str], "Update | Wait | None"]
# (session, args, now) -> (text, blocks) to send, or None when it is no longer worth sending.
Renderer = Callable[[Session, dict[str, Any], datetime], "tuple[str, list[Any] | None] | None"]
# (session, ref, ts): remember where a live message was posted.
OnSent = Callable[[Session, str, str], None]
# (session, channel, error, now): Slack will never take messages for this channel.
OnUndeliverable = Callable[[Session, str, str, datetime], None]


@dataclass
class Outbox:
    """What features call to owe messages, and the hooks that teach it their live messages."""

    poke: Callable[[], None] = lambda: None
    on_sent: dict[str, OnSent] = field(default_factory=dict)
    refreshers: dict[str, Refresher] = field(default_factory=dict)
    renderers: dict[str, Renderer] = field(default_factory=dict)
    undeliverable: list[OnUndeliverable] = field(default_factory=list)
    webhooks: Webhooks = field(default_factory=NoWebhooks)

    def teach(
        self,
        kind: str,
        *,
        on_sent: OnSent | None = None,
        refresher: Refresher | None = None,
        renderer: Renderer | None = None,
    ) -> None:
        """What a kind of message needs: its ts remembered, its refresh, its rendering when sent.

        Teaching a kind again replaces what it was taught before, hook by hook.
        """
        if on_sent is not None:
            self.on_sent[kind] = on_sent
        if refresher is not None:
            self.refreshers[kind] = refresher
        if renderer is not None:
            self.renderers[kind] = renderer

    def teach_undeliverable(self, hook: OnUndeliverable) -> None:
        """Someone to tell when Slack will never take messages for a channel (once each)."""
        if hook not in self.undeliverable:
            self.undeliverable.append(hook)

    def emit(self, session: Session, event: Event) -> None:
        """Owe an event to the release's webhook endpoints, in the change's transaction."""
        self.webhooks.emit(session, event)

    def queue(self, session: Session, *messages: Message, now: datetime | None = None) -> None:
        """Owe these messages; a key owed already is left as it is (exactly once)."""
        if not messages:
            return
        at = now or utcnow()
        rows = [_row(message, at) for message in messages]
        make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        session.execute(make(OutboxRow).values(rows).on_conflict_do_nothing(index_elements=["key"]))
        self._poke_after_commit(session)

    def refresh(
        self, session: Session, kind: str, ref: str | int, now: datetime | None = None
    ) -> None:
        """Note that a live message must show newer state (refreshes are coalesced)."""
        at = now or utcnow()
        make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        stmt = make(LiveRefresh).values(kind=kind, ref=str(ref), version=1, due_at=at)
        stmt = stmt.on_conflict_do_update(
            index_elements=["kind", "ref"],
            set_={"version": col(LiveRefresh.version) + 1},
        )
        session.execute(stmt)
        self._poke_after_commit(session)

    def _poke_after_commit(self, session: Session) -> None:
        if not session.info.get(_POKE_HOOKED):
            session.info[_POKE_HOOKED] = True
            listen(session, "after_commit", lambda _s: self.poke(), once=True)


def _row(message: Message, now: datetime) -> dict[str, Any]:
    render, args = message.render or (None, None)
    kind, ref = message.live or (None, None)
    return {
        "key": message.key[:200],
        "channel": message.channel,
        "text": message.text,
        "blocks": json.dumps(message.blocks) if message.blocks is not None else None,
        "render": render,
        "render_args": json.dumps(args) if args is not None else None,
        "thread_key": message.thread_key,
        "thread_ts": message.thread_ts,
        "broadcast": message.broadcast,
        "live_kind": kind,
        "live_ref": str(ref) if ref is not None else None,
        "useful_until": message.useful_until,
        "ephemeral_to": message.ephemeral_to,
        "state": PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
    }


@dataclass(frozen=True)
class Backlog:
    """How much is waiting to be sent, and since when (for operators)."""

    pending: int
    oldest: datetime | None

    def age(self, now: datetime) -> float:
        """Seconds the oldest waiting message has waited (0 when none)."""
        return (now - self.oldest).total_seconds() if self.oldest else 0.0


def backlog(session: Session, channel: str | None = None) -> Backlog:
    """Pending rows (of one channel, or all) and the oldest one's creation time."""
    query = select(func.count(), func.min(OutboxRow.created_at)).where(OutboxRow.state == PENDING)
    if channel is not None:
        query = query.where(OutboxRow.channel == channel)
    count, oldest = session.exec(query).one()
    return Backlog(int(count or 0), oldest)


def forget_pending(session: Session, key_prefix: str, reason: str) -> int:
    """Drop pending rows whose key starts with the prefix (their moment passed); how many."""
    result = session.execute(
        update(OutboxRow)
        .where(col(OutboxRow.state) == PENDING, col(OutboxRow.key).startswith(key_prefix))
        .values(state=DROPPED, error=reason)
    )
    return int(getattr(result, "rowcount", 0) or 0)

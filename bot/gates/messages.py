"""What gates owe Slack: the gate's card, its alert, re-pings in the alert's thread, recoveries.

Each is written to the outbox in the transaction that records the change owing it (the
check's result, the click, the claimed re-ping), under a key naming what it is about, so it
is sent once, after an outage or a restart too:
- `gate:<id>:card`: the gate's card, drawn when sent. It is live (kind "gate"): its ts is
  kept on the gate, and every visible change asks for a refresh.
- `gate:<id>:red:<since>`: the alert of the turn to red at <since> (microseconds); its ts is
  kept on the gate as `alert_ts` (kind "gate.alert").
- `gate:<id>:red:<since>:ping:<n>`: the n-th re-ping, a reply to that alert (the first
  escalation goes to the channel), drawn when sent and dropped if that red spell is over.
- `gate:<id>:green:<since>`: the note that the gate passes again.
A removed gate's row is gone, so its card is retired by a refresh of kind "gate.removed"
whose ref names the removal's audit event (what and who) and the card's ts.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlmodel import Session, select

from bot.core.live import Posted, posted
from bot.core.models import AuditEvent
from bot.core.outbox import (
    Message,
    Outbox,
    OutboxRow,
    Update,
    Wait,
    forget_pending,
    live_message,
)
from bot.gates import alerting, events, render, transitions
from bot.gates.alerting import Change, Ping
from bot.gates.models import Gate
from bot.gates.owners import owners_of
from bot.release.escalation import LEADS, Climb
from bot.release.models import Release

CARD = "gate"  # the live card, and the renderer of its first post
ALERT = "gate.alert"
PING = "gate.ping"
REMOVED = "gate.removed"
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
Drawn = tuple[str, list[Any] | None] | None  # what a renderer gives the sender


def register(outbox: Outbox) -> None:
    """Teach the outbox the gate's card, its alert, and the re-ping drawn when sent."""
    outbox.teach(CARD, on_sent=card_posted, refresher=card_update, renderer=draw_card)
    outbox.teach(ALERT, on_sent=alert_posted)
    outbox.teach(REMOVED, refresher=removed_update)
    outbox.teach(PING, renderer=draw_ping)


# --- keys ------------------------------------------------------------------------------------


def card_key(gate_id: int) -> str:
    """The key of a gate's card."""
    return f"gate:{gate_id}:card"


def spell(gate: Gate) -> int:
    """Which red (or green) spell the gate is in: when it began, in microseconds."""
    since = gate.state_since or _EPOCH
    return (since - _EPOCH) // timedelta(microseconds=1)


def red_key(gate: Gate) -> str:
    """The key of the alert of the gate's current red spell (its re-pings reply to it)."""
    return f"gate:{gate.id}:red:{spell(gate)}"


# --- what a change owes ----------------------------------------------------------------------


def card(gate: Gate, release: Release) -> Message:
    """A new gate's card, drawn when it is sent so it shows the newest state."""
    assert gate.id is not None
    return live_message(card_key(gate.id), release.channel_id, CARD, gate=gate.id)


def after_change(
    outbox: Outbox, session: Session, gate: Gate, release: Release, change: Change, now: datetime
) -> None:
    """Owe what a visible transition owes: the alert or recovery note, and a fresh card."""
    if change.event is None or gate.id is None:
        return
    event = events.of_change(session, gate, release, now)
    if event is not None:
        outbox.emit(session, event)
    zone = ZoneInfo(release.zone)
    if change.event == alerting.ALERT:
        text, blocks = render.alert(gate, zone, owners_of(session, gate), now=now)
        alert = Message(
            key=red_key(gate),
            channel=release.channel_id,
            text=text,
            blocks=blocks,
            live=(ALERT, f"{gate.id}:{spell(gate)}"),
        )
        outbox.queue(session, alert, now=now)
    elif change.event == alerting.RECOVERED:
        text, blocks = render.recovered(gate, change.red_for)
        note = Message(
            key=f"gate:{gate.id}:green:{spell(gate)}",
            channel=release.channel_id,
            text=text,
            blocks=blocks,
        )
        outbox.queue(session, note, now=now)
    outbox.refresh(session, CARD, gate.id, now)


def reping(session: Session, gate: Gate, release: Release, ping: Ping) -> Message:
    """A re-ping of the red spell's owners, in the alert's thread."""
    alert = red_key(gate)
    args = {"gate": gate.id, "spell": spell(gate), "number": ping.number}
    return Message(
        key=f"{alert}:ping:{ping.number}",
        channel=release.channel_id,
        thread_key=alert,
        thread_ts=_legacy_alert_ts(session, gate),
        render=(PING, args),
    )


def asked(session: Session, gate: Gate, release: Release, climb: Climb, now: datetime) -> Message:
    """The next rungs of the red spell's ladder asked, in the alert's thread.

    Asking the lead is also shown in the channel (a reply broadcast), as the lead's first
    word on a red gate always was.
    """
    assert climb.told is not None and gate.state_since is not None
    alert = red_key(gate)
    assert climb.before is not None
    first = climb.rungs_told - len(climb.told.rungs)  # the index of the first rung asked now
    red_for = now - gate.state_since
    text, blocks = render.asked(gate, climb, climb.before, red_for, owners_of(session, gate))
    return Message(
        key=f"{alert}:rung:{first}",
        channel=release.channel_id,
        text=text,
        blocks=blocks,
        thread_key=alert,
        thread_ts=_legacy_alert_ts(session, gate),
        broadcast=any(rung.label == LEADS for rung in climb.told.rungs),
    )


def _legacy_alert_ts(session: Session, gate: Gate) -> str | None:
    """The alert's ts when it was posted before alerts went through the outbox (no row)."""
    found = session.exec(select(OutboxRow.id).where(OutboxRow.key == red_key(gate))).first()
    return gate.alert_ts if found is None else None


def retire(
    outbox: Outbox, session: Session, gate: Gate, removal: AuditEvent, now: datetime
) -> None:
    """Drop what a removed gate still owed; its card becomes a note of who removed it."""
    forget_pending(session, f"gate:{gate.id}:", "the gate was removed")
    if gate.message_ts and removal.id is not None:
        outbox.refresh(session, REMOVED, f"{removal.id}:{gate.message_ts}", now)


# --- hooks the sender calls ------------------------------------------------------------------


def card_posted(session: Session, ref: str, ts: str) -> None:
    """Remember where the gate's card was posted."""
    transitions.remember_message(session, int(ref), message_ts=ts)


def alert_posted(session: Session, ref: str, ts: str) -> None:
    """Remember the alert's ts, if its red spell is still the gate's current one."""
    gate_id, _, since = ref.partition(":")
    gate = session.get(Gate, int(gate_id))
    if gate is None or not alerting.alarmed(gate.state, gate.alert_yellow):
        return
    if str(spell(gate)) == since:
        transitions.remember_message(session, gate.id or 0, alert_ts=ts)


def draw_card(session: Session, args: dict[str, Any], now: datetime) -> Drawn:
    """The card as the gate is now; None (dropped) when the gate is gone."""
    found = _gate_and_release(session, int(args["gate"]))
    if found is None:
        return None
    gate, release = found
    return render.card(gate, ZoneInfo(release.zone), owners_of(session, gate))


def draw_ping(session: Session, args: dict[str, Any], now: datetime) -> Drawn:
    """The re-ping, saying how long the gate has been red; None once that red spell is over."""
    found = _gate_and_release(session, int(args["gate"]))
    if found is None:
        return None
    gate, release = found
    if release.state != "active" or not alerting.alarmed(gate.state, gate.alert_yellow):
        return None
    if spell(gate) != int(args["spell"]):
        return None
    owners = owners_of(session, gate)
    return render.reping(gate, now, ZoneInfo(release.zone), owners)


def card_update(session: Session, ref: str) -> Update | Wait | None:
    """The card redrawn in place; WAIT while its first post is still owed."""
    found = _gate_and_release(session, int(ref))
    if found is None:
        return None
    gate, release = found
    live = posted(session, card_key(int(ref)), gate.message_ts)
    if not isinstance(live, Posted):
        return live
    text, blocks = render.card(gate, ZoneInfo(release.zone), owners_of(session, gate))
    args = {"channel": release.channel_id, "ts": live.ts, "text": text, "blocks": blocks}
    return Update("chat.update", args)


def removed_update(session: Session, ref: str) -> Update | None:
    """A removed gate's card, as the note of who removed it."""
    event_id, _, ts = ref.partition(":")
    event = session.get(AuditEvent, int(event_id))
    if event is None or not ts:
        return None
    text, blocks = render.removed(event.subject, event.actor)
    return Update(
        "chat.update", {"channel": event.channel_id, "ts": ts, "text": text, "blocks": blocks}
    )


def _gate_and_release(session: Session, gate_id: int) -> tuple[Gate, Release] | None:
    gate = session.get(Gate, gate_id)
    if gate is None:
        return None
    release = session.get(Release, gate.release_id)
    return (gate, release) if release is not None else None

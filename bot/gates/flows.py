"""Gate timers and their side effects: scheduled checks, re-pings, alerts and recovery notes.

Every timer claims its work in the database before posting: a check moves the gate's
`next_check_at` on with a guarded UPDATE, a re-ping bumps `pings` under the gate's
`version`, and an alert follows only the one UPDATE that turned the gate red.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core.scheduler import Timer
from bot.core.services import Services
from bot.gates import alerting as gate_alerting
from bot.gates import render
from bot.gates import service as gates
from bot.gates.models import Gate
from bot.gates.probe import check, secrets
from bot.gates.probe.expect import Verdict
from bot.release import service as releases
from bot.release.models import Release

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Probe:
    """What a check needs, copied out of the session so the slow request holds no transaction."""

    gate_id: int
    name: str
    url: str
    expect: str | None
    headers: str | None
    interval: int


def probe_of(gate: Gate) -> Probe:
    """The check parameters of an HTTP gate."""
    assert gate.id is not None and gate.url
    return Probe(gate.id, gate.name, gate.url, gate.expect, gate.headers, gate.interval_seconds)


class GateRunner:
    """Runs checks and re-pings for gates, and tells the channel about transitions."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings

    # --- timers --------------------------------------------------------------------------

    def planner(self, session: Session, now: datetime, until: datetime) -> list[Timer]:
        """Due checks and re-pings of gates in active releases."""
        checks, pings = gates.planned(session, until)
        timers = []
        for gate in checks:
            assert gate.id is not None and gate.next_check_at is not None
            due = gate.next_check_at
            key = f"gate:check:{gate.id}:{due.isoformat()}"
            timers.append(Timer(key, due, partial(self.scheduled_check, gate.id, due)))
        for gate in pings:
            assert gate.id is not None and gate.next_ping_at is not None
            key = f"gate:ping:{gate.id}:{gate.pings}"
            timers.append(Timer(key, gate.next_ping_at, partial(self.ping, gate.id, gate.pings)))
        return timers

    def scheduled_check(self, gate_id: int, due: datetime, now: datetime) -> None:
        """A planned check: claim it (gate id + planned time), then run it."""
        with self.services.db.session() as session:
            gate = session.get(Gate, gate_id)
            if gate is None or gate.kind != gates.HTTP:
                return
            lease = now + timedelta(seconds=gate.interval_seconds + self.settings.gate_timeout)
            if not gates.claim_check(session, gate_id, due, lease):
                return
            probe = probe_of(gate)
        self.run(probe, clock=self.services.scheduler.clock)

    def ping(self, gate_id: int, pings: int, now: datetime) -> None:
        """A re-ping of a failing gate, claimed before it is posted."""
        with self.services.db.session() as session:
            got = gates.claim_ping(session, gate_id, pings, now, self.settings.gate_escalate_after)
            if got is None:
                return
            gate, ping = got
            release = releases.get(session, gate.release_id)
            leads = releases.leads(session, release.id or 0) if ping.escalate else []
        text, blocks = render.reping(gate, ping.number, leads, now, ZoneInfo(release.zone))
        first_escalation = ping.number == self.settings.gate_escalate_after + 1
        thread = None if first_escalation else gate.alert_ts
        self.services.notifier.post(release.channel_id, text, blocks, thread_ts=thread)

    # --- checks --------------------------------------------------------------------------

    def run(
        self, probe: Probe, *, clock: Callable[[], datetime], actor: str | None = None
    ) -> Verdict:
        """Fetch, record the result, announce a transition; returns what was seen."""
        verdict = check.run(
            probe.url,
            probe.expect,
            probe.headers,
            allow=self.settings.gate_allow,
            timeout=self.settings.gate_timeout,
            secrets=secrets.from_settings(
                self.settings.gate_grants, self.settings.gate_secret_values
            ),
        )
        now = clock()
        with self.services.db.session() as session:
            applied = gates.apply_result(
                session,
                probe.gate_id,
                passed=verdict.ok,
                detail=verdict.detail,
                now=now,
                next_check_at=now + timedelta(seconds=probe.interval),
                **({"actor": actor} if actor else {}),
            )
            if applied is None:
                return verdict
            gate, change = applied
            release = releases.get(session, gate.release_id)
        self.announce(gate, release, change)
        return verdict

    def check_many(
        self, probes: list[Probe], clock: Callable[[], datetime], actor: str
    ) -> list[tuple[str, bool | None, str]]:
        """Run several checks at once (for `/gate check`): (name, passed, detail) each."""
        if not probes:
            return []
        with ThreadPoolExecutor(max_workers=min(8, len(probes))) as pool:
            verdicts = list(pool.map(lambda p: self.run(p, clock=clock, actor=actor), probes))
        return [(p.name, v.ok, v.detail) for p, v in zip(probes, verdicts, strict=True)]

    # --- telling the channel ---------------------------------------------------------------

    def announce(self, gate: Gate, release: Release, change: gate_alerting.Change) -> None:
        """Post the alert or recovery note of a transition and refresh the gate's card."""
        if change.event is None:
            return
        zone = ZoneInfo(release.zone)
        notifier = self.services.notifier
        if change.event == gate_alerting.ALERT:
            text, blocks = render.alert(gate, zone)
            ts = notifier.post(release.channel_id, text, blocks)
            if ts:
                with self.services.db.session() as session:
                    gates.remember_message(session, gate.id or 0, alert_ts=ts)
        elif change.event == gate_alerting.RECOVERED:
            text, blocks = render.recovered(gate, change.red_for)
            notifier.post(release.channel_id, text, blocks)
        self.refresh_card(gate.id or 0)

    def refresh_card(self, gate_id: int) -> None:
        """Redraw the gate's card from the database (coalesced)."""
        self.services.refresher.request(f"gate:{gate_id}", partial(self._redraw, gate_id))

    def _redraw(self, gate_id: int) -> None:
        with self.services.db.read() as session:
            gate = session.get(Gate, gate_id)
            if gate is None or not gate.message_ts:
                return
            release = releases.get(session, gate.release_id)
            text, blocks = render.card(gate, ZoneInfo(release.zone))
            channel, ts = release.channel_id, gate.message_ts
        self.services.notifier.update(channel, ts, text, blocks)

"""What follows a change to gates: checks, re-pings, alerts, recovery notes, the gate's card.

`GateRunner` runs the scheduled checks and re-pings, and carries out what people ask
(add, remove, set, check now): the service decides, the runner then plans timers, posts
and refreshes. Every timer claims its work in the database before posting: a check moves
the gate's `next_check_at` on with a guarded UPDATE, a re-ping bumps `pings` under the
gate's `version`, and an alert follows only the one UPDATE that turned the gate red.
`register` adds the feature's timers, status section, doctor check and step guard.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core.scheduler import Timer
from bot.core.services import Services
from bot.core.status import Section
from bot.gates import alerting, render, transitions
from bot.gates import service as gates
from bot.gates.doctor import check_gates
from bot.gates.ids import SetPress
from bot.gates.models import HTTP, Gate
from bot.gates.options import Options
from bot.gates.probe import check
from bot.gates.probe.expect import Verdict
from bot.gates.probe.secrets import GateSecrets
from bot.release import service as releases
from bot.release.models import Release


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


@dataclass(frozen=True)
class Added:
    """A gate just stored, where its card goes, and the variables the bot has no value for."""

    gate: Gate
    channel_id: str
    zone: ZoneInfo
    unset: tuple[str, ...] = ()


def register(services: Services) -> None:
    """Add the gates' timers, status section, doctor check and checklist step guard."""
    services.scheduler.add_planner("gates", GateRunner(services).planner)
    services.add_section("gates", 50, status_section)
    services.add_check(check_gates)
    services.add_step_guard(gates.require_gates)


def status_section(session: Session, release: Release, now: datetime) -> Section | None:
    """The gates part of `/release status`."""
    assert release.id is not None
    found = gates.gates_of(session, release.id)
    if not found:
        return None
    red = sum(1 for g in found if g.state == alerting.FAILING)
    title = f"Gates ({red} failing)" if red else "Gates"
    return Section(title, render.status_lines(found, ZoneInfo(release.zone)))


class GateRunner:
    """Runs checks and re-pings for gates, carries out what people ask, tells the channel."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.settings = services.settings

    # --- what people ask -----------------------------------------------------------------

    def add_http(self, channel_id: str, actor: str, name: str, url: str, given: Options) -> Added:
        """Add an HTTP gate; its URL is vetted before the transaction, so DNS holds no lock."""
        return self._add(channel_id, actor, gates.propose_http(name, url, given, self.settings))

    def add_manual(self, channel_id: str, actor: str, name: str, given: Options) -> Added:
        """Add a manual gate."""
        return self._add(channel_id, actor, gates.propose_manual(name, given))

    def _add(self, channel_id: str, actor: str, proposal: gates.Proposal) -> Added:
        now = self.services.now()
        with self.services.db.session() as session:
            release = releases.lock_active(session, channel_id)
            gate = gates.add(
                session,
                release,
                proposal,
                actor=actor,
                settings=self.settings,
                creators=self.services.creators,
                now=now,
            )
        self.services.scheduler.poke()
        return Added(gate, release.channel_id, ZoneInfo(release.zone), proposal.unset)

    def post_card(self, added: Added) -> None:
        """Post a new gate's card, remember where, and draw it fresh."""
        gate = added.gate
        text, blocks = render.card(gate, added.zone)
        ts = self.services.notifier.post(added.channel_id, text, blocks)
        if ts and gate.id is not None:
            with self.services.db.session() as session:
                transitions.remember_message(session, gate.id, message_ts=ts)
            self.refresh_card(gate.id)

    def remove(self, channel_id: str, actor: str, name: str) -> Gate:
        """Remove a gate (lead only); its checks and re-pings stop."""
        now = self.services.now()
        with self.services.db.session() as session:
            release = releases.lock_active(session, channel_id)
            gate = gates.remove(
                session, release, name, actor=actor, admins=self.settings.admins, now=now
            )
        self.services.scheduler.poke()
        return gate

    def retire_card(self, channel_id: str, gate: Gate, actor: str) -> None:
        """Turn a removed gate's card into a note of who removed it."""
        if gate.message_ts:
            text, blocks = render.removed(gate.name, actor)
            self.services.notifier.update(channel_id, gate.message_ts, text, blocks)

    def set_manual(self, press: SetPress, actor: str) -> None:
        """Mark passing / Mark failing, as pressed; the alert or note follows after the ack."""
        with self.services.db.session() as session:
            gate, change = gates.set_manual(
                session,
                press.gate_id,
                to_pass=press.to_pass,
                version=press.version,
                user_id=actor,
                admins=self.settings.admins,
                now=self.services.now(),
            )
            release = releases.get(session, gate.release_id)
        self.services.notifier.later(self.announce, gate, release, change)

    def check_and_tell(self, probes: list[Probe], channel_id: str, user_id: str) -> None:
        """`/gate check`: run the checks now and tell the one who asked what was seen."""
        rows = self.check_many(probes, self.services.now, user_id)
        self.services.notifier.ephemeral(channel_id, user_id, render.results(rows))

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
            if gate is None or gate.kind != HTTP:
                return
            lease = now + timedelta(seconds=gate.interval_seconds + self.settings.gate_timeout)
            if not transitions.claim_check(session, gate_id, due, lease):
                return
            probe = probe_of(gate)
        self.run(probe, clock=self.services.scheduler.clock)

    def ping(self, gate_id: int, pings: int, now: datetime) -> None:
        """A re-ping of a failing gate, claimed before it is posted."""
        with self.services.db.session() as session:
            got = transitions.claim_ping(
                session, gate_id, pings, now, self.settings.gate_escalate_after
            )
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
            secrets=GateSecrets.from_settings(self.settings),
        )
        now = clock()
        with self.services.db.session() as session:
            applied = transitions.apply_result(
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

    def announce(self, gate: Gate, release: Release, change: alerting.Change) -> None:
        """Post the alert or recovery note of a transition and refresh the gate's card."""
        if change.event is None:
            return
        zone = ZoneInfo(release.zone)
        notifier = self.services.notifier
        if change.event == alerting.ALERT:
            text, blocks = render.alert(gate, zone)
            ts = notifier.post(release.channel_id, text, blocks)
            if ts:
                with self.services.db.session() as session:
                    transitions.remember_message(session, gate.id or 0, alert_ts=ts)
        elif change.event == alerting.RECOVERED:
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

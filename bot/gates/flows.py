"""What follows a change to gates: checks on their own workers, re-pings, what Slack is owed.

`GateRunner` runs the scheduled checks and re-pings, and carries out what people ask (add,
remove, set, check now): the service decides, and in the same transaction the runner owes
the card, alert, re-ping or recovery note to the outbox (`messages`), which delivers them
through outages. Every timer claims its work in the database first: a check moves the
gate's `next_check_at` on with a guarded UPDATE, a re-ping bumps `pings` under the gate's
`version`, and an alert follows only the one UPDATE that turned the gate red.

Checks run on the runner's own few workers (`pool`), never on the scheduler's, the
notifier's or the sender's threads: a hanging CI server holds a check worker, nothing that
posts or plans; a check asked for a gate already being checked joins that check. When GitHub
says its rate limit is reached, the runner remembers until when (per API host), and no
GitHub gate asks again before then: their checks are put off, not recorded. The front door
(`bot.gates`) makes the one runner and gives Services its timers, hooks, status and guard.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from zoneinfo import ZoneInfo

from sqlalchemy.event import listen
from sqlmodel import Session

from bot.core.actor import Actor
from bot.core.asks.milestones import MILESTONES
from bot.core.audit import SYSTEM_ACTOR
from bot.core.fetch.secrets import GateSecrets, url_host
from bot.core.scheduler import Timer
from bot.core.services import Services
from bot.core.status import Section
from bot.gates import (
    alerting,
    figures,
    history,
    messages,
    render,
    transitions,
)
from bot.gates import service as gates
from bot.gates.alerting import Change
from bot.gates.ids import SetPress
from bot.gates.models import CHECKED, GITHUB, PUSH, TESTGRID, Gate, parse_spec
from bot.gates.options import Options
from bot.gates.outcome import Outcome, of_verdict, unknown
from bot.gates.owners import owners_by_gate
from bot.gates.pool import CheckPool
from bot.gates.probe import check
from bot.gates.signal import github, testgrid
from bot.release import escalation
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
    kind: str = "http"
    spec: str | None = None


def probe_of(gate: Gate) -> Probe:
    """The check parameters of a gate the bot checks (HTTP, GitHub, TestGrid)."""
    assert gate.id is not None and gate.kind in CHECKED
    return Probe(
        gate.id,
        gate.name,
        gate.url or "",
        gate.expect,
        gate.headers,
        gate.interval_seconds,
        gate.kind,
        gate.spec,
    )


@dataclass(frozen=True)
class Added:
    """A gate just stored (its card is owed), the variables the bot has no value for, and
    its owners now with what the caller should know (an unbounded search, no token)."""

    gate: Gate
    unset: tuple[str, ...] = ()
    owners: tuple[str, ...] = ()
    hints: tuple[str, ...] = ()


@dataclass(frozen=True)
class Asked:
    """What `/gate check` set going: gates checked now, and gates already being checked."""

    started: list[str]
    joined: list[str]


def report(services: Services, release_id: int, name: str, outcome: Outcome, actor: Actor) -> Gate:
    """A push gate's report (its owners or a lead), owing its alert or note in that commit."""
    now = services.now()
    with services.db.session() as session:
        release = releases.get(session, release_id)
        gate, change = gates.report(session, release, name, outcome, actor=actor, now=now)
        owe_after_change(services, session, gate, release, change, now)
    # Its deadline moved later: the timer planned for the old one finds the claim gone, and
    # the next replan plans the new one, so the scheduler need not replan for each report.
    return gate


def owe_after_change(
    services: Services,
    session: Session,
    gate: Gate,
    release: Release,
    change: Change,
    now: datetime,
) -> None:
    """Owe what a transition owes; a turn to red also has its ladder looked at once committed."""
    messages.after_change(services.outbox, session, gate, release, change, now)
    if change.event == alerting.ALERT:
        listen(session, "after_commit", lambda _s: services.scheduler.poke(), once=True)


THIN_AT_MINUTE = 17  # past each hour: away from the round hours other timers favour


def thinning_planner(
    services: Services, session: Session, now: datetime, until: datetime
) -> list[Timer]:
    """The hourly thinning of gate histories (on the leader, like every timer)."""
    due = now.replace(minute=THIN_AT_MINUTE, second=0, microsecond=0)
    if due <= now:
        due += timedelta(hours=1)
    if due >= until:
        return []
    return [Timer(f"gate:thin:{due.isoformat()}", due, partial(thin_history, services))]


def thin_history(services: Services, now: datetime) -> None:
    """Thin every gate's history older than a week, in bounded transactions."""
    with services.db.read() as session:
        gate_ids = history.gates_with_old_rows(session, now)
    done = history.thin(services.db.session, gate_ids, now)
    if done.deleted:
        log.info(
            "gate history: %d of %d old rows thinned over %d gates",
            done.deleted,
            done.read,
            done.gates,
        )


def status_section(session: Session, release: Release, now: datetime) -> Section | None:
    """The gates part of `/release status`: what fits whole, failing first, the rest counted."""
    assert release.id is not None
    found = gates.gates_of(session, release.id)
    if not found:
        return None
    red = sum(1 for g in found if g.state == alerting.FAILING)
    yellow = sum(1 for g in found if g.state == alerting.YELLOW)
    counted = [f"{red} failing" if red else "", f"{yellow} yellow" if yellow else ""]
    said = ", ".join(part for part in counted if part)
    title = f"Gates ({said})" if said else "Gates"
    owners = owners_by_gate(session, [g for g in found if g.state == alerting.FAILING])
    lines = render.status_lines(found, ZoneInfo(release.zone), owners=owners)
    return Section(title, lines)


class GateRunner:
    """Runs checks and re-pings for gates, carries out what people ask, owes what follows."""

    def __init__(self, services: Services, checks: CheckPool[Outcome] | None = None) -> None:
        self.services = services
        self.settings = services.settings
        self.checks: CheckPool[Outcome] = checks or CheckPool()
        self._held: dict[str, datetime] = {}  # API host -> no request before then (rate limit)
        self._hold_lock = threading.Lock()

    def stop(self) -> None:
        """Let the checks waiting or running finish, then end the check workers."""
        self.checks.stop()

    # --- what people ask -----------------------------------------------------------------

    def add_http(self, channel_id: str, actor: Actor, name: str, url: str, given: Options) -> Added:
        """Add an HTTP gate; its URL is vetted before the transaction, so DNS holds no lock."""
        return self._add(channel_id, actor, gates.propose_http(name, url, given, self.settings))

    def add_manual(self, channel_id: str, actor: Actor, name: str, given: Options) -> Added:
        """Add a manual gate."""
        return self._add(channel_id, actor, gates.propose_manual(name, given))

    def add_push(self, channel_id: str, actor: Actor, name: str, given: Options) -> Added:
        """Add a push gate (CI reports to it through the API)."""
        return self._add(channel_id, actor, gates.propose_push(name, given))

    def add_github(
        self, channel_id: str, actor: Actor, name: str, query: list[str], given: Options
    ) -> Added:
        """Add a GitHub search gate; the API host is vetted before the transaction."""
        proposal = gates.propose_github(name, query, given, self.settings)
        return self._add(channel_id, actor, proposal)

    def add_testgrid(
        self, channel_id: str, actor: Actor, name: str, dashboards: list[str], given: Options
    ) -> Added:
        """Add a TestGrid gate over blocking (and informing) dashboards."""
        proposal = gates.propose_testgrid(name, dashboards, given, self.settings)
        return self._add(channel_id, actor, proposal)

    def _add(self, channel_id: str, actor: Actor, proposal: gates.Proposal) -> Added:
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
            self.services.outbox.queue(session, messages.card(gate, release), now=now)
            owners = tuple(gates.owners_of(session, gate))
        self.services.scheduler.poke()
        return Added(gate, proposal.unset, owners, proposal.hints)

    def remove(self, channel_id: str, actor: Actor, name: str) -> Gate:
        """Remove a gate (lead only); its checks and re-pings stop, its card says who did it."""
        now = self.services.now()
        with self.services.db.session() as session:
            release = releases.lock_active(session, channel_id)
            gate, removal = gates.remove(session, release, name, actor=actor, now=now)
            session.flush()
            messages.retire(self.services.outbox, session, gate, removal, now)
        self.services.scheduler.poke()
        return gate

    def set_manual(self, press: SetPress, actor: Actor) -> None:
        """Mark passing / Mark failing, as pressed; the alert or note is owed in that commit."""
        now = self.services.now()
        with self.services.db.session() as session:
            gate, change = gates.set_manual(
                session,
                press.gate_id,
                to_pass=press.to_pass,
                version=press.version,
                actor=actor,
                now=now,
            )
            release = releases.get(session, gate.release_id)
            owe_after_change(self.services, session, gate, release, change, now)

    def chart(self, channel_id: str, name: str) -> figures.Chart:
        """What `/gate chart NAME` draws (the channel's release, or its latest one)."""
        with self.services.db.read() as session:
            release = releases.active_release_or_latest(session, channel_id)
            gate = gates.by_name(session, release, name)
            milestones = self.services.answers_to(MILESTONES)
            return figures.chart_of(session, release, gate, self.services.now(), milestones)

    def post_chart(self, drawn: figures.Chart) -> bool:
        """Draw the chart and share it in its channel (slow: run it after answering)."""
        return figures.post_chart(self.services.notifier, drawn)

    def check_now(self, probes: list[Probe], channel_id: str, user_id: str) -> Asked:
        """`/gate check`: start the checks (or join those running); the asker hears the results."""
        started: list[str] = []
        joined: list[str] = []
        futures: list[Future[Outcome]] = []
        for probe in probes:
            run = partial(self.run, probe, clock=self.services.now, actor=user_id)
            future, running = self.checks.submit(probe.gate_id, run)
            (joined if running else started).append(probe.name)
            futures.append(future)
        self._tell_when_done(probes, futures, channel_id, user_id)
        return Asked(started, joined)

    def _tell_when_done(
        self, probes: list[Probe], futures: list[Future[Outcome]], channel_id: str, user_id: str
    ) -> None:
        left = [len(futures)]
        lock = threading.Lock()

        def one_done(_: Future[Outcome]) -> None:
            with lock:
                left[0] -= 1
                if left[0]:
                    return
            rows = [(p.name, *_outcome(f)) for p, f in zip(probes, futures, strict=True)]
            notifier = self.services.notifier
            try:  # the asker's own answer: handed to the notifier, never sent by a check worker
                notifier.later(notifier.ephemeral, channel_id, user_id, render.results(rows))
            except RuntimeError:
                log.info("not telling %s the check results: the bot is stopping", user_id)

        for future in futures:
            future.add_done_callback(one_done)

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
        for gate in gates.climbs_due(session, until):
            assert gate.id is not None and gate.rung_due_at is not None
            key = f"gate:rung:{gate.id}:{messages.spell(gate)}:{gate.rungs_told}"
            run = partial(self.climb, gate.id, gate.rungs_told)
            timers.append(Timer(key, gate.rung_due_at, run))
        return timers

    def scheduled_check(self, gate_id: int, due: datetime, now: datetime) -> None:
        """A planned check: claim it (gate id + planned time), then hand it to the workers."""
        if self._overdue(gate_id, due, now):
            return
        with self.services.db.session() as session:
            gate = session.get(Gate, gate_id)
            if gate is None or gate.kind not in CHECKED:
                return
            lease = now + timedelta(seconds=gate.interval_seconds + self.settings.gate_timeout)
            if not transitions.claim_check(session, gate_id, due, lease):
                return
            probe = probe_of(gate)
        self.checks.submit(gate_id, partial(self.run, probe, clock=self.services.scheduler.clock))

    def _overdue(self, gate_id: int, due: datetime, now: datetime) -> bool:
        """A push gate's report is due: unknown without one, owing what changes; True if push."""
        with self.services.db.session() as session:
            gate = session.get(Gate, gate_id)
            if gate is None or gate.kind != PUSH:
                return False
            applied = gates.overdue(session, gate_id, due, now)
            if applied is not None:
                gate, change = applied
                release = releases.get(session, gate.release_id)
                owe_after_change(self.services, session, gate, release, change, now)
        return True

    def ping(self, gate_id: int, pings: int, now: datetime) -> None:
        """A re-ping of a failing gate's owners, owed in the transaction that claims it."""
        with self.services.db.session() as session:
            got = transitions.claim_ping(session, gate_id, pings, now)
            if got is None:
                return
            gate, ping = got
            release = releases.get(session, gate.release_id)
            owed = messages.reping(session, gate, release, ping)
            self.services.outbox.queue(session, owed, now=now)

    def climb(self, gate_id: int, rungs_told: int, now: datetime) -> None:
        """A look at a red gate's escalation ladder: the next rung is asked when it is due.

        Who can answer (zones, Slack status, holidays) is read before the write, from the
        directory's caches; the look is claimed, and what it asks owed, in one transaction.
        """
        with self.services.db.read() as session:
            looked = self._look(session, gate_id, rungs_told, now)
        if looked is None:
            return
        gate, decision = looked
        with self.services.db.session() as session:
            won = transitions.claim_climb(
                session, gate, rungs_told=decision.rungs_told, due_at=decision.due_at, now=now
            )
            if won and decision.told is not None:
                release = releases.get(session, gate.release_id)
                owed = messages.asked(session, gate, release, decision, now)
                self.services.outbox.queue(session, owed, now=now)
                transitions.record_climb(session, gate, release, decision, now)
        self.services.scheduler.poke()

    def _look(
        self, session: Session, gate_id: int, rungs_told: int, now: datetime
    ) -> tuple[Gate, escalation.Climb] | None:
        gate = session.get(Gate, gate_id)
        if gate is None or gate.rungs_told != rungs_told or gate.rung_due_at is None:
            return None
        if not alerting.alarmed(gate.state, gate.alert_yellow) or gate.state_since is None:
            return None
        release = releases.get(session, gate.release_id)
        people = self.services.people
        presence = escalation.Presence(people.zone_of, people.members_of, people.away_of)
        default = timedelta(seconds=gate.repeat_seconds * (self.settings.gate_escalate_after + 1))
        ladder = escalation.owners_ladder(
            session,
            release,
            gates.owners_of(session, gate),
            gate.role_names(),
            now,
            presence,
            default_wait=default,
        )
        first_look = gate.rung_due_at == gate.state_since
        decision = escalation.climb(
            ladder, rungs_told, first_look=first_look, since=gate.state_since, now=now
        )
        return gate, decision

    # --- checks --------------------------------------------------------------------------

    def run(
        self, probe: Probe, *, clock: Callable[[], datetime], actor: str | None = None
    ) -> Outcome:
        """Fetch, record the result and owe what it changes, in one transaction; what was seen."""
        held = self._held_until(probe, clock())
        if held is not None:  # GitHub asked to be left alone: ask nobody, record nothing
            with self.services.db.session() as session:
                transitions.put_off(session, probe.gate_id, held)
            return unknown(f"not asked: GitHub's rate limit holds checks until {held:%H:%M} UTC")
        outcome = self.fetch(probe, clock())
        now = clock()
        if outcome.retry_at is not None and probe.kind == GITHUB:
            self._hold(url_host(self.settings.github_api), outcome.retry_at)
        next_at = max(now + timedelta(seconds=probe.interval), outcome.retry_at or now)
        with self.services.db.session() as session:
            applied = transitions.apply_outcome(
                session,
                probe.gate_id,
                outcome,
                now=now,
                next_check_at=next_at,
                actor=actor or SYSTEM_ACTOR,
            )
            if applied is not None:
                gate, change = applied
                release = releases.get(session, gate.release_id)
                owe_after_change(self.services, session, gate, release, change, now)
        return outcome

    def fetch(self, probe: Probe, now: datetime) -> Outcome:
        """Ask what the gate asks (never raises: what goes wrong is in the outcome)."""
        settings = self.settings
        proxy = settings.gate_proxy or None
        spec = parse_spec(probe.spec)
        if probe.kind == GITHUB:
            return github.check_search(
                str(spec.get("query", "")),
                api=settings.github_api,
                secrets=GateSecrets.from_settings(settings),
                allow=settings.gate_allow,
                timeout=settings.gate_timeout,
                now=now,
                proxy=proxy,
            )
        if probe.kind == TESTGRID:
            return testgrid.check_dashboards(
                [str(d) for d in spec.get("blocking") or []],
                [str(d) for d in spec.get("informing") or []],
                base=settings.testgrid_url,
                allow=settings.gate_allow,
                timeout=settings.gate_timeout,
                proxy=proxy,
            )
        verdict = check.run(
            probe.url,
            probe.expect,
            probe.headers,
            allow=settings.gate_allow,
            timeout=settings.gate_timeout,
            secrets=GateSecrets.from_settings(settings),
            proxy=proxy,
        )
        return of_verdict(verdict.ok, verdict.detail, verdict.value)

    def _held_until(self, probe: Probe, now: datetime) -> datetime | None:
        if probe.kind != GITHUB:
            return None
        with self._hold_lock:
            until = self._held.get(url_host(self.settings.github_api))
        return until if until is not None and until > now else None

    def _hold(self, host: str, until: datetime) -> None:
        with self._hold_lock:
            self._held[host] = max(until, self._held.get(host, until))


def _outcome(future: Future[Outcome]) -> tuple[str | None, str]:
    if future.exception() is not None:
        return None, "the check could not be run; see the bot's log"
    outcome = future.result()
    return outcome.result, outcome.detail

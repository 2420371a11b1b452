"""Gate records and transitions over a real database: guarded updates, claims, audit."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import Session, select

from bot.core.config import Settings
from bot.core.db import Database
from bot.core.errors import Conflict, Forbidden, NotFound
from bot.core.models import AuditEvent
from bot.gates import service as gates
from bot.gates import transitions
from bot.gates.doctor import check_gates
from bot.gates.models import Gate
from bot.gates.options import Options
from bot.release import service as releases
from bot.release.models import Release
from tests.support.actor import acting

T0 = datetime(2027, 3, 15, 17, 0, tzinfo=UTC)
LEAD, OWNER, OTHER = "U_LEAD", "U_OWNER", "U_OTHER"
SETTINGS = Settings()


def proposal(name: str, kind: str, url: str | None = None, **given: Any) -> gates.Proposal:
    """A gate as the rules would accept it, without resolving its host."""
    return gates.Proposal(name, kind, Options(**given), url=url)


def add(session: Session, release: Release, asked: gates.Proposal, actor: str = LEAD) -> Gate:
    """Store the gate as `actor`, in a workspace where anyone may add gates."""
    return gates.add(
        session,
        release,
        asked,
        actor=acting(actor),
        settings=SETTINGS,
        creators=releases.ANYONE,
        now=T0,
    )


def setup(db: Database, *specs: tuple[str, str]) -> tuple[int, dict[str, int]]:
    """A release with gates (name, kind); returns ids."""
    ids: dict[str, int] = {}
    with db.session() as s:
        release = releases.create_release(
            s, channel_id="C1", name="v1", release_at=None, zone=ZoneInfo("UTC"), actor=LEAD, now=T0
        )
        for name, kind in specs:
            url = "https://ci.example.com/" if kind == "http" else None
            asked = proposal(name, kind, url, owners=[OWNER], repeat=600)
            gate = add(s, release, asked)
            assert gate.id is not None
            ids[name] = gate.id
        assert release.id is not None
        return release.id, ids


def result(db: Database, gate_id: int, passed: bool, at: datetime):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return transitions.apply_result(s, gate_id, passed=passed, detail="HTTP 503", now=at)


def test_blocking_names_gates_that_are_not_green(db: Database) -> None:
    rid, ids = setup(db, ("ci", "http"), ("docs", "manual"), ("sig", "http"))
    result(db, ids["ci"], True, T0)
    result(db, ids["sig"], False, T0)
    result(db, ids["sig"], False, T0 + timedelta(minutes=1))
    with db.read() as s:
        found = gates.blocking(s, rid, ["ci", "docs", "sig", "nope"])
    assert found == [("docs", [OWNER]), ("sig", [OWNER]), ("nope", [])]


def test_a_damped_failure_still_counts_as_passing(db: Database) -> None:
    rid, ids = setup(db, ("ci", "http"))
    result(db, ids["ci"], True, T0)
    _, change = result(db, ids["ci"], False, T0 + timedelta(minutes=1))
    assert change.event is None
    with db.read() as s:
        assert gates.blocking(s, rid, ["ci"]) == []


def test_transitions_are_audited_and_failing_gates_reach_their_owner(db: Database) -> None:
    _, ids = setup(db, ("ci", "http"))
    result(db, ids["ci"], False, T0)
    gate, change = result(db, ids["ci"], False, T0 + timedelta(minutes=1))
    assert change.event == "alert" and gate.state == "failing"
    with db.read() as s:
        actions = [e.action for e in s.exec(select(AuditEvent).order_by(AuditEvent.id))]
        assert actions == ["release.created", "gate.added", "gate.failing"]
        owned = gates.failing_gates_for(s, OWNER)
        assert [(r.name, g.name) for r, g in owned] == [("v1", "ci")]
        assert gates.failing_gates_for(s, OTHER) == []
    result(db, ids["ci"], True, T0 + timedelta(minutes=5))
    with db.read() as s:
        last = s.exec(select(AuditEvent).order_by(AuditEvent.id.desc())).first()  # type: ignore[union-attr]
        assert last is not None and (last.before, last.after) == ("failing", "passing")
        assert gates.failing_gates_for(s, OWNER) == []


def test_a_planned_check_is_claimed_once(db: Database) -> None:
    _, ids = setup(db, ("ci", "http"))
    lease = T0 + timedelta(minutes=10)
    with db.session() as s:
        assert transitions.claim_check(s, ids["ci"], T0, lease)
    with db.session() as s:
        assert not transitions.claim_check(s, ids["ci"], T0, lease)


def test_a_reping_is_claimed_once(db: Database) -> None:
    _, ids = setup(db, ("ci", "http"))
    result(db, ids["ci"], False, T0)
    result(db, ids["ci"], False, T0)
    now = T0
    numbers = []
    for pings in range(4):
        now += timedelta(minutes=10)
        with db.session() as s:
            got = transitions.claim_ping(s, ids["ci"], pings, now)
        with db.session() as s:
            assert transitions.claim_ping(s, ids["ci"], pings, now) is None
        assert got is not None
        numbers.append(got[1].number)
    assert numbers == [1, 2, 3, 4]


def test_a_turn_to_red_starts_the_ladder_and_a_recovery_stops_it(db: Database) -> None:
    _, ids = setup(db, ("ci", "http"))
    result(db, ids["ci"], False, T0)
    red_at = T0 + timedelta(minutes=1)
    result(db, ids["ci"], False, red_at)
    with db.read() as s:
        gate = s.get(Gate, ids["ci"])
        assert gate is not None and gate.state == "failing"
        assert (gate.rungs_told, gate.rung_due_at) == (1, red_at)
    result(db, ids["ci"], True, red_at + timedelta(minutes=5))
    with db.read() as s:
        gate = s.get(Gate, ids["ci"])
        assert gate is not None and gate.rung_due_at is None


def test_manual_set_checks_who_and_what_the_button_showed(db: Database) -> None:
    _, ids = setup(db, ("docs", "manual"))
    gid = ids["docs"]
    admins = frozenset({"U_ADMIN"})
    with db.session() as s, pytest.raises(Forbidden, match=f"<@{OWNER}>"):
        gates.set_manual(
            s, gid, to_pass=True, version=0, actor=acting(OTHER, admins=admins), now=T0
        )
    with db.session() as s:
        gate, change = gates.set_manual(
            s, gid, to_pass=True, version=0, actor=acting(OWNER, admins=admins), now=T0
        )
    assert gate.state == "passing" and change.event == "first-pass"
    with db.session() as s, pytest.raises(Conflict, match="changed since"):
        gates.set_manual(
            s, gid, to_pass=False, version=0, actor=acting(LEAD, admins=admins), now=T0
        )
    with db.session() as s:
        gate, change = gates.set_manual(
            s, gid, to_pass=False, version=1, actor=acting(LEAD, admins=admins), now=T0
        )
    assert gate.state == "failing" and change.event == "alert"


def test_names_are_unique_per_release_and_validated(db: Database) -> None:
    _, _ = setup(db, ("ci", "http"))
    with db.session() as s:
        release = s.exec(select(Release)).one()
        with pytest.raises(Conflict):
            add(s, release, proposal("ci", "manual"))
        with pytest.raises(NotFound, match="`ci`"):
            gates.by_name(s, release, "cx")
    for bad in ("-x", "a b", "x" * 41, "ä"):
        with pytest.raises(Exception, match="gate name"):
            gates.valid_name(bad)
    assert gates.valid_name("CI-Blocking.v2") == "ci-blocking.v2"


def test_only_a_lead_adds_or_removes_a_gate_whatever_the_path(db: Database) -> None:
    _, _ = setup(db, ("ci", "http"))
    with db.session() as s, pytest.raises(Forbidden, match="Only a lead"):
        release = s.exec(select(Release)).one()
        add(s, release, proposal("docs", "manual"), OTHER)
    with db.session() as s, pytest.raises(Forbidden, match="Only a lead"):
        release = s.exec(select(Release)).one()
        gates.remove(s, release, "ci", actor=acting(OTHER), now=T0)
    with db.session() as s:
        release = s.exec(select(Release)).one()
        gone, removal = gates.remove(
            s,
            release,
            "ci",
            actor=acting("U_ADMIN", admins=frozenset({"U_ADMIN"})),
            now=T0,
        )
    assert gone.name == "ci"
    assert (removal.action, removal.subject, removal.actor) == ("gate.removed", "ci", "U_ADMIN")


def test_doctor_names_unusable_allow_entries_and_missing_header_variables(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    with db.session() as s:
        release = releases.create_release(
            s, channel_id="C1", name="v1", release_at=None, zone=ZoneInfo("UTC"), actor=LEAD, now=T0
        )
        asked = proposal(
            "api", "http", "https://x.example/", headers=[("X-Key", "${DOCTOR_GATE_KEY}")]
        )
        add(s, release, asked)
    monkeypatch.setenv("DOCTOR_GATE_KEY", "set-but-not-granted")
    settings = Settings(gate_allow=("10.0.0.0/8", "ci.internal", "not a host!"))
    bad = [f.what for f in check_gates(settings, db) if not f.ok]
    assert bad[0] == "RELEASEBOT_GATE_ALLOW entry 'not a host!' is unusable"
    assert "gate api: `${DOCTOR_GATE_KEY}` is not granted to gates" in bad[1]
    grants = {"DOCTOR_GATE_KEY": ("x.example",)}
    bad = [f.what for f in check_gates(Settings(gate_grants=grants), db) if not f.ok]
    assert bad == [
        "gate secret DOCTOR_GATE_KEY is granted but not set",
        "gate api needs ${DOCTOR_GATE_KEY}",
    ]
    values = {"DOCTOR_GATE_KEY": "k3y-value"}
    granted = Settings(gate_allow=("ci.internal",), gate_grants=grants, gate_secret_values=values)
    findings = check_gates(granted, db)
    assert all(f.ok for f in findings)
    assert "gate secret DOCTOR_GATE_KEY may be sent to x.example" in [f.what for f in findings]


def test_concurrent_failures_make_exactly_one_alert(db: Database) -> None:
    import threading

    _, ids = setup(db, ("ci", "http"))
    result(db, ids["ci"], True, T0)
    barrier = threading.Barrier(6)
    events: list[str | None] = []

    def fail() -> None:
        barrier.wait()
        applied = result(db, ids["ci"], False, T0 + timedelta(minutes=1))
        events.append(applied[1].event if applied else "gone")

    threads = [threading.Thread(target=fail) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert events.count("alert") == 1 and events.count(None) == 5
    with db.read() as s:
        stored = s.get(Gate, ids["ci"])
        assert stored is not None and stored.fail_streak == 6 and stored.version == 7
        alerts = s.exec(select(AuditEvent).where(AuditEvent.action == "gate.failing")).all()
    assert len(alerts) == 1


def test_gates_of_a_closed_release_are_final_and_not_planned(db: Database) -> None:
    _, ids = setup(db, ("docs", "manual"), ("ci", "http"))
    with db.session() as s:
        release = s.exec(select(Release)).one()
        releases.close(s, release, cancelled=False, actor=acting(LEAD), now=T0)
    with db.session() as s, pytest.raises(Conflict, match="released"):
        gates.set_manual(
            s,
            ids["docs"],
            to_pass=True,
            version=0,
            actor=acting(OWNER),
            now=T0,
        )
    with db.read() as s:
        assert gates.planned(s, T0 + timedelta(days=1)) == ([], [])

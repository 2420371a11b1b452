"""Alerting decisions as pure functions of (previous state, result, now)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from bot.gates.alerting import (
    ALERT,
    CHANGED,
    FAILING,
    FIRST_PASS,
    PASSING,
    RECOVERED,
    UNKNOWN,
    YELLOW,
    Snapshot,
    after_outcome,
    after_result,
    ping_due,
)

T0 = datetime(2027, 3, 15, 17, 0, tzinfo=UTC)
MIN = timedelta(minutes=1)


def gate(state: str = PASSING, *, damping: int = 2, streak: int = 0, **kw: object) -> Snapshot:
    fields: dict[str, object] = {
        "state": state,
        "state_since": T0,
        "fail_streak": streak,
        "damping": damping,
        "pings": 0,
        "next_ping_at": None,
        "repeat_seconds": 1800,
    }
    fields.update(kw)
    return Snapshot(**fields)  # type: ignore[arg-type]


def run(prev: Snapshot, results: str, start: datetime = T0) -> list[tuple[str, str | None]]:
    """Feed results ('p'/'f') a minute apart; the state and event after each."""
    seen = []
    for i, result in enumerate(results):
        change = after_result(prev, result == "p", start + i * MIN)
        prev = change.snapshot
        seen.append((prev.state, change.event))
    return seen


def test_one_failure_is_damped_two_in_a_row_alert_once() -> None:
    assert run(gate(), "fpfff") == [
        (PASSING, None),
        (PASSING, None),
        (PASSING, None),
        (FAILING, ALERT),
        (FAILING, None),
    ]


def test_flapping_never_alerts() -> None:
    assert all(event is None for _, event in run(gate(), "fpfpfpfpfp"))


def test_damping_is_per_gate() -> None:
    assert [e for _, e in run(gate(damping=3), "fff")] == [None, None, ALERT]
    assert [e for _, e in run(gate(damping=1), "f")] == [ALERT]


def test_recovery_says_how_long_it_was_red() -> None:
    red = after_result(gate(streak=1), False, T0).snapshot
    back = after_result(red, True, T0 + 95 * MIN)
    assert (back.snapshot.state, back.event, back.red_for) == (PASSING, RECOVERED, 95 * MIN)
    assert back.snapshot.fail_streak == 0 and back.snapshot.next_ping_at is None


def test_a_new_gate_turns_green_at_once_and_red_only_after_damping() -> None:
    assert run(gate(UNKNOWN), "p") == [(PASSING, FIRST_PASS)]
    assert run(gate(UNKNOWN), "ff") == [(UNKNOWN, None), (FAILING, ALERT)]


def test_turning_red_schedules_the_first_reping() -> None:
    red = after_result(gate(streak=1, repeat_seconds=600), False, T0).snapshot
    assert red.state_since == T0 and red.pings == 0
    assert red.next_ping_at == T0 + timedelta(seconds=600)


def test_repings_every_interval() -> None:
    prev = after_result(gate(streak=1), False, T0).snapshot
    assert ping_due(prev, T0 + 29 * MIN) is None
    numbers = []
    now = T0
    for _ in range(5):
        assert prev.next_ping_at is not None
        now = prev.next_ping_at
        ping = ping_due(prev, now)
        assert ping is not None and ping_due(prev, now - MIN) is None
        numbers.append(ping.number)
        prev = Snapshot(**{**prev.__dict__, "pings": ping.number, "next_ping_at": ping.next_at})
    assert numbers == [1, 2, 3, 4, 5]
    assert now == T0 + 5 * 30 * MIN


def test_after_downtime_one_reping_not_a_storm() -> None:
    prev = after_result(gate(streak=1), False, T0).snapshot
    late = T0 + 5 * 60 * MIN
    ping = ping_due(prev, late)
    assert ping is not None and ping.number == 1
    assert ping.next_at == late + 30 * MIN


def test_no_reping_for_a_green_gate() -> None:
    assert ping_due(gate(PASSING, next_ping_at=T0), T0 + 60 * MIN) is None


def outcomes(prev: Snapshot, results: list[str]) -> list[tuple[str, str | None]]:
    """Feed results (pass, fail, yellow, unknown) a minute apart; state and event after each."""
    seen = []
    for i, result in enumerate(results):
        change = after_outcome(prev, result, T0 + i * MIN)
        prev = change.snapshot
        seen.append((prev.state, change.event))
    return seen


def test_yellow_is_shown_at_once_and_alerts_nobody_by_default() -> None:
    assert outcomes(gate(), ["yellow", "yellow", "pass"]) == [
        (YELLOW, CHANGED),
        (YELLOW, None),
        (PASSING, FIRST_PASS),
    ]
    assert ping_due(after_outcome(gate(), "yellow", T0).snapshot, T0 + 99 * MIN) is None


def test_yellow_alerts_like_red_when_the_gate_asks_for_it() -> None:
    loud = gate(alert_yellow=True)
    assert outcomes(loud, ["yellow", "yellow", "yellow", "pass"]) == [
        (PASSING, None),  # damped, as red is
        (YELLOW, ALERT),
        (YELLOW, None),
        (PASSING, RECOVERED),
    ]
    red = after_outcome(after_outcome(loud, "yellow", T0).snapshot, "yellow", T0).snapshot
    assert ping_due(red, T0 + 30 * MIN) is not None


def test_a_red_gate_turning_flaky_is_no_longer_red_but_not_green() -> None:
    red = after_result(gate(streak=1), False, T0).snapshot
    change = after_outcome(red, "yellow", T0 + 10 * MIN)
    assert (change.snapshot.state, change.event, change.red_for) == (YELLOW, RECOVERED, 10 * MIN)
    loud = after_result(gate(streak=1, alert_yellow=True), False, T0).snapshot
    same_spell = after_outcome(loud, "yellow", T0 + 10 * MIN)
    assert (same_spell.snapshot.state, same_spell.event) == (YELLOW, CHANGED)
    assert same_spell.snapshot.state_since == T0  # the re-pings go on in the same thread


def test_unknown_is_never_green_and_never_ends_or_starts_a_red_spell() -> None:
    assert outcomes(gate(), ["unknown", "unknown", "pass"]) == [
        (UNKNOWN, CHANGED),
        (UNKNOWN, None),
        (PASSING, FIRST_PASS),
    ]
    red = after_result(gate(streak=1), False, T0).snapshot
    assert outcomes(red, ["unknown", "unknown", "fail"]) == [
        (FAILING, None),
        (FAILING, None),
        (FAILING, None),
    ]
    damped = after_result(gate(), False, T0).snapshot  # one failure, still passing
    assert outcomes(damped, ["unknown", "fail"]) == [(UNKNOWN, CHANGED), (FAILING, ALERT)]

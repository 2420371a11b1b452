"""A gate's history: every result kept with its value, time red, and the burndown chart."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlmodel import select

from bot.core import chart
from bot.core.db import Database
from bot.core.fetch.request import Response
from bot.gates import history, transitions
from bot.gates import service as gates
from bot.gates.models import GateCheck
from bot.gates.outcome import Outcome
from bot.gates.probe import expect
from bot.release.models import Release
from tests.gates.test_service import LEAD, OWNER, T0, setup
from tests.support.actor import acting

PNG = b"\x89PNG\r\n\x1a\n"
MIN = timedelta(minutes=1)


def record(db: Database, gate_id: int, result: str, at: datetime, value: float | None = None):  # type: ignore[no-untyped-def]
    with db.session() as s:
        return transitions.apply_outcome(s, gate_id, Outcome(result, f"saw {value}", value), now=at)


def test_every_result_is_kept_with_the_state_it_left_and_its_value(db: Database) -> None:
    _, ids = setup(db, ("blockers", "http"))
    for minute, (result, value) in enumerate(
        [("fail", 3), ("fail", 3), ("unknown", None), ("fail", 2), ("pass", 0)]
    ):
        record(db, ids["blockers"], result, T0 + minute * MIN, value)
    with db.read() as s:
        rows = history.history(s, ids["blockers"])
    assert [(r.result, r.state, r.value) for r in rows] == [
        ("fail", "unknown", 3.0),  # damped: one failure
        ("fail", "failing", 3.0),
        ("unknown", "failing", None),  # a check that could not tell keeps the red spell
        ("fail", "failing", 2.0),
        ("pass", "passing", 0.0),
    ]
    assert history.values(rows)[-1] == (T0 + 4 * MIN, 0.0)
    spent = history.red_time(rows, T0 + 60 * MIN)
    assert (spent.total, spent.longest, spent.stretches) == (3 * MIN, 3 * MIN, 1)


def test_time_red_adds_stretches_and_counts_one_still_red_until_now(db: Database) -> None:
    _, ids = setup(db, ("ci", "http"))
    plan = ["fail", "fail", "pass", "fail", "fail", "fail", "pass", "fail", "fail"]
    for minute, result in enumerate(plan):
        record(db, ids["ci"], result, T0 + minute * 10 * MIN)
    with db.read() as s:
        rows = history.history(s, ids["ci"])
    stretches = history.red_stretches(rows, T0 + 100 * MIN)
    assert [(s.start - T0, s.length, s.still) for s in stretches] == [
        (10 * MIN, 10 * MIN, False),
        (40 * MIN, 20 * MIN, False),
        (80 * MIN, 20 * MIN, True),
    ]
    assert history.red_time(rows, T0 + 100 * MIN).total == 50 * MIN
    assert history.red_time(rows, T0 + 100 * MIN).longest == 20 * MIN
    assert history.red_time([], T0).total == timedelta()


def test_manual_sets_are_kept_too_and_a_removed_gate_takes_its_history(db: Database) -> None:
    _, ids = setup(db, ("docs", "manual"))
    with db.session() as s:
        gates.set_manual(s, ids["docs"], to_pass=False, version=0, actor=acting(OWNER), now=T0)
    with db.read() as s:
        (row,) = history.history(s, ids["docs"])
    assert (row.result, row.state, row.value, row.detail) == (
        "fail",
        "failing",
        None,
        f"set by {OWNER}",
    )
    with db.session() as s:
        release = s.exec(select(Release)).one()
        gates.remove(s, release, "docs", actor=acting(LEAD), now=T0)
    with db.read() as s:
        assert s.exec(select(GateCheck)).all() == []


def test_a_number_compared_in_the_json_is_the_value_kept() -> None:
    counting = expect.parse("status == 200 and json.total_count <= 0")
    seen = counting.evaluate(Response(200, '{"total_count": 4}'))
    assert (seen.ok, seen.value) == (False, 4.0) and counting.counts()
    assert (
        expect.parse('json.state == "ok"').evaluate(Response(200, '{"state": "ok"}')).value is None
    )
    assert not expect.parse('json.state == "ok"').counts()


def test_the_burndown_chart_is_a_png_with_or_without_values() -> None:
    points = [(T0 + i * timedelta(hours=8), float(max(0, 9 - i))) for i in range(15)]
    marks = [(T0 + timedelta(days=2), "Code freeze $x$ <b>"), (T0 + timedelta(days=4), "Docs")]
    drawn = chart.burndown_png(
        points, T0 + timedelta(days=6), marks, title="blockers $a$", zone=ZoneInfo("Asia/Kolkata")
    )
    assert drawn.startswith(PNG) and len(drawn) > 5_000
    assert chart.burndown_png([], None, []).startswith(PNG)
    assert chart.burndown_png([(T0, 1.0)], None, [], now=T0 + timedelta(days=1)).startswith(PNG)


def test_release_history_reads_every_gate_at_once(db: Database) -> None:
    rid, ids = setup(db, ("a", "http"), ("b", "http"))
    record(db, ids["a"], "pass", T0)
    record(db, ids["b"], "fail", T0, 2)
    with db.read() as s:
        found = history.of_release(s, rid)
    assert {gid: [r.result for r in rows] for gid, rows in found.items()} == {
        ids["a"]: ["pass"],
        ids["b"]: ["fail"],
    }

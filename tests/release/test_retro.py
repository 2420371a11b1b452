"""The retrospective's figures: read from a release's database, rendered as Markdown tables."""

from __future__ import annotations

from datetime import timedelta

from sqlmodel import select

from bot.core import audit
from bot.core.asks.milestones import MILESTONES
from bot.core.asks.retro import RETRO_PART, RetroPartOf
from bot.core.db import Database
from bot.gates import retro_part as gate_retro
from bot.gonogo.models import Poll, PollVote
from bot.release import retro, timeline
from bot.release.models import Release
from bot.schedule.models import Milestone
from tests.calendar import builders as b

FIRST_DAY = b.RELEASE_AT - timedelta(days=2)  # Mon 15 Mar 2027 10:00 PDT, later postponed


def parts(db: Database) -> list[RetroPartOf]:
    """Every feature's part of the retrospective, as the app registers them."""
    return b.services_for(db).answers_to(RETRO_PART)


def built(db: Database) -> Release:
    """A release postponed by two days, mid-checklist, with gates, a milestone and a poll."""
    rel, _ = b.release(db, name="v1.40 | final")
    with db.session() as s:
        audit.record(s, release=rel, actor=b.LEAD, action="release.created", subject=rel.name,
                     after=FIRST_DAY.isoformat(), at=b.NOW - timedelta(days=60))  # fmt: skip
        audit.record(s, release=rel, actor=b.LEAD, action="release.postponed", subject=rel.name,
                     before=FIRST_DAY.isoformat(), after=b.RELEASE_AT.isoformat(),
                     at=b.NOW - timedelta(days=5))  # fmt: skip
        s.add(
            Milestone(
                release_id=rel.id or 0,
                name="Code freeze",
                key="code freeze",
                at=b.NOW - timedelta(days=7),
                zone=b.LA,
                planned_at=b.NOW - timedelta(days=9),
                created_by=b.LEAD,
            )
        )
    b.checklist(db, rel, ["Tag", "Build | sign", "Publish"], done=2)
    b.gates(db, rel, ["ci-green", "docs-ready"])
    b.counting_gate(db, rel, "blockers", [3, 2, 0, 1, 0], every=timedelta(hours=1))
    poll_id = b.poll(db, rel, "Ship v1.40?", {b.LEAD: "go", "U0OTHER004": "go"}, [b.LEAD, b.DOCS])
    with db.session() as s:
        poll = s.get(Poll, poll_id)
        assert poll is not None
        poll.created_at = b.NOW - timedelta(hours=1)
        vote = s.exec(select(PollVote).where(PollVote.user_id == b.LEAD)).one()
        vote.voted_at = b.NOW - timedelta(minutes=35)
    with db.read() as s:
        found = s.get(Release, rel.id)
        assert found is not None
        return found


def test_figures_read_planned_against_actual(db: Database) -> None:
    rel = built(db)
    with db.read() as s:
        figures = retro.figures(s, rel, b.NOW, parts=parts(db))

    day = figures.release_day
    assert (day.planned, day.actual, day.postponements) == (FIRST_DAY, b.RELEASE_AT, 1)
    assert day.slip == timedelta(days=2)
    [freeze] = figures.milestones
    assert freeze.moved == timedelta(days=2)

    steps = {step.title: step for step in figures.steps}
    assert steps["Tag"].expected == timedelta(minutes=15)
    assert steps["Tag"].actual == timedelta(minutes=7)
    assert steps["Publish"].state == "active" and steps["Publish"].actual is None

    gates = {gate.name: gate for gate in figures.gates}
    # docs-ready: green until NOW-40m, red since: 40 minutes, still red.
    assert gates["docs-ready"].red_total == timedelta(minutes=40)
    assert gates["ci-green"].red_total == timedelta(0) and gates["ci-green"].stretches == 0
    # blockers: red 4h-2h ago (two hours) and 1h-0h ago (one hour), green at NOW.
    blockers = gates["blockers"]
    assert (blockers.red_total, blockers.red_longest) == (timedelta(hours=3), timedelta(hours=2))
    assert blockers.stretches == 2 and blockers.counts and blockers.checks == 5

    votes = {vote.user_id: vote for vote in figures.votes}
    assert set(votes) == {b.LEAD, b.DOCS}  # required voters only
    assert votes[b.LEAD].choice == "go"
    assert votes[b.LEAD].after_opening == timedelta(minutes=25)
    assert votes[b.DOCS].voted_at is None


def test_a_closed_release_counts_red_time_up_to_its_close(db: Database) -> None:
    rel = built(db)
    rel.closed_at = b.NOW - timedelta(minutes=10)
    with db.read() as s:
        figures = retro.figures(s, rel, b.NOW + timedelta(days=3), parts=parts(db))
    assert figures.until == rel.closed_at
    gates = {gate.name: gate for gate in figures.gates}
    assert gates["docs-ready"].red_total == timedelta(minutes=30)


def test_the_timeline_gains_a_figures_section_of_tables(db: Database) -> None:
    rel = built(db)
    with db.read() as s:
        events = audit.trail(s, rel.id or 0)
        figures = retro.figures(s, rel, b.NOW, events, parts=parts(db))

    before = timeline.markdown(rel, events)
    assert "## Figures" not in before
    text = timeline.markdown(rel, events, figures)
    assert text.startswith(before.rstrip("\n"))
    section = text[text.index("## Figures") :]
    assert "| 2027-03-15 10:00 PDT (America/Los_Angeles) | 2027-03-17 10:00 PDT" in section
    assert "| +2d | 1 times | active |" in section
    assert "| Code freeze | " in section and "| +2d |" in section
    assert "| 1 | Tag | lead | done | 15m | 7m | -8m | 1 |" in section
    assert "| 2 | Build \\| sign | docs | done |" in section
    assert "| 3 | Publish | lead | active | 15m |  |  | 1 |" in section
    assert "| blockers | passing | 3h | 2h | 2 | 5 | attached |" in section
    assert "| docs-ready | failing | 40m | 40m | 1 | 3 |  |" in section
    assert f"| <@{b.LEAD}> | go | 2027-03-17 10:55 PDT (America/Los_Angeles) | 25m |" in section
    assert f"| <@{b.DOCS}> | did not vote |  |  |" in section
    assert "U0OTHER004" not in section
    # Every row of each table has as many cells as its header ("\\|" is text, not a cell).
    for block in section.split("\n\n"):
        rows = [line.replace("\\|", "") for line in block.splitlines() if line.startswith("|")]
        assert len({row.count("|") for row in rows}) <= 1, rows


def test_charts_of_counting_gates_with_values_only(db: Database) -> None:
    rel = built(db)
    with db.read() as s:
        charts = gate_retro.charts(s, rel, b.NOW, b.services_for(db).answers_to(MILESTONES))
    assert [c.gate for c in charts] == ["blockers"]
    [chart] = charts
    assert chart.channel_id == b.CHANNEL
    assert [m for _, m in chart.marks] == ["Code freeze"]
    assert chart.png()[:8] == b"\x89PNG\r\n\x1a\n"

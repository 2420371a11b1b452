"""Go/no-go poll rules over a real database: voters, votes, outcomes, closing once."""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from bot.core.db import Database
from bot.core.errors import Conflict, DomainError
from bot.core.models import AuditEvent
from bot.gonogo import service as gonogo
from bot.gonogo.deadline import ping_due
from bot.gonogo.models import Poll
from bot.gonogo.votes import Voted, ballot, vote, vote_batch
from bot.release import roles
from bot.release import service as releases
from bot.release.models import Release
from tests.support.actor import acting

NOW = datetime(2027, 3, 10, 17, 0, tzinfo=UTC)
LEAD = "U_LEAD"


def setup_release(db: Database) -> Release:
    with db.session() as s:
        release = releases.create_release(
            s,
            channel_id="C1",
            name="v1.31",
            release_at=None,
            zone=ZoneInfo("UTC"),
            actor=LEAD,
            now=NOW,
        )
        roles.assign(
            s,
            release,
            role="docs",
            users=["U_D1", "U_D2"],
            actor=acting(LEAD),
            now=NOW,
        )
    return release


def start(db: Database, release: Release, voters: list[str] | None = None, **kw: object) -> int:
    with db.session() as s:
        poll = gonogo.start(
            s,
            release,
            question=str(kw.get("question", "")),
            voters=voters or [],
            deadline=kw.get("deadline"),  # type: ignore[arg-type]
            actor=acting(LEAD),
            now=NOW,
        )
        assert poll.id is not None
        return poll.id


def cast(db: Database, poll_id: int, user: str, choice: str, reason: str | None = None) -> Voted:
    with db.session() as s:
        return vote(s, poll_id, user=user, choice=choice, reason=reason, channel_id="C1", now=NOW)


def state(db: Database, poll_id: int) -> gonogo.Tally:
    with db.read() as s:
        return gonogo.tally(s, gonogo.get(s, poll_id))


def test_default_voters_are_every_role_holder_and_question_defaults(db: Database) -> None:
    release = setup_release(db)
    poll_id = start(db, release)
    tally = state(db, poll_id)
    assert tally.required == [LEAD, "U_D1", "U_D2"]
    assert tally.poll.question == "Go for release v1.31?"
    assert tally.missing == tally.required


def test_all_required_go_closes_go_at_once_and_advisory_never_counts(db: Database) -> None:
    release = setup_release(db)
    poll_id = start(db, release, ["U_A", "U_B"])
    assert not cast(db, poll_id, "U_X", "nogo", "not convinced").required
    assert not cast(db, poll_id, "U_A", "go").closed
    done = cast(db, poll_id, "U_B", "go")
    assert done.closed
    tally = state(db, poll_id)
    assert tally.poll.outcome == gonogo.GO and tally.poll.state == "closed"
    assert tally.advisory_nogo == ["U_X"]
    with db.read() as s:
        assert gonogo.latest_outcome(s, release.id or 0) == gonogo.GO


def test_changed_vote_counts_last_and_nogo_needs_reason(db: Database) -> None:
    release = setup_release(db)
    poll_id = start(db, release, ["U_A", "U_B"])
    with pytest.raises(DomainError, match="reason"):
        cast(db, poll_id, "U_A", "nogo", "   ")
    cast(db, poll_id, "U_A", "nogo", "CI red")
    changed = cast(db, poll_id, "U_A", "go")
    assert changed.before == "nogo"
    tally = state(db, poll_id)
    assert tally.go == ["U_A"] and tally.nogo == [] and tally.missing == ["U_B"]


@pytest.mark.parametrize(
    ("votes", "expected"),
    [
        ([("U_A", "go"), ("U_B", "nogo")], gonogo.NO_GO),
        ([("U_A", "go")], gonogo.NO_DECISION),
        ([("U_A", "nogo")], gonogo.NO_GO),
        ([], gonogo.NO_DECISION),
    ],
)
def test_closing_settles_the_outcome(
    db: Database, votes: list[tuple[str, str]], expected: str
) -> None:
    release = setup_release(db)
    poll_id = start(db, release, ["U_A", "U_B"])
    for user, choice in votes:
        cast(db, poll_id, user, choice, "why" if choice == "nogo" else None)
    with db.session() as s:
        closed = gonogo.close(s, poll_id, actor=acting(LEAD), now=NOW, why="lead")
        assert closed is not None and closed.outcome == expected
    with db.session() as s:
        assert gonogo.close(s, poll_id, actor=acting(LEAD), now=NOW, why="lead") is None
    with pytest.raises(Conflict, match=expected):
        cast(db, poll_id, "U_B", "go")
    with db.read() as s:
        actions = [e.action for e in s.exec(select(AuditEvent))]
    assert actions.count("poll.closed") == 1


def test_one_open_poll_per_release_and_deadline_in_future(db: Database) -> None:
    release = setup_release(db)
    with pytest.raises(DomainError, match="passed"):
        start(db, release, deadline=NOW - timedelta(minutes=1))
    start(db, release)
    with pytest.raises(Conflict, match="already open"):
        start(db, release)


def test_missing_votes_for_lists_open_polls_awaiting_the_user(db: Database) -> None:
    release = setup_release(db)
    poll_id = start(db, release, ["U_A", "U_B"])
    cast(db, poll_id, "U_A", "go")
    with db.read() as s:
        assert [p.id for p in gonogo.missing_votes_for(s, "U_B")] == [poll_id]
        assert gonogo.missing_votes_for(s, "U_A") == []
        assert gonogo.missing_votes_for(s, "U_X") == []
    with db.session() as s:
        releases.close(s, s.get(Release, release.id), cancelled=True, actor=acting(LEAD), now=NOW)  # type: ignore[arg-type]
    with db.read() as s:
        assert gonogo.missing_votes_for(s, "U_B") == []


def test_ping_due_skips_polls_shorter_than_the_reminder(db: Database) -> None:
    poll = Poll(release_id=1, channel_id="C", question="q", created_by=LEAD, created_at=NOW)
    poll.deadline = NOW + timedelta(minutes=10)
    assert ping_due(poll) is None
    poll.deadline = NOW + timedelta(hours=2)
    assert ping_due(poll) == NOW + timedelta(hours=1, minutes=45)


def test_concurrent_votes_and_close_count_every_stored_vote(db: Database) -> None:
    release = setup_release(db)
    users = [f"U_{i:03d}" for i in range(30)]
    poll_id = start(db, release, users)
    errors: list[Exception] = []

    def go(user: str) -> None:
        try:
            cast(db, poll_id, user, "go")
        except Exception as err:  # a refusal after the close is fine; count below
            errors.append(err)

    threads = [threading.Thread(target=go, args=(u,)) for u in users]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    tally = state(db, poll_id)
    assert len(tally.go) == 30
    assert tally.poll.outcome == gonogo.GO


def test_a_batch_of_votes_is_one_transaction_with_an_answer_each(db: Database) -> None:
    release = setup_release(db)
    poll_id = start(db, release, ["U_A", "U_B"])
    ballots = [
        ballot("U_A", "nogo", "flaky e2e", "C1"),
        ballot("U_X", "go", None, "C1"),
        ballot("U_B", "go", None, "C_OTHER"),
        ballot("U_A", "go", None, "C1"),
        ballot("U_B", "go", None, "C1"),
    ]
    with db.session() as s:
        results = vote_batch(s, poll_id, ballots, NOW)
    assert isinstance(results[2], Conflict)
    voted = [r for r in results if isinstance(r, Voted)]
    assert [(v.before, v.required, v.closed) for v in voted] == [
        (None, True, False),
        (None, False, False),
        ("nogo", True, False),
        (None, True, True),
    ]
    tally = state(db, poll_id)
    assert tally.poll.outcome == gonogo.GO and tally.advisory_go == ["U_X"]
    with db.session() as s:
        late = vote_batch(s, poll_id, ballots[:2], NOW)
    assert all(isinstance(r, Conflict) and "GO" in r.message for r in late)
    with db.read() as s:
        votes = s.exec(select(AuditEvent).where(AuditEvent.action.startswith("poll.voted"))).all()  # type: ignore[attr-defined]
    assert len(votes) == 4


def test_repeated_and_changed_go_votes_count_once_toward_every_required_go(db: Database) -> None:
    release = setup_release(db)
    poll_id = start(db, release, ["U_A", "U_B", "U_C"])
    assert not cast(db, poll_id, "U_A", "go").closed
    assert not cast(db, poll_id, "U_A", "go").closed  # the same Go again counts once
    assert not cast(db, poll_id, "U_B", "go").closed
    assert not cast(db, poll_id, "U_B", "nogo", "smoke test red").closed  # B takes it back
    assert not cast(db, poll_id, "U_C", "go").closed  # two Go of three: still open
    assert not cast(db, poll_id, "U_X", "go").closed  # advisory: not one of the three
    with db.read() as s:
        poll = gonogo.get(s, poll_id)
    assert (poll.state, poll.go_count, poll.required_count) == ("open", 2, 3)
    assert cast(db, poll_id, "U_B", "go").closed
    assert state(db, poll_id).poll.outcome == gonogo.GO

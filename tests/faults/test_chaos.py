"""The chaos run's short version: two replicas on PostgreSQL through every fault, no promise broken.

`python -m benchmarks.chaos --scale 0.1`: a tenth of the full day (40 voters, 6 steps,
2 reminders, a 6 s Slack outage, a leader killed in the crash window, PostgreSQL
restarted, the new leader killed).
"""

from __future__ import annotations

import pytest

from benchmarks import chaos
from tests.conftest import PG_URL
from tests.kit import private_postgres

pytestmark = [
    pytest.mark.skipif(not PG_URL, reason="two replicas need PostgreSQL: set TEST_DATABASE_URL"),
    pytest.mark.skipif(
        not private_postgres.available(), reason="PostgreSQL server binaries are not installed"
    ),
]


def test_a_short_chaos_day_keeps_every_promise() -> None:
    ledger = chaos.run(scale=0.1)
    assert ledger.clean(), "\n".join(ledger.lines())
    figures = ledger.figures
    assert figures["votes acked"] == figures["votes counted"] > 0
    assert figures["reminders sent"] == figures["reminders owed"]
    assert figures["checklist moves applied"] == figures["checklist moves clicked"] > 0
    assert figures["messages delivered"] == figures["messages owed"] > 0

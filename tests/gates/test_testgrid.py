"""TestGrid gates decide as the release-signal handbook's table says, row by row."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.gates.outcome import Outcome
from bot.gates.signal import render as signal
from bot.gates.signal import testgrid
from tests.kit.testgrid_server import TestGridServer

BLOCKING, INFORMING = "sig-release-master-blocking", "sig-release-master-informing"
NOW = datetime(2026, 11, 30, tzinfo=UTC)
ALL_GREEN = {"gce-cos-master-default": "PASSING", "kind-master-parallel": "PASSING"}


def read(tg: TestGridServer, blocking: dict[str, str], informing: dict[str, str]) -> Outcome:
    tg.dashboards = {BLOCKING: blocking, INFORMING: informing}
    return testgrid.check_dashboards(
        [BLOCKING], [INFORMING], base=tg.base, allow=("127.0.0.1",), timeout=2.0
    )


# The handbook's table: blocking failing -> red; flaky -> yellow; green with informing
# failing -> red; green with informing flaky or green -> green.
ROWS = [
    ("failing", {**ALL_GREEN, "gce-ubuntu": "FAILING"}, {"e2e-alpha": "PASSING"}, "fail"),
    ("failing, informing any", {**ALL_GREEN, "gce-ubuntu": "FAILING"}, {"x": "FLAKY"}, "fail"),
    ("flaky", {**ALL_GREEN, "kind-ipv6": "FLAKY"}, {"e2e-alpha": "PASSING"}, "yellow"),
    ("flaky, informing failing", {"kind-ipv6": "FLAKY"}, {"e2e-alpha": "FAILING"}, "yellow"),
    ("green, informing failing", ALL_GREEN, {"e2e-alpha": "FAILING"}, "fail"),
    ("green, informing flaky", ALL_GREEN, {"e2e-alpha": "FLAKY"}, "pass"),
    ("green, informing green", ALL_GREEN, {"e2e-alpha": "PASSING"}, "pass"),
    ("failing beats flaky", {"a": "FLAKY", "b": "FAILING"}, {"x": "PASSING"}, "fail"),
    ("stale blocking", {**ALL_GREEN, "old-job": "STALE"}, {"e2e-alpha": "PASSING"}, "yellow"),
    ("stale informing", ALL_GREEN, {"e2e-alpha": "STALE"}, "pass"),
]


@pytest.mark.parametrize(
    ("row", "blocking", "informing", "result"), ROWS, ids=[row[0] for row in ROWS]
)
def test_the_release_signal_table_row_by_row(
    tg: TestGridServer, row: str, blocking: dict[str, str], informing: dict[str, str], result: str
) -> None:
    found = read(tg, blocking, informing)
    assert found.result == result, (row, found.detail)
    assert found.detail.startswith({"fail": "red", "yellow": "yellow", "pass": "green"}[result])
    assert tg.hits() == 2  # one summary per dashboard


def test_the_findings_name_every_job_not_passing_with_its_line_and_link(
    tg: TestGridServer,
) -> None:
    blocking = {"gce-cos": "PASSING", "gce-ubuntu": "FAILING", "kind-ipv6": "FLAKY", "old": "STALE"}
    found = read(tg, blocking, {"e2e-alpha": "FAILING"})
    jobs = (found.findings or {})["jobs"]
    assert [(j["name"], j["status"], j["blocking"]) for j in jobs] == [
        ("gce-ubuntu", "failing", True),
        ("kind-ipv6", "flaky", True),
        ("old", "stale", True),
        ("e2e-alpha", "failing", False),
    ]
    lines = signal.lines(found.findings or {}, NOW, ZoneInfo("UTC"))
    assert lines[0].startswith(
        f"• :red_circle: <{tg.base}/{BLOCKING}#gce-ubuntu|{BLOCKING} / gce-ubuntu> *failing*"
    )
    assert "0 of 9 (0.0%) recent columns passed" in lines[0] and "2 failing tests" in lines[0]
    assert (
        ":hourglass:" in lines[2] and "*stale*" in lines[2] and "Hasn't run in 3 days" in lines[2]
    )
    assert "(informing)" in lines[3] and "last run <!date^1796000000^" in lines[3]


def test_a_missing_dashboard_or_an_empty_summary_is_unknown(tg: TestGridServer) -> None:
    tg.dashboards = {BLOCKING: {}}
    empty = testgrid.check_dashboards([BLOCKING], [], base=tg.base, allow=("127.0.0.1",),
                                      timeout=2.0)  # fmt: skip
    assert empty.result == "unknown" and "no jobs" in empty.detail
    missing = testgrid.check_dashboards(["nope"], [], base=tg.base, allow=("127.0.0.1",),
                                        timeout=2.0)  # fmt: skip
    assert missing.result == "unknown" and "404" in missing.detail and "nope" in missing.detail


def test_odd_summaries_never_pass() -> None:
    with pytest.raises(testgrid.Unreadable):
        testgrid.read_summary("[1, 2]", "d", blocking=True, base="https://tg")
    with pytest.raises(testgrid.Unreadable):
        testgrid.read_summary("not json", "d", blocking=True, base="https://tg")
    jobs = testgrid.read_summary(
        '{"a": {"overall_status": "PENDING"}, "b": {"overall_status": "PASSING"}}',
        "d",
        blocking=True,
        base="https://tg",
    )
    assert testgrid.decide(jobs).result == "yellow"  # no signal yet is not green

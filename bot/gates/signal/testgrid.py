"""TestGrid dashboards as a gate, decided as the release-signal handbook does.

Each dashboard's summary (`{testgrid}/{dashboard}/summary`) maps job names to their
`overall_status`. Blocking dashboards decide; informing ones can only turn a green signal red:

| blocking           | informing        | signal |
| ------------------ | ---------------- | ------ |
| a job failing      | any              | red    |
| a job flaky        | any              | yellow |
| every job passing  | a job failing    | red    |
| every job passing  | flaky or passing | green  |

A blocking job that is stale (or whose status TestGrid does not know) gives no fresh signal,
so it counts as yellow too: not good enough for a cut, shown as stale. A dashboard that
cannot be read, or has no jobs, makes the check unknown.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import quote

from bot.core.fetch import request
from bot.gates.alerting import FAIL, PASS, WARN
from bot.gates.outcome import Outcome, unknown

DASHBOARD = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
MAX_DASHBOARDS = 10
KEPT = 40  # jobs not passing kept on the gate for alerts and lists; the rest counted
PASSING, FLAKY, FAILING, STALE, NO_SIGNAL = "passing", "flaky", "failing", "stale", "unknown"
_STATUS = {
    "PASSING": PASSING,
    "ACCEPTABLE": PASSING,
    "FLAKY": FLAKY,
    "FAILING": FAILING,
    "BROKEN": FAILING,
    "STALE": STALE,
}


class Unreadable(ValueError):
    """A summary that is not one; the message says why."""


@dataclass(frozen=True)
class Job:
    """One job (tab) of a dashboard as its summary shows it."""

    dashboard: str
    name: str
    status: str  # passing | flaky | failing | stale | unknown
    blocking: bool
    line: str = ""  # TestGrid's status line, like "8 of 9 (88.9%) recent columns passed"
    link: str = ""
    last_run: str | None = None  # ISO instant
    latest_green: str = ""
    failing_tests: int = 0


def summary_url(base: str, dashboard: str) -> str:
    """Where a dashboard's summary is read."""
    return f"{base.rstrip('/')}/{quote(dashboard, safe='')}/summary"


def job_url(base: str, dashboard: str, job: str) -> str:
    """The job's tab on TestGrid."""
    return f"{base.rstrip('/')}/{quote(dashboard, safe='')}#{quote(job, safe='')}"


def check_dashboards(
    blocking: Sequence[str],
    informing: Sequence[str],
    *,
    base: str,
    allow: Sequence[str],
    timeout: float,
    proxy: str | None = None,
) -> Outcome:
    """Read every dashboard now and decide; never raises (what goes wrong is unknown)."""
    jobs: list[Job] = []
    for dashboard, is_blocking in [(d, True) for d in blocking] + [(d, False) for d in informing]:
        url = summary_url(base, dashboard)
        try:
            response = request.fetch(url, {"Accept": "application/json"}, allow=allow,
                                   timeout=timeout, proxy=proxy)  # fmt: skip
        except Exception as err:
            reason = request.failure(err, url, timeout=timeout, proxy=proxy)
            return unknown(f"TestGrid dashboard {dashboard} could not be read: {reason}")
        if response.status != 200:
            return unknown(f"TestGrid answered HTTP {response.status} for dashboard {dashboard}.")
        try:
            jobs += read_summary(response.body, dashboard, blocking=is_blocking, base=base)
        except Unreadable as err:
            return unknown(f"TestGrid dashboard {dashboard}: {err}")
    return decide(jobs)


def read_summary(body: str, dashboard: str, *, blocking: bool, base: str) -> list[Job]:
    """The jobs of one dashboard summary; Unreadable when it is not one or has no jobs."""
    try:
        document = json.loads(body)
    except ValueError:
        raise Unreadable("the summary is not JSON") from None
    if not isinstance(document, dict):
        raise Unreadable("the summary is not a map of jobs")
    jobs = [
        _job(dashboard, str(name), entry, blocking, base)
        for name, entry in document.items()
        if isinstance(entry, dict)
    ]
    if not jobs:
        raise Unreadable("it has no jobs")
    return sorted(jobs, key=lambda job: job.name)


def decide(jobs: Sequence[Job]) -> Outcome:
    """The release signal of these jobs, by the handbook's table; pure."""
    blocking = [job for job in jobs if job.blocking]
    informing = [job for job in jobs if not job.blocking]
    red = [job for job in blocking if job.status == FAILING]
    shaky = [job for job in blocking if job.status != PASSING and job.status != FAILING]
    red_informing = [job for job in informing if job.status == FAILING]
    if red:
        result, why = FAIL, f"red: {_jobs(red, 'blocking')} failing"
    elif shaky:
        result, why = WARN, f"yellow: {_jobs(shaky, 'blocking')} {_states(shaky)}"
    elif red_informing:
        result, why = FAIL, f"red: {_jobs(red_informing, 'informing')} failing"
    else:
        count = len(blocking)
        result, why = PASS, f"green: {count} blocking job{'s' if count != 1 else ''} passing"
    others = [job for job in informing if job.status != PASSING and job not in red_informing]
    if others and result == PASS:
        why += f"; {_jobs(others, 'informing')} {_states(others)} (informing, not counted)"
    not_passing = [job for job in jobs if job.status != PASSING]
    findings = {
        "kind": "testgrid",
        "jobs": [asdict(job) for job in not_passing[:KEPT]],
        "more": max(len(not_passing) - KEPT, 0),
        "blocking": len(blocking),
        "informing": len(informing),
    }
    return Outcome(result, why, None, findings)


def _job(dashboard: str, name: str, entry: dict[str, Any], blocking: bool, base: str) -> Job:
    status = _STATUS.get(str(entry.get("overall_status", "")).upper(), NO_SIGNAL)
    tests = entry.get("tests") if isinstance(entry.get("tests"), list) else []
    return Job(
        dashboard=dashboard,
        name=name[:200],
        status=status,
        blocking=blocking,
        line=str(entry.get("status") or "")[:200],
        link=job_url(base, dashboard, name),
        last_run=_millis(entry.get("last_run_timestamp")),
        latest_green=str(entry.get("latest_green") or "")[:80],
        failing_tests=sum(1 for t in tests or [] if isinstance(t, dict)),
    )


def _millis(raw: Any) -> str | None:
    if not isinstance(raw, int | float) or isinstance(raw, bool) or raw <= 0:
        return None
    try:
        return datetime.fromtimestamp(raw / 1000, UTC).isoformat()
    except (OverflowError, OSError, ValueError):
        return None


def _jobs(jobs: Sequence[Job], kind: str) -> str:
    names = ", ".join(f"{job.dashboard}/{job.name}" for job in jobs[:3])
    more = f" and {len(jobs) - 3} more" if len(jobs) > 3 else ""
    count = f"{len(jobs)} {kind} job{'s' if len(jobs) != 1 else ''}"
    return f"{count} ({names}{more})" if jobs else count


def _states(jobs: Sequence[Job]) -> str:
    return " or ".join(dict.fromkeys(job.status for job in jobs))

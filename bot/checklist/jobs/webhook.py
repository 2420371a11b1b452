"""A step whose job is behind a webhook: the signed event Run sends, and where to report.

The event goes to one of the release's webhook endpoints (the step's `url`), signed with
that endpoint's secret and delivered like every webhook (Standard Webhooks 1.0, through the
outbox, once, retried). It names the step and the API paths the job calls when it is done
or has failed; a job that reports nothing within the template's timeout fails the step.
"""

from __future__ import annotations

from datetime import datetime

from bot.checklist.jobs.rules import Job
from bot.core.events import Event, WebhookData, release_info

EVENT = "step.run"


def event(found: Job, now: datetime, public_url: str) -> Event:
    """The `step.run` event of a claimed webhook job."""
    release, step, job = found.release, found.step, found.job
    assert release.id is not None and job.id is not None
    base = f"/api/v1/releases/{release.id}/steps/{step.position}"
    data = WebhookData.model_validate(
        {
            "release": release_info(release).model_dump(mode="json"),
            "checklist": found.checklist.template,
            "position": step.position,
            "title": step.title,
            "owner": step.owner,
            "attempt": job.attempt,
            "started_by": job.started_by,
            "run": job.correlation,
            "timeout_seconds": int(found.spec.timeout.total_seconds()),
            "api": f"{public_url.rstrip('/')}/api/v1",
            "callback": {"done": f"{base}/done", "failed": f"{base}/failed"},
            # what the job sends back, so a stale report is refused like a stale button
            "report": {"title": step.title, "attempt": job.attempt},
        }
    )
    return Event(EVENT, f"checklist-job:{job.id}", release.id, data, now)

"""A step's job from the press of Run to its end: send once, follow on the leader, conclude.

Run claims the job (committed) and sends the dispatch from a worker thread, off the click.
The leader's timers then look at each job still deciding its step: a claim whose dispatch
answer never got recorded (the sender crashed) is looked up among the workflow's runs,
never sent again; a known run is followed with conditional requests, as often as
RELEASEBOT_JOB_POLL_SECONDS and GitHub's rate limits allow, until it concludes or the
template's timeout passes. A rehearsal's job sends nothing: its simulated outcome comes
after RELEASEBOT_REHEARSAL_RUN_SECONDS. Everything a move owes goes through the outbox in
the move's transaction.
"""

from __future__ import annotations

import functools
import json
import logging
import threading
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

from sqlmodel import Session

from bot.checklist import events, messages
from bot.checklist import service as checklists
from bot.checklist.board import owners_of
from bot.checklist.holding import holding
from bot.checklist.ids import StepRef
from bot.checklist.jobs import github, notes, rules, webhook
from bot.checklist.jobs.rules import FAILED_RUN, GOING, SENDING, SUCCEEDED, UNKNOWN, Job
from bot.checklist.jobs.spec import GITHUB, WEBHOOK
from bot.checklist.models import Checklist, ChecklistStep
from bot.checklist.templates import catalog
from bot.core.actor import Actor
from bot.core.config import Settings
from bot.core.db import Database
from bot.core.doctor import Finding
from bot.core.errors import DomainError, NotFound
from bot.core.fetch.secrets import GateSecrets, url_host
from bot.core.leader import StaleLeader
from bot.core.outbox import Message
from bot.core.scheduler import Planner, Timer
from bot.core.services import Services
from bot.core.text.escape import escape
from bot.core.text.timefmt import duration
from bot.release.service import role_holders

log = logging.getLogger(__name__)
SENDER_MARGIN = timedelta(seconds=2)  # past the dispatch's own timeout: the sender is gone


def check_token(settings: Settings, db: Database) -> list[Finding]:
    """`releasebot doctor`: templates with GitHub job steps have a token granted to send."""
    found = catalog(settings.templates_dir).templates.values()
    steps = [s for t in found for s in t.steps if s.run is not None and s.run.kind == GITHUB]
    if not steps:
        return []
    secrets = GateSecrets.from_settings(settings)
    host = url_host(settings.github_api)
    if secrets.may_send(github.TOKEN, host) and secrets.value(github.TOKEN):
        return [Finding(True, f"{len(steps)} checklist step(s) run GitHub workflows at {host}")]
    fix = (
        f"grant it in RELEASEBOT_GATE_SECRETS (`{github.TOKEN}@{host}`) and set it; it needs "
        "Actions write on the workflows' repositories"
    )
    what = f"{len(steps)} checklist step(s) run GitHub workflows, but no {github.TOKEN} is granted"
    return [Finding(False, what, fix)]


def api_of(services: Services) -> github.Api:
    """GitHub's API as the operator configured it (address guard, grants, proxy)."""
    settings = services.settings
    return github.Api(
        settings.github_api,
        GateSecrets.from_settings(settings),
        settings.gate_allow,
        settings.gate_timeout,
        settings.gate_proxy or None,
    )


def run(services: Services, actor: Actor, ref: StepRef, simulated: str | None = None) -> None:
    """Run pressed: claim the step's job (committed), then send it once, off the click.

    A step a guard holds back is refused, its holders asked in the same transaction.
    """
    settings = services.settings
    with holding(services, actor.user) as s:
        now = services.now()
        first = timedelta(seconds=settings.gate_timeout) + SENDER_MARGIN
        if simulated is not None or _rehearsal(s, ref.step_id):
            first = timedelta(seconds=settings.rehearsal_run_seconds)
        found = rules.claim(
            s,
            ref,
            actor=actor,
            now=now,
            first_check=first,
            guards=services.step_guards,
            simulated=simulated,
        )
        owed = []
        if found.job.simulated:
            note = notes.simulated_started(found.step, found.job, first)
            owed.append(_reply(found, "simulated", note))
        elif found.spec.kind == WEBHOOK:
            _call_webhook(services, s, found, now)
            owed.append(_reply(found, "sent", notes.sent(found.step, found.job, found.spec)))
        messages.owe(services.outbox, s, found.checklist, owed, now)
        job_id = found.job.id
        send = found.job.simulated is None and found.spec.kind == GITHUB
    assert job_id is not None
    if send:
        threading.Thread(target=send_job, args=(services, job_id), daemon=True).start()
    services.scheduler.poke()


def _call_webhook(services: Services, s: Session, found: Job, now: datetime) -> None:
    """Owe the signed `step.run` event to the step's endpoint, in the claim's transaction."""
    event = webhook.event(found, now, services.settings.public_url)
    try:
        webhook_id = services.outbox.webhooks.send_to(s, found.spec.url, event)
    except NotFound:
        raise DomainError(
            f"*{escape(found.step.title)}* calls {escape(found.spec.url)}, which is not one of "
            "this release's webhooks, so there is no secret to sign its event: a lead adds it "
            "with `/release webhook add URL`. Nothing was sent."
        ) from None
    rules.moved(s, found.job.id or 0, (GOING,), detail=f"webhook-id {webhook_id}")


def _rehearsal(session: Session, step_id: int) -> bool:
    step = session.get(ChecklistStep, step_id)
    checklist = session.get(Checklist, step.checklist_id) if step is not None else None
    return bool(checklist is not None and checklist.rehearsal)


def send_job(services: Services, job_id: int) -> None:
    """Send a claimed job's dispatch once and record what GitHub answered."""
    with services.db.read() as s:
        found = rules.load(s, job_id)
    if found is None or found.job.state != SENDING or found.job.simulated:
        return
    answer = github.dispatch(api_of(services), found.spec, json.loads(found.job.inputs))
    now = services.now()
    poll = timedelta(seconds=services.settings.job_poll_seconds)
    if answer.outcome == github.STARTED:
        _adopt(services, job_id, answer.run_id, answer.run_url, now, looked_up=False)
    elif answer.outcome == github.REFUSED:
        _end(services, job_id, ok=False, reason=answer.detail, now=now, expected=(SENDING,))
    else:  # it may have started: the lookup will tell, nothing is sent again
        with services.db.session() as s:
            rules.moved(s, job_id, (SENDING,), detail=answer.detail, next_check_at=now + poll)
    services.scheduler.poke()


def _adopt(
    services: Services,
    job_id: int,
    run_id: int | None,
    run_url: str | None,
    now: datetime,
    *,
    looked_up: bool,
    epoch: int | None = None,
) -> None:
    """The run of a claimed job is known: record it, say so, follow it from now on."""
    poll = timedelta(seconds=services.settings.job_poll_seconds)
    with _writing(services, epoch) as s:
        values = {"run_id": run_id, "run_url": run_url, "status": "queued"}
        if not rules.moved(s, job_id, (SENDING,), state=GOING, next_check_at=now + poll, **values):
            return
        found = rules.load(s, job_id)
        assert found is not None
        text = notes.running(found.step, found.job, found.spec, looked_up)
        messages.owe(services.outbox, s, found.checklist, [_reply(found, "running", text)], now)


def _end(
    services: Services,
    job_id: int,
    *,
    ok: bool,
    reason: str,
    now: datetime,
    expected: tuple[str, ...] = (GOING,),
    conclusion: str | None = None,
    epoch: int | None = None,
) -> None:
    """The job ended: it decides its step (done, or failed with the reason), once."""
    state = SUCCEEDED if ok else FAILED_RUN
    with _writing(services, epoch) as s:
        values = {"state": state, "finished_at": now, "detail": reason}
        if conclusion is not None:
            values["conclusion"] = conclusion
        if not rules.moved(s, job_id, expected, **values):
            return
        found = rules.load(s, job_id)
        assert found is not None
        outcome = rules.conclude(s, found, ok, reason, now)
        if outcome is None:  # a person moved the step meanwhile: theirs stands
            return
        for event in events.of_outcome(outcome, now):  # the release's webhooks hear it too
            services.outbox.emit(s, event)
        owed = [
            _reply(found, "done" if ok else "failed", notes.concluded(outcome, found.job, reason))
        ]
        owed += messages.opened(outcome)
        if outcome.completed:
            owed.append(messages.summary(checklists.board(s, found.checklist.id or 0)))
        messages.owe(services.outbox, s, outcome.checklist, owed, now)


@contextmanager
def _writing(services: Services, epoch: int | None) -> Iterator[Session]:
    """A write transaction; the leader's (with its `epoch`) is refused once it lost the lead."""
    with services.db.session() as s:
        if epoch is not None:
            services.leader.guard(s, epoch)
        yield s


def _reply(found: Job, what: str, text: str) -> Message:
    key = messages.step_key(found.step, found.job.attempt, f"job:{found.job.id}:{what}")
    return messages.reply(found.checklist, key, text)


# --- the leader's timers ---------------------------------------------------------------------


def planner_for(services: Services) -> Planner:
    """Each job still deciding its step is looked at when its next look is due."""

    def plan(session: Session, now: datetime, until: datetime) -> Iterable[Timer]:
        found = []
        for job in rules.due(session, until):
            assert job.id is not None and job.next_check_at is not None
            due = min(job.next_check_at, job.deadline_at)
            key = f"checklist:job:{job.id}:{job.state}:{due.timestamp()}"
            found.append(Timer(key, due, functools.partial(look, services, job.id)))
        return found

    return plan


def look(services: Services, job_id: int, now: datetime) -> None:
    """One look at a job (the leader's): simulated end, timeout, lookup, or the run.

    Every write it makes carries the leader's epoch: a leader that lost the lead meanwhile
    records nothing (the new one looks again).
    """
    epoch = services.leader.epoch
    if epoch is None:
        return
    with services.db.read() as s:
        found = rules.load(s, job_id)
    if found is None or not rules.live(found) or found.job.state not in rules.OPEN_STATES:
        return
    try:
        _look(services, found, now, epoch)
    except StaleLeader:
        log.info("no longer leading: the new leader looks at job %s", job_id)
    services.scheduler.poke()


def _look(services: Services, found: Job, now: datetime, epoch: int) -> None:
    """What the look does, by the job's state."""
    job_id = found.job.id or 0
    job = found.job
    if job.simulated:
        ok = job.simulated == "success"
        reason = "the simulated run ended success" if ok else "the simulated run ended failure"
        _end(services, job_id, ok=ok, reason=reason, now=now, conclusion=job.simulated, epoch=epoch)
    elif now >= job.deadline_at:
        heard = "heard nothing from the job" if job.kind == WEBHOOK else "no result"
        reason = f"{heard} within the template's timeout of {_span(found)}"
        _end(
            services,
            job_id,
            ok=False,
            reason=reason,
            now=now,
            expected=rules.OPEN_STATES,
            epoch=epoch,
        )
    elif job.kind == WEBHOOK:  # it reports through the API; only its timeout is watched
        with _writing(services, epoch) as s:
            rules.moved(s, job_id, (GOING,), next_check_at=job.deadline_at)
    elif job.state == SENDING:
        _lookup(services, found, now, epoch)
    else:
        _follow(services, found, now, epoch)


def _span(found: Job) -> str:
    return duration(found.spec.timeout)


def _follow(services: Services, found: Job, now: datetime, epoch: int) -> None:
    """Ask GitHub how the run is (conditionally); conclude it when it is completed."""
    job = found.job
    assert job.id is not None and job.run_id is not None
    seen = github.look(api_of(services), found.spec.repo, job.run_id, job.etag, now)
    poll = now + timedelta(seconds=services.settings.job_poll_seconds)
    following = max(poll, seen.wait_until or poll)
    if seen.changed and seen.status == "completed":
        conclusion = seen.conclusion or "unknown"
        ok = conclusion == "success"
        reason = "the run succeeded" if ok else f"the run ended {conclusion}"
        with _writing(services, epoch) as s:
            if seen.run_url:
                rules.moved(s, job.id, (GOING,), run_url=seen.run_url)
        _end(services, job.id, ok=ok, reason=reason, now=now, conclusion=conclusion, epoch=epoch)
        return
    with _writing(services, epoch) as s:
        values: dict[str, object] = {"next_check_at": following}
        if seen.changed:
            values.update(status=seen.status, etag=seen.etag, run_url=seen.run_url or job.run_url)
        if not seen.ok:
            values["detail"] = seen.detail
        rules.moved(s, job.id, (GOING,), **values)
        if seen.changed and seen.status != job.status:
            services.outbox.refresh(s, messages.KIND, found.checklist.id or 0, now)


def _lookup(services: Services, found: Job, now: datetime, epoch: int) -> None:
    """A claim whose run was never recorded: find the run GitHub started, never send again."""
    job, spec = found.job, found.spec
    assert job.id is not None
    runs, wait = github.find(api_of(services), spec, job.claimed_at, now)
    poll = max(now + timedelta(seconds=services.settings.job_poll_seconds), wait or now)
    window = job.claimed_at + timedelta(seconds=services.settings.job_lookup_seconds)
    if runs is not None and spec.correlation:
        runs = [r for r in runs if job.correlation in r.title]
    elif runs is not None:
        runs = [r for r in runs if r.branch in ("", spec.ref)]
    if runs is not None and len(runs) == 1:
        first = runs[0]
        _adopt(services, job.id, first.run_id, first.run_url, now, looked_up=True, epoch=epoch)
        return
    if runs is not None and len(runs) > 1:
        _unknown(services, found, f"{len(runs)} runs started since Run was pressed", now, epoch)
    elif now >= window:
        why = "GitHub could not be asked" if runs is None else "no run of it appeared"
        _unknown(services, found, why, now, epoch)
    else:
        with _writing(services, epoch) as s:
            rules.moved(s, job.id, (SENDING,), next_check_at=min(poll, window))


def _unknown(services: Services, found: Job, why: str, now: datetime, epoch: int) -> None:
    """The lookup cannot tell: a person looks at the workflow's runs and decides."""
    job = found.job
    assert job.id is not None
    with _writing(services, epoch) as s:
        if not rules.moved(s, job.id, (SENDING,), state=UNKNOWN, detail=why, finished_at=now):
            return
        owners = owners_of(role_holders(s, found.release.id or 0), found.step.owner)
        runs = github.runs_page(services.settings.github_api, found.spec)
        text = notes.unknown(found.step, job, runs, owners, why)
        messages.owe(services.outbox, s, found.checklist, [_reply(found, "unknown", text)], now)

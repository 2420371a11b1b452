"""Delivers what is owed to webhook endpoints: in order per endpoint, signed, through outages.

One loop on the leader replica looks, for every endpoint that is neither paused nor removed,
at its oldest pending delivery; when that one is due, a worker takes the endpoint and sends
its deliveries one after another, oldest first, until none is due or one fails. A delivery
is claimed in the database (`claimed_until`) before it is sent, under the leader's epoch
(`fence`), so a leader handing over never sends it twice at once; a replica whose lease ran
out sends nothing more, and what it writes down is refused (`guard`, StaleLeader). A 2xx
marks it delivered in the transaction that records the answer, and it is never sent again.

Failures (no answer, a timeout, a refused address, any status outside 2xx) keep the
delivery at the head of its endpoint's line and retry it with exponential backoff and
jitter. The backoff is capped at an eighth of how long the endpoint has been failing
(between CAP_MIN and CAP_MAX), so a receiver that was down a minute gets its backlog within
seconds of coming back, and one down for hours is asked every quarter hour at most. An endpoint
failing for PAUSE_AFTER (24 hours) is paused: nothing more is sent or owed to it until a
lead resumes it, and each lead hears of it once, in Slack, through the outbox.

A worker claims up to AHEAD deliveries at once and writes down the 2xx answers together,
within RECORD_WITHIN (50 ms) of the first, before it claims more and before anything else
is written. The crash window: deliveries a receiver answered 2xx in those last 50 ms (at
most AHEAD) before the process died are sent again by the next leader, after their claim
runs out, with the same webhook-id, which is what receivers deduplicate on.
"""

from __future__ import annotations

import itertools
import logging
import random
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, update
from sqlmodel import Session, col, select

from bot.core.db import Database
from bot.core.leader import Leadership, StaleLeader
from bot.core.models import utcnow
from bot.core.outbox import Outbox
from bot.core.worker import LeaderLoop
from bot.release import service as releases
from bot.webhooks import render
from bot.webhooks.models import DELIVERED, PENDING, WebhookDelivery, WebhookEndpoint
from bot.webhooks.post import Answer, Poster

log = logging.getLogger(__name__)
CLAIM = timedelta(seconds=60)
PAUSE_AFTER = timedelta(hours=24)
FIRST_WAIT = 0.5
CAP_MIN = 5.0
CAP_MAX = 900.0
BATCH = 500  # deliveries one worker sends before it gives the endpoint back
AHEAD = 20  # deliveries claimed at once (sent one by one, in order)
RECORD_WITHIN = 0.05  # seconds: a 2xx is written down within this long (at most AHEAD at once)


@dataclass(frozen=True)
class Settings:
    """How deliveries are made: what the guard also allows, the timeout, the proxy."""

    allow: tuple[str, ...] = ()
    timeout: float = 10.0
    proxy: str | None = None


def backoff(attempts: int, failing_for: float) -> float:
    """Seconds until the next attempt after `attempts` failed ones (capped, jittered)."""
    cap = min(CAP_MAX, max(CAP_MIN, failing_for / 8))
    ceiling = min(cap, FIRST_WAIT * 2 ** max(attempts - 1, 0))
    return random.uniform(ceiling / 2, ceiling)


class Dispatcher(LeaderLoop[int]):
    """The loop that empties the webhook deliveries, on the leader; a job per endpoint."""

    thread_name = pool_name = "webhooks"
    what = "webhook delivery"

    def __init__(
        self,
        db: Database,
        outbox: Outbox,
        leadership: Leadership,
        settings: Settings,
        *,
        clock: Callable[[], datetime] = utcnow,
        workers: int = 8,
        poll_seconds: float = 0.5,
    ) -> None:
        super().__init__(db, leadership, workers=workers, poll_seconds=poll_seconds)
        self.outbox = outbox
        self.settings = settings
        self.clock = clock

    def due(self, session: Session) -> bool:
        """True while an endpoint has a delivery due."""
        return session.exec(self._due_heads(self.clock()).limit(1)).first() is not None

    def took_lead(self) -> None:
        """Claims standing when this replica takes the lead are the old leader's: void them."""
        if not self.db.is_sqlite:
            self._orphaned_claims()

    def _may_send(self, epoch: int | None) -> bool:
        """True while this replica still leads with the epoch its claims carry."""
        return not self._stop.is_set() and (self.db.is_sqlite or self.leadership.holds(epoch))

    def _orphaned_claims(self) -> None:
        """On taking the lead: claims standing now are the old leader's; they may go at once."""
        now = self.clock()
        with self.db.session() as session:
            session.execute(
                update(WebhookDelivery)
                .where(
                    col(WebhookDelivery.state) == PENDING, col(WebhookDelivery.claimed_until) > now
                )
                .values(claimed_until=now)
            )

    # --- one pass --------------------------------------------------------------------------

    def _due_heads(self, now: datetime):  # type: ignore[no-untyped-def]
        """Endpoints whose oldest pending delivery is due and unclaimed."""
        heads = (
            select(func.min(WebhookDelivery.id))
            .where(WebhookDelivery.state == PENDING)
            .group_by(col(WebhookDelivery.endpoint_id))
        )
        return (
            select(WebhookDelivery.endpoint_id)
            .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
            .where(
                col(WebhookDelivery.id).in_(heads),
                col(WebhookDelivery.next_attempt_at) <= now,
                or_(
                    col(WebhookDelivery.claimed_until).is_(None),
                    col(WebhookDelivery.claimed_until) <= now,
                ),
                col(WebhookEndpoint.paused_at).is_(None),
                col(WebhookEndpoint.removed_at).is_(None),
            )
        )

    def tick(self) -> None:
        """Hand every endpoint with a due delivery to a worker (one worker per endpoint)."""
        with self.db.read() as session:
            due = list(session.exec(self._due_heads(self.clock())))
        for endpoint_id in due:
            if self._take(endpoint_id):
                self._pool.submit(self._run, endpoint_id)

    def _run(self, endpoint_id: int) -> None:
        """Send the endpoint's due deliveries in order until one fails or none is due."""
        poster = Poster(
            allow=self.settings.allow, timeout=self.settings.timeout, proxy=self.settings.proxy
        )
        claimed: deque[WebhookDelivery] = deque()
        done: list[tuple[WebhookDelivery, int]] = []
        epoch = self.leadership.epoch  # every claim and record of this run carries it
        try:
            if epoch is None and not self.db.is_sqlite:
                return
            with self.db.read() as session:
                endpoint = session.get(WebhookEndpoint, endpoint_id)
                if endpoint is None:
                    return
                url, secret = endpoint.url, endpoint.secret  # neither ever changes
            since = time.monotonic()
            for _ in range(BATCH):
                if not claimed:
                    self._settle(endpoint_id, done, epoch)
                    claimed.extend(self._claim(endpoint_id, epoch))
                    if not claimed:
                        return
                if not self._may_send(epoch):
                    return  # the lead (or this loop) ended: a claim of a stale epoch is void
                row = claimed.popleft()
                answer = poster.send(url, secret, row.webhook_id, row.body)
                if not answer.ok:
                    self._settle(endpoint_id, done, epoch)
                    self._failed(row, answer, [r.id or 0 for r in claimed], epoch)
                    claimed.clear()
                    return
                if not done:
                    since = time.monotonic()
                done.append((row, answer.status or 200))
                if time.monotonic() - since >= RECORD_WITHIN:
                    self._settle(endpoint_id, done, epoch)
        except StaleLeader:
            log.info("webhook #%s: another replica leads now; it takes over", endpoint_id)
            done.clear()
            claimed.clear()
        except Exception:
            log.exception("delivering to webhook #%s failed unexpectedly", endpoint_id)
        finally:
            self._wind_up(endpoint_id, done, claimed, epoch)
            poster.close()
            self._release(endpoint_id)

    def _wind_up(
        self,
        endpoint_id: int,
        done: list[tuple[WebhookDelivery, int]],
        claimed: Iterable[Any],
        epoch: int | None,
    ) -> None:
        """Write down what was delivered and give back what was claimed but not sent."""
        try:
            self._settle(endpoint_id, done, epoch)
            left = [row.id for row in claimed]
            if left:
                with self.db.session() as session:
                    self.leadership.guard(session, epoch)
                    _unclaim(session, left)
        except StaleLeader:
            log.info("webhook #%s: another replica leads now; it takes over", endpoint_id)
        except Exception:
            log.exception("webhook #%s: recording its deliveries failed", endpoint_id)

    def _claim(self, endpoint_id: int, epoch: int | None) -> list[WebhookDelivery]:
        """Claim the endpoint's oldest pending deliveries (up to AHEAD), if its oldest is due.

        Only an unbroken run from the oldest one is claimed, so they go in order. Nothing is
        claimed for a paused or removed endpoint, by a replica that no longer leads, or once
        the loop stops.
        """
        if not self._may_send(epoch):
            return []
        now = self.clock()
        with self.db.session() as session:
            heads = session.exec(
                select(WebhookDelivery.id, WebhookDelivery.next_attempt_at,
                       WebhookDelivery.claimed_until)
                .join(WebhookEndpoint, col(WebhookEndpoint.id) == WebhookDelivery.endpoint_id)
                .where(
                    WebhookDelivery.endpoint_id == endpoint_id,
                    WebhookDelivery.state == PENDING,
                    col(WebhookEndpoint.paused_at).is_(None),
                    col(WebhookEndpoint.removed_at).is_(None),
                )
                .order_by(col(WebhookDelivery.id))
                .limit(AHEAD)
            ).all()  # fmt: skip
            run: list[int] = []
            for row_id, due, claimed_until in heads:
                if due > now or (claimed_until is not None and claimed_until > now):
                    break
                run.append(int(row_id or 0))
            if not run:
                return []
            won = session.execute(
                update(WebhookDelivery)
                .where(
                    col(WebhookDelivery.id).in_(run),
                    col(WebhookDelivery.state) == PENDING,
                    or_(
                        col(WebhookDelivery.claimed_until).is_(None),
                        col(WebhookDelivery.claimed_until) <= now,
                    ),
                    self.leadership.fence(epoch),
                )
                .values(claimed_until=now + CLAIM, attempts=WebhookDelivery.attempts + 1)
                .returning(WebhookDelivery)
                .execution_options(synchronize_session=False)
            ).scalars()
            got = {row.id: row for row in won}
            kept = list(itertools.takewhile(lambda i: i in got, run))  # another leader: stop
            _unclaim(session, [i for i in got if i not in kept])
            for row in got.values():
                session.expunge(row)
            return [got[i] for i in kept]

    def _settle(
        self, endpoint_id: int, done: list[tuple[WebhookDelivery, int]], epoch: int | None
    ) -> None:
        """Write down the deliveries answered 2xx (one transaction), and forget them.

        Under the epoch of their claim: a replica that lost the lead records nothing
        (StaleLeader), and the new leader sends them again, with the same webhook-ids.
        """
        if not done:
            return
        now = self.clock()
        with self.db.session() as session:
            self.leadership.guard(session, epoch)
            for status in {status for _, status in done}:
                ids = [row.id for row, answered in done if answered == status]
                session.execute(
                    update(WebhookDelivery)
                    .where(col(WebhookDelivery.id).in_(ids))
                    .values(state=DELIVERED, delivered_at=now, status=status, error=None,
                            claimed_until=None)
                )  # fmt: skip
            session.execute(
                update(WebhookEndpoint)
                .where(col(WebhookEndpoint.id) == endpoint_id)
                .values(failures=0, failing_since=None, last_delivered_at=now,
                        last_attempt_at=now, last_status=done[-1][1], last_error=None)
            )  # fmt: skip
        done.clear()

    def _failed(
        self, row: WebhookDelivery, answer: Answer, behind: list[int], epoch: int | None
    ) -> None:
        """A failed attempt: retried later, the claims behind it given back; paused after a day."""
        now = self.clock()
        error = (answer.error or "failed")[:500]
        with self.db.session() as session:
            self.leadership.guard(session, epoch)
            endpoint = session.get(WebhookEndpoint, row.endpoint_id)
            assert endpoint is not None
            endpoint.last_attempt_at = now
            endpoint.last_status = answer.status
            endpoint.failures += 1
            endpoint.failing_since = endpoint.failing_since or now
            endpoint.last_error = error
            failing_for = (now - endpoint.failing_since).total_seconds()
            wait = backoff(row.attempts, failing_for)
            log.info("webhook #%s: will retry %s in %.1fs (%s)", endpoint.id, row.key, wait, error)
            session.execute(
                update(WebhookDelivery)
                .where(col(WebhookDelivery.id) == row.id, col(WebhookDelivery.state) == PENDING)
                .values(claimed_until=None, next_attempt_at=now + timedelta(seconds=wait),
                        status=answer.status, error=error)
            )  # fmt: skip
            _unclaim(session, behind)
            if now - endpoint.failing_since >= PAUSE_AFTER and endpoint.paused_at is None:
                endpoint.paused_at = now
                self._tell_paused(session, endpoint, now)
            session.add(endpoint)

    def _tell_paused(self, session: Session, endpoint: WebhookEndpoint, now: datetime) -> None:
        """Each lead of the endpoint's release hears, once, that it was paused and why."""
        release = releases.get(session, endpoint.release_id)
        log.warning("webhook #%s paused after 24 hours of failures", endpoint.id)
        since = endpoint.failing_since.isoformat() if endpoint.failing_since else ""
        key = f"webhook:{endpoint.id}:paused:{since}"
        message = render.paused(release, endpoint)
        releases.message_leads(self.outbox, session, endpoint.release_id, key, message, now)


def _unclaim(session: Session, ids: list[Any]) -> None:
    """Give back claimed deliveries that were not sent (their attempt did not happen)."""
    if ids:
        session.execute(
            update(WebhookDelivery)
            .where(col(WebhookDelivery.id).in_(ids), col(WebhookDelivery.state) == PENDING)
            .values(claimed_until=None, attempts=WebhookDelivery.attempts - 1)
        )

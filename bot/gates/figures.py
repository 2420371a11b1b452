"""A gate's figures: its burndown chart, posted to the channel.

Reading is quick and done while the command is answered; drawing and uploading the chart is
slow (matplotlib, a file upload) and is done afterwards on the notifier's workers.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlmodel import Session

from bot.core import chart
from bot.core.asks.milestones import MarksOf, marks_of
from bot.core.errors import DomainError
from bot.core.notify import Notifier
from bot.core.text.escape import escape
from bot.gates import history
from bot.gates import service as gates
from bot.gates.models import Gate
from bot.release.models import Release

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Chart:
    """What a gate's burndown chart shows, read from the database; drawn later."""

    channel_id: str
    gate: str
    release: str
    points: list[tuple[datetime, float]]
    release_day: datetime | None
    marks: list[tuple[datetime, str]]
    zone: ZoneInfo
    now: datetime

    @property
    def filename(self) -> str:
        """The PNG's file name."""
        return f"gate-{self.gate}-burndown.png"

    def png(self) -> bytes:
        """The chart, drawn."""
        title = f"{self.gate}: {self.release}"
        return chart.burndown_png(
            self.points, self.release_day, self.marks, title=title, zone=self.zone, now=self.now
        )


def chart_of(
    session: Session,
    release: Release,
    gate: Gate,
    now: datetime,
    milestones: Sequence[MarksOf] = (),
) -> Chart:
    """What the gate's chart shows; DomainError when it counts nothing or has no values yet.

    `milestones` (the answers to MILESTONES) are marked on the chart.
    """
    assert gate.id is not None and release.id is not None
    if not gates.counts(gate):
        raise DomainError(
            f"`{gate.name}` counts nothing to chart: GitHub gates do, and HTTP gates whose "
            "expectation compares a number (`expect json.total_count <= 0`)."
        )
    points = history.values(history.history(session, gate.id))
    if not points:
        raise DomainError(f"`{gate.name}` has no values yet; its first check has not run.")
    marks: list[tuple[datetime, str]] = list(marks_of(milestones, session, release).every)
    return Chart(
        release.channel_id,
        gate.name,
        release.name,
        points,
        release.release_at,
        marks,
        ZoneInfo(release.zone),
        now,
    )


def post_chart(notifier: Notifier, drawn: Chart) -> bool:
    """Draw the chart and share it in the channel as a PNG file; False if that failed."""
    try:
        png = drawn.png()
        notifier.client.files_upload_v2(
            channel=drawn.channel_id,
            file=png,
            filename=drawn.filename,
            title=f"Burndown of gate {drawn.gate}",
            initial_comment=(
                f"The burndown of gate `{drawn.gate}` over release "
                f"*{escape(drawn.release)}*: now {_number(drawn.points[-1][1])}."
            ),
        )
    except Exception:  # the notifier's rule: log, never raise into the caller's flow
        log.warning("the chart of gate %s could not be shared", drawn.gate, exc_info=True)
        return False
    return True


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"

"""The async status button and form: checked at click time, saved before the acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from slack_bolt import App

from bot.burndown import flows as burndown_timers
from bot.burndown import status_render as render
from bot.burndown import status_updates
from bot.core.blocks import modal_value
from bot.core.errors import DomainError, Forbidden
from bot.core.services import Services
from handlers.interactions import Click, Submission, on_click, on_submit


def _meeting_ref(data: dict[str, Any]) -> tuple[int, datetime]:
    """The series id and meeting instant a button or form was rendered for."""
    try:
        series_id = int(data["s"])
        occurs_at = datetime.fromtimestamp(int(data["o"]), UTC)
    except (KeyError, TypeError, ValueError, OverflowError, OSError):
        raise DomainError("That button is not one of mine; nothing changed.") from None
    return series_id, occurs_at


def open_form(click: Click) -> str | None:
    """Open the status form, if the meeting is still ahead and the clicker may post."""
    services = click.services
    series_id, occurs_at = _meeting_ref(click.data())
    now = services.now()
    with services.db.read() as s:
        meeting = status_updates.open_meeting(s, series_id, occurs_at, now)
        allowed = status_updates.holders(s, meeting.release)
    if click.user_id not in allowed and click.user_id not in services.settings.admins:
        raise Forbidden("Only people holding a role in this release post burndown status.")
    view = render.status_form(meeting.release, meeting.series, meeting.occurs_at)
    click.client.views_open(trigger_id=click.trigger_id, view=view)
    return None


def save(submission: Submission) -> str | None:
    """Store the submitted status and refresh reminders already posted for that meeting."""
    services = submission.services
    series_id, occurs_at = _meeting_ref(submission.metadata())
    view = submission.view
    area = modal_value(view, "area", "value")
    colour = modal_value(view, "colour", "value")
    notes = modal_value(view, "notes", "value")
    now = services.now()
    with services.db.session() as s:
        meeting = status_updates.open_meeting(s, series_id, occurs_at, now)
        row = status_updates.post_status(
            s,
            meeting,
            user_id=submission.user_id,
            area=area,
            colour=colour,
            notes=notes,
            admins=services.settings.admins,
            now=now,
        )
    services.refresher.request(
        f"burndown:{series_id}:{int(occurs_at.timestamp())}",
        lambda: burndown_timers.refresh_reminders(services, series_id, occurs_at),
    )
    return render.saved_note(row.area, row.colour)


def register(app: App, services: Services) -> None:
    """Attach the status button and form listeners."""
    on_click(app, render.STATUS_ACTION, services, open_form)
    on_submit(app, render.STATUS_FORM, services, save)

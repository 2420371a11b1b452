"""What Slack sends back for async burndown status: the button, the form, and what they carry.

Defined once here: the renderers draw the "Post status" button and the status form with
these, the handler listens for them and reads the meeting back with `decode_meeting`
(anything else is refused as NotMine). Both name one meeting: its series and its instant.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from bot.core import payloads
from bot.core.blocks import modal_value
from bot.core.payloads import FORM_NOT_MINE, NOT_MINE, NotMine

STATUS_ACTION = "burndown:status"
STATUS_FORM = "burndown:status_form"
# The status form's inputs: one block each, every element answering as VALUE.
AREA, COLOUR, NOTES = "area", "colour", "notes"
VALUE = "value"


def encode_meeting(series_id: int | None, occurs_at: datetime) -> str:
    """The button value and form metadata naming one meeting of a series."""
    return payloads.encode(s=series_id, o=int(occurs_at.timestamp()))


def decode_meeting(value: str, *, form: bool = False) -> tuple[int, datetime]:
    """The series id and meeting instant a button or form carries; NotMine for anything else."""
    data = payloads.decode(value, "s", "o", form=form)
    try:
        stamp = payloads.integer(data, "o")
        return payloads.integer(data, "s"), datetime.fromtimestamp(stamp, UTC)
    except (NotMine, OverflowError, OSError, ValueError):
        raise NotMine(FORM_NOT_MINE if form else NOT_MINE) from None


def form_fields(view: dict[str, Any]) -> tuple[str, str, str]:
    """The area, colour and notes typed into a submitted status form."""
    return (
        modal_value(view, AREA, VALUE),
        modal_value(view, COLOUR, VALUE),
        modal_value(view, NOTES, VALUE),
    )

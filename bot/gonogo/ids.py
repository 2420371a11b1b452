"""What Slack sends back for a go/no-go poll: its action ids, and what its buttons carry.

Defined once here: the renderers draw the buttons and the modal with these, the handlers
listen for them and read the payloads back with the decoders (anything else is NotMine).
"""

from __future__ import annotations

from typing import Any

from bot.core import payloads
from bot.core.payloads import FORM_NOT_MINE, NOT_MINE, NotMine

GO_ACTION = "gonogo:go"
NOGO_ACTION = "gonogo:nogo"
CLOSE_ACTION = "gonogo:close"
VOTES_ACTION = "gonogo:votes"
REASON_FORM = "gonogo:reason"


def encode_poll(poll_id: int | None) -> str:
    """The value of a poll's buttons: which poll."""
    return payloads.encode(p=poll_id)


def decode_poll(value: str) -> int:
    """The poll id a button carries; NotMine for anything else."""
    return _poll_id(payloads.decode(value, "p"), NOT_MINE)


def encode_reason(poll_id: int, channel_id: str) -> str:
    """The No-Go modal's metadata: the poll, and the channel the vote was cast for."""
    return payloads.encode(p=poll_id, c=channel_id)


def decode_reason(metadata: str) -> tuple[int, str]:
    """The poll id and channel the No-Go modal carries; NotMine for anything else."""
    data = payloads.decode(metadata, "p", form=True)
    return _poll_id(data, FORM_NOT_MINE), str(data.get("c", ""))


def _poll_id(data: dict[str, Any], refusal: str) -> int:
    # Only the whole number we wrote: a forged "1" or `true` is not one of ours.
    value = data["p"]
    if not isinstance(value, int) or isinstance(value, bool):
        raise NotMine(refusal)
    return value
